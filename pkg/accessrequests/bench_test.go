package accessrequests_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
)

// benchEnv is an API with an EDITOR token; the OpenAPI check is off so
// the loop measures the service alone.
func benchEnv(b *testing.B) (*apikit.Env, string) {
	b.Helper()
	e := apikit.New(b)
	e.OpenAPI = nil
	e.SeedMember(b, tenant, "agent-1", "editor", authz.RoleEditor)
	return e, e.Token(b, "editor", map[string]string{tenant: "MEMBER"})
}

// serve sends one request straight to the handler and fails on an
// unexpected status.
func serve(b *testing.B, e *apikit.Env, method, target, token, body string, want int) {
	var r *strings.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	var req *http.Request
	if r != nil {
		req = httptest.NewRequest(method, target, r)
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d, want %d: %s", method, target, rec.Code, want, rec.Body)
	}
}

// measure runs op b.N times and reports DynamoDB calls per op.
func measure(b *testing.B, e *apikit.Env, op func(i int)) {
	b.Helper()
	op(-1) // warm up: connections, the token's keys
	before := e.Table.Counter.Calls()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(e.Table.Counter.Calls()-before)/float64(b.N), "ddbcalls/op")
}

func BenchmarkGet(b *testing.B) {
	e, tok := benchEnv(b)
	ar := e.SeedRequest(b, tenant, accessrequests.AccessRequest{})
	measure(b, e, func(int) { serve(b, e, "GET", path(ar.ID), tok, "", 200) })
}

func BenchmarkList(b *testing.B) {
	e, tok := benchEnv(b)
	seedBulk(b, e, "agent-1", 200)
	target := "/v1/tenants/" + tenant + "/participantAccessRequests?agentId=agent-1&status=PENDING&pageSize=50"
	measure(b, e, func(int) { serve(b, e, "GET", target, tok, "", 200) })
}

// pending seeds n+1 PENDING requests (one for the warm-up) outside the timer.
func pending(b *testing.B, e *apikit.Env, n int) []accessrequests.AccessRequest {
	b.Helper()
	out := make([]accessrequests.AccessRequest, n+1)
	for i := range out {
		out[i] = e.SeedRequest(b, tenant, accessrequests.AccessRequest{DisplayName: "Bench"})
	}
	return out
}

func BenchmarkApprove(b *testing.B) {
	e, tok := benchEnv(b)
	ars := pending(b, e, b.N)
	measure(b, e, func(i int) {
		serve(b, e, "POST", path(ars[i+1].ID)+":approve", tok, `{"mode":"CREATE_NEW"}`, 200)
	})
}

func BenchmarkReject(b *testing.B) {
	e, tok := benchEnv(b)
	ars := pending(b, e, b.N)
	measure(b, e, func(i int) {
		serve(b, e, "POST", path(ars[i+1].ID)+":reject", tok, `{"note":"not now"}`, 200)
	})
}

// seedBulk writes n PENDING requests of agent with BatchWrite, in parallel.
func seedBulk(b *testing.B, e *apikit.Env, agent string, n int) {
	b.Helper()
	const chunk, workers = 500, 8
	start := time.Now().Add(-time.Duration(n) * time.Millisecond).UnixMilli()
	work := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := range work {
				to := min(from+chunk, n)
				ars := make([]accessrequests.AccessRequest, 0, to-from)
				for i := from; i < to; i++ {
					id := uuid.NewString()
					ars = append(ars, accessrequests.AccessRequest{ID: id, IntegrationConfigID: id, Provider: "SLACK", Address: "U" + id[:8],
						AgentID: agent, Status: accessrequests.StatusPending, DisplayName: fmt.Sprintf("Sender %d", i),
						CreatedAt: start + int64(i), ModifiedAt: start + int64(i)})
				}
				if err := accessrequests.NewRepo(e.Platform.Store).PutAccessRequests(context.Background(), tenant, ars); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for from := 0; from < n; from += chunk {
		work <- from
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListScale compares one list page of an agent with 1k requests
// and one with 100k (each in its own table); the budget is 1.2x. The
// tables are seeded once, in the parent; -short uses 10k instead of 100k.
func BenchmarkListScale(b *testing.B) {
	big := 100_000
	if testing.Short() {
		big = 10_000
	}
	small, tok1 := benchEnv(b)
	large, tok2 := benchEnv(b)
	seedStart := time.Now()
	seedBulk(b, small, "agent-1", 1_000)
	seedBulk(b, large, "agent-1", big)
	b.Logf("seeded 1k + %d requests in %v", big, time.Since(seedStart).Round(time.Millisecond))
	target := "/v1/tenants/" + tenant + "/participantAccessRequests?agentId=agent-1&status=PENDING&pageSize=50"
	one := func(b *testing.B, e *apikit.Env, tok string) time.Duration {
		t0 := time.Now()
		serve(b, e, "GET", target, tok, "", 200)
		return time.Since(t0)
	}
	b.Run(fmt.Sprintf("1k-vs-%dk", big/1000), func(b *testing.B) {
		for i := 0; i < 20; i++ { // warm up both
			one(b, small, tok1)
			one(b, large, tok2)
		}
		var tSmall, tLarge time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ { // alternate so drift hits both alike
			tSmall += one(b, small, tok1)
			tLarge += one(b, large, tok2)
		}
		b.StopTimer()
		ns1k := float64(tSmall.Nanoseconds()) / float64(b.N)
		nsBig := float64(tLarge.Nanoseconds()) / float64(b.N)
		b.ReportMetric(ns1k, "ns/page@1k")
		b.ReportMetric(nsBig, fmt.Sprintf("ns/page@%dk", big/1000))
		b.ReportMetric(nsBig/ns1k, "ratio")
		if b.N >= 20 && nsBig/ns1k > 1.2 {
			b.Logf("over budget: a page at %d items takes %.2fx a page at 1k (budget 1.2x)", big, nsBig/ns1k)
		}
	})
}
