package shares_test

import (
	"fmt"
	"testing"
)

// DynamoDB round trips of a decline: read, claim, commit (Keycloak aside).
func BenchmarkDecline(b *testing.B) {
	w := newWorld(b)
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = w.registered(b, fmt.Sprintf("bench%d@example.com", i)).UserID
	}
	w.OpenAPI = nil
	b.ResetTimer()
	start := w.Table.Counter.Calls()
	for i := range b.N {
		if r := w.Do(b, "POST", "/v1/shares/"+ids[i]+"/decline", w.tokens["admin"], ""); r.Status != 204 {
			b.Fatalf("decline: %d %s", r.Status, r.Body)
		}
	}
	b.ReportMetric(float64(w.Table.Counter.Calls()-start)/float64(b.N), "dynamodb-calls/op")
}

// One page of the pending list is one Query, whatever the table holds.
func BenchmarkPendingList(b *testing.B) {
	w := newWorld(b)
	for i := range 60 {
		w.registered(b, fmt.Sprintf("pending%d@example.com", i))
	}
	w.OpenAPI = nil
	b.ResetTimer()
	start := w.Table.Counter.Calls()
	for range b.N {
		if r := w.Do(b, "GET", "/v1/shares/org-a/pending-requests?pageSize=50", w.tokens["admin"], ""); r.Status != 200 {
			b.Fatalf("pending: %d %s", r.Status, r.Body)
		}
	}
	b.ReportMetric(float64(w.Table.Counter.Calls()-start)/float64(b.N), "dynamodb-calls/op")
}
