package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/mail/delivery"
	"github.com/gatehouse/gatehouse/pkg/mail/ses"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/seskit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

// world is a table, the SES stand-in and the mail.send handler through
// the real SES v2 client (one HTTP attempt per call: the outbox retries).
type world struct {
	tbl     *dynamokit.Table
	ses     *seskit.Server
	handler outbox.Handler
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s := seskit.New(nil, nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &world{tbl: dynamokit.NewTable(t), ses: s, handler: delivery.Handler(ses.New(s.Client(1), "no-reply@example.org"))}
}

// enqueue writes one e-mail to id's recipient as its cause would.
func (w *world) enqueue(t *testing.T, id string) {
	t.Helper()
	payload, _ := json.Marshal(mail.Message{To: id + "@example.com", Subject: "Mail " + id, Text: "body of " + id})
	now := time.Now().UnixMilli()
	if err := w.tbl.Store.Tx().Join(outbox.Enqueue(outbox.Message{ID: id, Kind: mail.KindSend, Payload: string(payload), CreatedAt: now, ModifiedAt: now})).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type stored struct {
	outbox.Message
	LeaseUntil int64 `dynamo:"leaseUntil"`
}

func (w *world) get(t *testing.T, id string) stored {
	t.Helper()
	var m stored
	if err := w.tbl.Store.Table().Get("PK", store.OutboxPK(id)).Range("SK", dynamo.Equal, store.OutboxSK).Consistent(true).One(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// until re-reads the outbox until ok holds for every id (the dispatcher's
// writes are the events waited for), failing after a bound.
func (w *world) until(t *testing.T, ids []string, what string, ok func(stored) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		all := true
		for _, id := range ids {
			if !ok(w.get(t, id)) {
				all = false
				break
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never %s: %+v", what, w.get(t, ids[0]))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliveries counts accepted e-mails per recipient.
func (w *world) deliveries() map[string]int {
	n := map[string]int{}
	for _, m := range w.ses.Messages() {
		for _, to := range m.To {
			n[to]++
		}
	}
	return n
}

// poll runs d over the table's stream until the test ends.
func (w *world) poll(t *testing.T, d *outbox.Dispatcher) {
	t.Helper()
	cfg, _ := dynamokit.Config()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p := &outbox.Poller{Streams: dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(dynamokit.Endpoint(t)) }),
		Table: w.tbl.Store.Table(), Dispatcher: d, Interval: 20 * time.Millisecond}
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// SES down for "ten minutes": the default policy at 1/1000 of its times
// (backoff 2 ms doubling to 300 ms, a day becomes 86 s). Every e-mail
// fails more than the 8 attempts that used to mark it FAILED, then goes
// out exactly once when SES is back.
func TestMailSurvivesSESOutage(t *testing.T) {
	const scale = 1000
	w := newWorld(t)
	d := outbox.New(w.tbl.Store, map[string]outbox.Handler{mail.KindSend: w.handler}, nil)
	d.Backoff = func(a int) time.Duration { return outbox.DefaultBackoff(a) / scale }
	d.MaxAge = outbox.DefaultMaxAge / scale
	w.ses.SetDown(true, 0)
	w.poll(t, d)
	var ids []string
	for i := range 6 {
		id := fmt.Sprintf("outage-%d", i)
		ids = append(ids, id)
		w.enqueue(t, id)
	}
	const failedAttempts = 10 // beyond the old limit of 8
	w.until(t, ids, fmt.Sprintf("failed %d times", failedAttempts), func(m stored) bool {
		return m.Attempts >= failedAttempts && m.Status == outbox.StatusPending
	})
	if n := len(w.ses.Messages()); n != 0 {
		t.Fatalf("%d e-mails accepted during the outage", n)
	}
	w.ses.SetDown(false, 0)
	w.until(t, ids, "SENT", func(m stored) bool { return m.Status == outbox.StatusSent })
	got := w.deliveries()
	for _, id := range ids {
		if n := got[id+"@example.com"]; n != 1 {
			t.Errorf("%s: %d e-mails, want exactly 1", id, n)
		}
		if m := w.get(t, id); m.Attempts <= failedAttempts || m.LastError != "" {
			t.Errorf("%s: attempts %d lastError %q, want > %d and cleared", id, m.Attempts, m.LastError, failedAttempts)
		}
	}
	if n := len(w.ses.Messages()); n != len(ids) {
		t.Errorf("%d e-mails accepted, want %d", n, len(ids))
	}
}

// The dispatcher dies (its invocation ends) between SES's answer and the
// SENT write, or before the call: the message stays SENDING under its
// lease, and a second dispatcher takes it over once the lease ends. The
// e-mail is never lost and goes out at most twice: SES v2 SendEmail takes
// no idempotency key, so a redelivery after SES accepted is a second
// e-mail (README, Outbox).
func TestDispatcherKilledMidDelivery(t *testing.T) {
	tests := []struct {
		name       string
		killAfter  bool // after the provider call (else before it)
		deliveries int
	}{
		{"killed after SES accepted, before SENT", true, 2},
		{"killed before calling SES", false, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id := fmt.Sprintf("crash-%d", i)
			w.enqueue(t, id)
			ctx, kill := context.WithCancel(context.Background())
			var once sync.Once
			first := outbox.New(w.tbl.Store, map[string]outbox.Handler{mail.KindSend: func(hctx context.Context, m outbox.Message) error {
				if !tt.killAfter {
					once.Do(kill)
					return hctx.Err()
				}
				err := w.handler(hctx, m)
				once.Do(kill) // the Lambda's time runs out right after SES answered
				return err
			}}, nil)
			first.Lease = 500 * time.Millisecond
			if err := first.Process(ctx, outbox.Change{MessageID: id, Status: outbox.StatusPending}); err == nil {
				t.Fatal("the killed dispatcher finished its change")
			}
			if m := w.get(t, id); m.Status != "SENDING" || m.LeaseUntil == 0 {
				t.Fatalf("after the crash: %+v, want SENDING under a lease", m)
			}
			// The stream (or the event source mapping's retry) redelivers the
			// change to another dispatcher; it waits out the lease.
			second := outbox.New(w.tbl.Store, map[string]outbox.Handler{mail.KindSend: w.handler}, nil)
			if err := second.Process(context.Background(), outbox.Change{MessageID: id, Status: outbox.StatusPending}); err != nil {
				t.Fatalf("second dispatcher: %v", err)
			}
			if m := w.get(t, id); m.Status != outbox.StatusSent || m.Attempts != 1 {
				t.Errorf("after takeover: %+v, want SENT after 1 recorded attempt", m)
			}
			if n := w.deliveries()[id+"@example.com"]; n != tt.deliveries {
				t.Errorf("%d e-mails, want %d", n, tt.deliveries)
			}
		})
	}
}
