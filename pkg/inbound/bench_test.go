package inbound_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/connectors"
)

// Webhook throughput through the real handler (signature check, decision,
// DynamoDB Local writes) and DynamoDB calls per webhook. Run with
// `make bench`; the figures are DynamoDB Local's, on this machine.
//
//	known-sender    a participant bound to the agent (budget: ≤ 2 calls)
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
