package inbound_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Webhook throughput through the real handler (signature check, decision,
// DynamoDB Local writes) and DynamoDB calls per webhook. Run with
// `make bench`; the figures are DynamoDB Local's, on this machine.
//
//	known-sender    a participant bound to the agent (budget: ≤ 3 calls:
//	                the webhook key's item, the channel, the transaction)
//	new-sender      each message from a new sender: request + onboarding
//	pending-sender  a sender whose request is still PENDING writes again
func BenchmarkWebhook(b *testing.B) {
	w := newWorld(b)
	p := connectors.Telegram
	known := sender(p, 1)
	w.approve(b, p, known)
	pending := sender(p, 2)
	if res := w.send(b, w.message(p, pending, eventID(p, 2))); res.Code != 200 {
		b.Fatal(res.Code)
	}
	var seq atomic.Int64
	seq.Store(1_000_000)
	cases := []struct {
		name string
		msg  func(n int64) delivery
	}{
		{"known-sender", func(n int64) delivery { return w.message(p, known, strconv.FormatInt(n, 10)) }},
		{"new-sender", func(n int64) delivery { return w.message(p, strconv.FormatInt(n, 10), strconv.FormatInt(n, 10)) }},
		{"pending-sender", func(n int64) delivery { return w.message(p, pending, strconv.FormatInt(n, 10)) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			w.send(b, c.msg(seq.Add(1))) // the connector is cached, as in a warm Lambda
			before := w.Table.Counter.Calls()
			start := time.Now()
			b.ResetTimer()
			for range b.N {
				if res := w.send(b, c.msg(seq.Add(1))); res.Code != 200 {
					b.Fatalf("status %d: %s", res.Code, res.Body)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(w.Table.Counter.Calls()-before)/float64(b.N), "dynamodb-calls/op")
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
		b.Run(c.name+"/parallel", func(b *testing.B) {
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if res := w.send(b, c.msg(seq.Add(1))); res.Code != 200 {
						b.Errorf("status %d: %s", res.Code, res.Body)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkWebhookVsGet checks the budget "a webhook costs about what its
// DynamoDB calls cost": a known sender's webhook (3 calls) against GET one
// access request (2 calls, authorization included), interleaved in one
// run so that both see the same DynamoDB Local. Goal: ratio ≤ 2.
func BenchmarkWebhookVsGet(b *testing.B) {
	w := newWorld(b)
	w.OpenAPI = nil // measure the handlers, as pkg/accessrequests' benchmarks do
	p := connectors.Telegram
	known := sender(p, 1)
	w.approve(b, p, known)
	ar := w.SeedRequest(b, tenant, accessrequests.AccessRequest{AgentID: agent})
	get := "/v1/tenants/" + tenant + "/participantAccessRequests/" + ar.ID
	var seq atomic.Int64
	seq.Store(2_000_000)
	hook := func() {
		if res := w.send(b, w.message(p, known, strconv.FormatInt(seq.Add(1), 10))); res.Code != 200 {
			b.Fatalf("webhook: %d %s", res.Code, res.Body)
		}
	}
	read := func() {
		if res := w.Do(b, "GET", get, w.editor, ""); res.Status != 200 {
			b.Fatalf("GET: %d %s", res.Status, res.Body)
		}
	}
	hook() // warm: connector cache, connections, the token's keys
	read()
	var hookT, getT time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		hook()
		t1 := time.Now()
		read()
		hookT += t1.Sub(t0)
		getT += time.Since(t1)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	b.ReportMetric(ms(hookT), "webhook-ms/op")
	b.ReportMetric(ms(getT), "get-ms/op")
	b.ReportMetric(float64(hookT)/float64(getT), "webhook/get")
}

// rawKnownSender makes the DynamoDB calls of a known sender's webhook
// without the handler: the webhook key's item (strongly consistent), the
// channel index read, then the transaction of dedupe marker, participant
// check, lastMessageAt and event.
func rawKnownSender(ctx context.Context, w *world, c connectors.Connector, address, participant, eventID string) error {
	t := w.Platform.Store.Table()
	var hook map[string]any
	if err := t.Get("PK", store.HookPK(connectors.KeyHash(c.WebhookKey))).Range("SK", dynamo.Equal, store.MarkerSK).Consistent(true).One(ctx, &hook); err != nil {
		return err
	}
	var ci roster.ChannelIndex
	if err := t.Get("PK", store.ChannelPK(tenant, c.ID, address)).Range("SK", dynamo.Equal, store.MarkerSK).One(ctx, &ci); err != nil {
		return err
	}
	now := time.Now()
	tx := w.Platform.Store.Tx()
	tx.Put("dedupe", t.Put(map[string]any{"PK": store.DedupePK(tenant, c.ID, eventID), "SK": store.MarkerSK, "eventId": eventID,
		"createdAt": now.UnixMilli(), "expiresAt": now.Add(time.Hour).Unix()}).If("attribute_not_exists(PK) OR expiresAt < ?", now.Unix()))
	tx.Check("participant", t.Check("PK", store.ParticipantPK(tenant, participant)).Range("SK", store.ParticipantSK).
		If("attribute_exists(PK) AND (attribute_not_exists(disabledAt) OR disabledAt = ?) AND contains(agentIds, ?)", 0, c.AgentID))
	tx.Update("channel", t.Update("PK", store.ChannelPK(tenant, c.ID, address)).Range("SK", store.MarkerSK).
		Set("lastMessageAt", now.UnixMilli()).If("participantId = ?", participant))
	outbox.Enqueue(outbox.Message{ID: "raw-" + eventID, Kind: inbound.KindEventPut, Tenant: tenant,
		Payload: `{"source":"gatehouse","detailType":"InboundMessageAccepted","detail":{}}`, CreatedAt: now.UnixMilli(), ModifiedAt: now.UnixMilli()})(tx)
	return tx.Run(ctx)
}

// BenchmarkWebhookConcurrency: known-sender webhooks from 20 goroutines at
// once, next to the same DynamoDB calls made directly (rawKnownSender)
// from 20 goroutines, in one run. The ratio is what the handler keeps of
// what DynamoDB Local can take (1 = no overhead of its own).
func BenchmarkWebhookConcurrency(b *testing.B) {
	const workers = 20
	w := newWorld(b)
	w.OpenAPI = nil
	p := connectors.Telegram
	c := w.byProvider[p]
	known := sender(p, 1)
	participant := w.approve(b, p, known)
	var seq atomic.Int64
	seq.Store(3_000_000)
	run := func(op func(n int64) error) float64 {
		var wg sync.WaitGroup
		var next atomic.Int64
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					if err := op(seq.Add(1)); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return float64(b.N) / time.Since(start).Seconds()
	}
	hook := func(n int64) error {
		if res := w.send(b, w.message(p, known, strconv.FormatInt(n, 10))); res.Code != 200 {
			return fmt.Errorf("webhook: %d %s", res.Code, res.Body)
		}
		return nil
	}
	raw := func(n int64) error {
		return rawKnownSender(context.Background(), w, c, known, participant, strconv.FormatInt(n, 10))
	}
	_ = hook(seq.Add(1))
	_ = raw(seq.Add(1))
	b.ResetTimer()
	webhooks := run(hook)
	direct := run(raw)
	b.StopTimer()
	b.ReportMetric(webhooks, "webhook-msgs/s")
	b.ReportMetric(direct, "dynamodb-same-calls/s")
	b.ReportMetric(webhooks/direct, "webhook/dynamodb")
}
