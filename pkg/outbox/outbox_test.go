package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

// script is a handler whose answers are scripted per message id.
type script struct {
	mu      sync.Mutex
	answers map[string][]error // consumed in order; then nil
	calls   map[string][]time.Time
}

func newScript() *script {
	return &script{answers: map[string][]error{}, calls: map[string][]time.Time{}}
}

func (s *script) handle(ctx context.Context, m outbox.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[m.ID] = append(s.calls[m.ID], time.Now())
	q := s.answers[m.ID]
	if len(q) == 0 {
		return nil
	}
	s.answers[m.ID] = q[1:]
	return q[0]
}

func (s *script) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls[id])
}

type env struct {
	tbl    *dynamokit.Table
	script *script
	d      *outbox.Dispatcher
}

const backoff = 150 * time.Millisecond

func newEnv(t *testing.T) *env {
	t.Helper()
	tbl := dynamokit.NewTable(t)
	s := newScript()
	d := outbox.New(tbl.Store, map[string]outbox.Handler{"test.kind": s.handle}, nil)
	d.Backoff = func(int) time.Duration { return backoff }
	d.MaxAttempts = 4
	d.Lease = 2 * time.Second
	d.MaxWait = 5 * time.Second
	return &env{tbl: tbl, script: s, d: d}
}

// poll runs the dispatcher over the table's stream until the test ends.
func (e *env) poll(t *testing.T) {
	t.Helper()
	cfg, _ := dynamokit.Config()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p := &outbox.Poller{Streams: dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(dynamokit.Endpoint(t)) }), Table: e.tbl.Store.Table(), Dispatcher: e.d, Interval: 50 * time.Millisecond}
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (e *env) enqueue(t *testing.T, id, kind string) { e.enqueueAged(t, id, kind, 0) }

// enqueueAged enqueues a message created age ago.
func (e *env) enqueueAged(t *testing.T, id, kind string, age time.Duration) {
	t.Helper()
	now := time.Now().UnixMilli()
	tx := e.tbl.Store.Tx().Join(outbox.Enqueue(outbox.Message{ID: id, Kind: kind, Tenant: "acme", Payload: `{}`, CreatedAt: now - age.Milliseconds(), ModifiedAt: now}))
	if err := tx.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type stored struct {
	outbox.Message
	LeaseUntil int64  `dynamo:"leaseUntil"`
	ClaimToken string `dynamo:"claimToken"`
	SentAt     int64  `dynamo:"sentAt"`
}

func (e *env) get(t *testing.T, id string) stored {
	t.Helper()
	var m stored
	if err := e.tbl.Store.Table().Get("PK", store.OutboxPK(id)).Range("SK", dynamo.Equal, store.OutboxSK).Consistent(true).One(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// wait waits until the message leaves PENDING/SENDING for good.
func (e *env) wait(t *testing.T, id string) stored {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := e.get(t, id); m.Status == outbox.StatusSent || m.Status == outbox.StatusFailed {
			return m
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("message %s never finished: %+v", id, e.get(t, id))
	return stored{}
}

var errTransient = errors.New("provider answered 503")

func TestDelivery(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		age       time.Duration // since the message was created
		answers   []error
		status    string
		calls     int
		lastError string
	}{
		{"first try", "test.kind", 0, nil, outbox.StatusSent, 1, ""},
		{"retry with backoff then success", "test.kind", 0, []error{errTransient, errTransient}, outbox.StatusSent, 3, ""},
		{"permanent failure is not retried", "test.kind", 0, []error{fmt.Errorf("%w: chat not found", outbox.ErrPermanent)}, outbox.StatusFailed, 1, "chat not found"},
		{"attempts are bounded", "test.kind", 0, []error{errTransient, errTransient, errTransient, errTransient, errTransient, errTransient}, outbox.StatusFailed, 4, "503"},
		{"a message older than MaxAge fails on its next transient failure", "test.kind", 25 * time.Hour, []error{errTransient, errTransient}, outbox.StatusFailed, 1, "503"},
		{"a message younger than MaxAge is retried", "test.kind", 23 * time.Hour, []error{errTransient}, outbox.StatusSent, 2, ""},
	}
	e := newEnv(t)
	e.poll(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("m%d", i)
			e.script.mu.Lock()
			e.script.answers[id] = tt.answers
			e.script.mu.Unlock()
			start := time.Now()
			e.enqueueAged(t, id, tt.kind, tt.age)
			m := e.wait(t, id)
			time.Sleep(3 * backoff) // a further attempt would show now
			if m.Status != tt.status || !strings.Contains(m.LastError, tt.lastError) || (tt.lastError == "" && m.LastError != "") {
				t.Errorf("status %s lastError %q, want %s %q", m.Status, m.LastError, tt.status, tt.lastError)
			}
			if got := e.script.count(id); got != tt.calls {
				t.Errorf("handler calls = %d, want %d", got, tt.calls)
			}
			if tt.calls > 0 && m.Attempts != tt.calls {
				t.Errorf("attempts = %d, want %d", m.Attempts, tt.calls)
			}
			if m.ExpiresAt < start.Unix() || m.ClaimToken != "" || m.LeaseUntil != 0 || m.NextAttemptAt != 0 {
				t.Errorf("finished item %+v: want a TTL and no claim or schedule left", m)
			}
			if m.Status == outbox.StatusSent && m.SentAt == 0 {
				t.Error("sentAt missing")
			}
			// Each retry waited for its nextAttemptAt.
			e.script.mu.Lock()
			calls := e.script.calls[id]
			e.script.mu.Unlock()
			for j := 1; j < len(calls); j++ {
				if gap := calls[j].Sub(calls[j-1]); gap < backoff {
					t.Errorf("attempt %d came %v after the previous, before the %v backoff", j+1, gap, backoff)
				}
			}
		})
	}
}

// A kind this dispatcher has no handler for is left PENDING for one that
// has, whether the change names the kind or not.
func TestUnknownKindIsLeftPending(t *testing.T) {
	e := newEnv(t)
	e.enqueue(t, "other", "mail.send")
	ctx := context.Background()
	for _, c := range []outbox.Change{
		{MessageID: "other", Status: outbox.StatusPending, Kind: "mail.send"},
		{MessageID: "other", Status: outbox.StatusPending},
	} {
		if err := e.d.Process(ctx, c); err != nil {
			t.Fatalf("Process(%+v) = %v", c, err)
		}
		if m := e.get(t, "other"); m.Status != outbox.StatusPending || m.Attempts != 0 || m.ClaimToken != "" {
			t.Errorf("after %+v: %+v, want untouched PENDING", c, m)
		}
	}
	// A dispatcher that knows the kind delivers it.
	calls := 0
	other := outbox.New(e.tbl.Store, map[string]outbox.Handler{"mail.send": func(context.Context, outbox.Message) error { calls++; return nil }}, nil)
	if err := other.Process(ctx, outbox.Change{MessageID: "other", Status: outbox.StatusPending}); err != nil || calls != 1 {
		t.Errorf("Process = %v, calls %d", err, calls)
	}
}

// Many deliveries of one record (redeliveries, concurrent shards): one call.
func TestConcurrentProcessDeliversOnce(t *testing.T) {
	e := newEnv(t)
	e.enqueue(t, "dup", "test.kind")
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.d.Process(context.Background(), outbox.Change{RecordID: "1", MessageID: "dup", Status: outbox.StatusPending})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("Process = %v", err)
		}
	}
	if n := e.script.count("dup"); n != 1 {
		t.Errorf("handler calls = %d, want 1", n)
	}
	if m := e.get(t, "dup"); m.Status != outbox.StatusSent {
		t.Errorf("status = %s", m.Status)
	}
}

// A claimer that crashed leaves SENDING with a lease; once it runs out the
// redelivered record takes over.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	e := newEnv(t)
	e.enqueue(t, "crashed", "test.kind")
	ctx := context.Background()
	if err := e.tbl.Store.Table().Update("PK", store.OutboxPK("crashed")).Range("SK", store.OutboxSK).
		Set("status", "SENDING").Set("claimToken", "dead").Set("leaseUntil", time.Now().Add(300*time.Millisecond).UnixMilli()).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Process(ctx, outbox.Change{MessageID: "crashed", Status: outbox.StatusPending}); err != nil {
		t.Fatalf("Process = %v", err)
	}
	if m := e.get(t, "crashed"); m.Status != outbox.StatusSent || e.script.count("crashed") != 1 {
		t.Errorf("after takeover: %+v, calls %d", m, e.script.count("crashed"))
	}
}

// A live claimer finishing while another record waits: no second call.
func TestLiveClaimIsRespected(t *testing.T) {
	e := newEnv(t)
	e.enqueue(t, "busy", "test.kind")
	ctx := context.Background()
	tbl := e.tbl.Store.Table()
	if err := tbl.Update("PK", store.OutboxPK("busy")).Range("SK", store.OutboxSK).
		Set("status", "SENDING").Set("claimToken", "alive").Set("leaseUntil", time.Now().Add(time.Minute).UnixMilli()).Run(ctx); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = tbl.Update("PK", store.OutboxPK("busy")).Range("SK", store.OutboxSK).Set("status", outbox.StatusSent).Set("attempts", 1).Remove("claimToken", "leaseUntil").Run(ctx)
	}()
	if err := e.d.Process(ctx, outbox.Change{MessageID: "busy", Status: outbox.StatusPending}); err != nil {
		t.Fatalf("Process = %v", err)
	}
	if n := e.script.count("busy"); n != 0 {
		t.Errorf("handler calls = %d, want 0 (the other claimer delivered)", n)
	}
}

func record(seq, pk, status string, attempts int, next int64) events.DynamoDBEventRecord {
	img := map[string]events.DynamoDBAttributeValue{
		"PK": events.NewStringAttribute(pk), "SK": events.NewStringAttribute("O"),
		"status": events.NewStringAttribute(status), "attempts": events.NewNumberAttribute(fmt.Sprint(attempts)),
		"kind": events.NewStringAttribute("test.kind"),
	}
	if next != 0 {
		img["nextAttemptAt"] = events.NewNumberAttribute(fmt.Sprint(next))
	}
	return events.DynamoDBEventRecord{EventName: "MODIFY", Change: events.DynamoDBStreamRecord{SequenceNumber: seq,
		Keys: map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute(pk), "SK": events.NewStringAttribute("O")}, NewImage: img}}
}

// The Lambda handler reports exactly the records to redeliver.
func TestHandleStreamPartialBatchFailure(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"ready", "later", "stale", "flaky"} {
		e.enqueue(t, id, "test.kind")
	}
	e.script.answers["flaky"] = []error{errTransient}
	ctx := context.Background()
	// "later" is scheduled beyond what this invocation may wait.
	far := time.Now().Add(time.Hour).UnixMilli()
	if err := e.tbl.Store.Table().Update("PK", store.OutboxPK("later")).Range("SK", store.OutboxSK).Set("nextAttemptAt", far).Set("attempts", 1).Run(ctx); err != nil {
		t.Fatal(err)
	}
	// "stale" moved on since its record was written.
	if err := e.tbl.Store.Table().Update("PK", store.OutboxPK("stale")).Range("SK", store.OutboxSK).Set("status", outbox.StatusSent).Set("attempts", 1).Run(ctx); err != nil {
		t.Fatal(err)
	}
	ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record("100", "OUTBOX#ready", "PENDING", 0, 0),
		record("200", "OUTBOX#later", "PENDING", 1, far),
		record("300", "OUTBOX#stale", "PENDING", 0, 0),
		record("400", "OUTBOX#flaky", "PENDING", 0, 0),
		record("500", "T#acme#AR#x", "PENDING", 0, 0), // not an outbox item
		record("600", "OUTBOX#ready", "SENT", 1, 0),   // not pending
	}}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := e.d.HandleStream(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "200" {
		t.Errorf("batch item failures = %+v, want only 200", resp.BatchItemFailures)
	}
	if m := e.get(t, "ready"); m.Status != outbox.StatusSent {
		t.Errorf("ready: %s", m.Status)
	}
	// The flaky one was rescheduled (a new stream record), not reported.
	if m := e.get(t, "flaky"); m.Status != outbox.StatusPending || m.Attempts != 1 || m.NextAttemptAt == 0 || m.LastError == "" {
		t.Errorf("flaky: %+v", m)
	}
	if e.script.count("stale") != 0 || e.script.count("later") != 0 {
		t.Error("a stale or future record was delivered")
	}
}

func TestChangeFromLambda(t *testing.T) {
	tests := []struct {
		name string
		rec  events.DynamoDBEventRecord
		want outbox.Change
		ok   bool
	}{
		{"pending", record("1", "OUTBOX#a", "PENDING", 2, 99), outbox.Change{RecordID: "1", MessageID: "a", Status: "PENDING", Attempts: 2, NextAttemptAt: 99, Kind: "test.kind"}, true},
		{"sent", record("1", "OUTBOX#a", "SENT", 2, 0), outbox.Change{}, false},
		{"other item", record("1", "T#x#AR#1", "PENDING", 0, 0), outbox.Change{}, false},
		{"empty id", record("1", "OUTBOX#", "PENDING", 0, 0), outbox.Change{}, false},
		{"remove", func() events.DynamoDBEventRecord {
			r := record("1", "OUTBOX#a", "PENDING", 0, 0)
			r.EventName = "REMOVE"
			return r
		}(), outbox.Change{}, false},
		{"status not a string", func() events.DynamoDBEventRecord {
			r := record("1", "OUTBOX#a", "PENDING", 0, 0)
			r.Change.NewImage["status"] = events.NewNumberAttribute("1")
			return r
		}(), outbox.Change{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := outbox.ChangeFromLambda(tt.rec)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzChangeFromLambda: any stream record parses without panicking and
// yields only PENDING outbox changes.
func FuzzChangeFromLambda(f *testing.F) {
	f.Add("OUTBOX#a", "PENDING", "0", "0", "MODIFY")
	f.Add("OUTBOX#", "SENT", "x", "-1", "INSERT")
	f.Add("T#a", "PENDING", "99999999999999999999", "1.5", "REMOVE")
	f.Fuzz(func(t *testing.T, pk, status, attempts, next, name string) {
		r := events.DynamoDBEventRecord{EventName: name, Change: events.DynamoDBStreamRecord{
			Keys: map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute(pk)},
			NewImage: map[string]events.DynamoDBAttributeValue{"status": events.NewStringAttribute(status),
				"attempts": events.NewNumberAttribute(attempts), "nextAttemptAt": events.NewNumberAttribute(next)}}}
		c, ok := outbox.ChangeFromLambda(r)
		if ok && (c.Status != "PENDING" || c.MessageID == "" || "OUTBOX#"+c.MessageID != pk || c.Attempts < 0) {
			t.Fatalf("accepted %+v from %q", c, pk)
		}
	})
}

func TestDefaultBackoff(t *testing.T) {
	prev := time.Duration(0)
	for a := 1; a <= 12; a++ {
		d := outbox.DefaultBackoff(a)
		if d < time.Second || d > outbox.DefaultMaxBackoff*6/5 {
			t.Errorf("backoff(%d) = %v, outside 1 s..6 min", a, d)
		}
		// Doubling beats ±20 % jitter until the cap.
		if a <= 8 && d < prev {
			t.Errorf("backoff(%d) = %v does not grow (previous %v)", a, d, prev)
		}
		prev = d
	}
}

// The default policy: a ten-minute outage uses a handful of attempts, and
// even at the shortest jitter MaxAttempts lasts beyond MaxAge, so the age
// (a day) is what ends retries.
func TestDefaultRetrySpan(t *testing.T) {
	shortest := func(attempt int) time.Duration {
		return min(2*time.Second<<min(attempt-1, 8), outbox.DefaultMaxBackoff) * 4 / 5
	}
	var span time.Duration
	inTenMinutes := 0
	for a := 1; a < outbox.DefaultMaxAttempts; a++ {
		span += shortest(a)
		if span <= 10*time.Minute {
			inTenMinutes = a + 1
		}
	}
	if inTenMinutes >= outbox.DefaultMaxAttempts || inTenMinutes > 12 {
		t.Errorf("%d attempts within ten minutes", inTenMinutes)
	}
	if span < outbox.DefaultMaxAge {
		t.Errorf("%d attempts span %v at the shortest jitter, less than MaxAge %v", outbox.DefaultMaxAttempts, span, outbox.DefaultMaxAge)
	}
	// The longest backoff is waited out within the event source mapping's
	// 10 retries (template.yaml MaximumRetryAttempts), each waiting MaxWait.
	if longest := outbox.DefaultMaxBackoff * 6 / 5; longest >= 10*outbox.DefaultMaxWait {
		t.Errorf("backoff up to %v outlasts 10 redeliveries of %v", longest, outbox.DefaultMaxWait)
	}
}

// A change whose next attempt lies beyond what one call may wait uses up
// that wait before it is handed back for redelivery: redeliveries come at
// once, and they are bounded (the event source mapping's 10, the
// poller's Retries), so each must cover MaxWait of the backoff.
func TestFarRetryWaitsOutMaxWait(t *testing.T) {
	e := newEnv(t)
	e.d.MaxWait = 400 * time.Millisecond
	e.enqueue(t, "far", "test.kind")
	far := time.Now().Add(time.Hour).UnixMilli()
	if err := e.tbl.Store.Table().Update("PK", store.OutboxPK("far")).Range("SK", store.OutboxSK).Set("nextAttemptAt", far).Set("attempts", 1).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := e.d.Process(context.Background(), outbox.Change{MessageID: "far", Status: outbox.StatusPending, Attempts: 1, NextAttemptAt: far})
	if !errors.Is(err, outbox.ErrRetryLater) {
		t.Fatalf("Process = %v, want ErrRetryLater", err)
	}
	if waited := time.Since(start); waited < e.d.MaxWait {
		t.Errorf("handed back after %v, before MaxWait %v", waited, e.d.MaxWait)
	}
	if e.script.count("far") != 0 {
		t.Error("delivered before its time")
	}
}

// The sample stream event (events/stream/dispatcher-outbox.json, for `sam
// local invoke DispatcherFunction`) goes through the Lambda handler as
// aws-lambda-go decodes it, and its message is delivered.
func TestSampleStreamEvent(t *testing.T) {
	root, err := tabledef.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "events", "stream", "dispatcher-outbox.json"))
	if err != nil {
		t.Fatal(err)
	}
	tbl := dynamokit.NewTable(t)
	var got []outbox.Message
	d := outbox.New(tbl.Store, map[string]outbox.Handler{"chat.send": func(_ context.Context, m outbox.Message) error {
		got = append(got, m)
		return nil
	}}, nil)
	const id = "onboarding-0b6f1c3e-5d2a-4c8e-9f7a-3e1d2c4b5a69"
	tx := tbl.Store.Tx().Join(outbox.Enqueue(outbox.Message{ID: id, Kind: "chat.send", Tenant: "demo", Payload: `{"replyTo":"7001001"}`}))
	if err := tx.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := lambda.NewHandler(d.HandleStream).Invoke(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"batchItemFailures":[]}` {
		t.Errorf("response = %s", out)
	}
	if len(got) != 1 || got[0].ID != id {
		t.Errorf("delivered %+v", got)
	}
}
