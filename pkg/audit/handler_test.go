package audit_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
)

const base = "/v1/tenants/" + tenant

func list(t *testing.T, e *apikit.Env, token, query string) ([]audit.View, apikit.Response) {
	t.Helper()
	res := e.Do(t, http.MethodGet, base+"/auditEvents"+query, token, "")
	var got []audit.View
	if res.Status == http.StatusOK {
		if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
			t.Fatalf("body %s: %v", res.Body, err)
		}
	}
	return got, res
}

// A decision writes exactly one audit entry and one event for the request,
// in its transaction; a decision that fails writes neither.
func TestDecisionWritesOneEntryAndOneEvent(t *testing.T) {
	e := apikit.New(t)
	admin := e.Token(t, "admin", map[string]string{tenant: "ADMIN"})
	taken := roster.Participant{ID: uuid.NewString(), Kind: roster.KindPerson, DisplayName: "Owner",
		Channels: []roster.Channel{{IntegrationConfigID: connector, Address: "UTAKEN"}}, CreatedAt: 1, ModifiedAt: 1}
	if err := roster.NewRepo(e.Platform.Store).CreateParticipant(context.Background(), tenant, taken, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		address    string
		verbs      []string // POST verbs (DELETE for "unblock")
		wantStatus int      // of the last verb
		// wantActions are the request's entries after creation, oldest first.
		wantActions []string
	}{
		{"approve", "", []string{"approve"}, http.StatusOK, []string{audit.AccessRequestApproved}},
		{"reject", "", []string{"reject"}, http.StatusOK, []string{audit.AccessRequestRejected}},
		{"block and unblock", "", []string{"block", "unblock"}, http.StatusNoContent, []string{audit.AccessRequestBlocked, audit.AccessRequestUnblocked}},
		{"unblock twice writes once", "", []string{"block", "unblock", "unblock"}, http.StatusNoContent, []string{audit.AccessRequestBlocked, audit.AccessRequestUnblocked}},
		{"approve twice: not pending", "", []string{"approve", "approve"}, http.StatusBadRequest, []string{audit.AccessRequestApproved}},
		{"approve fails: channel taken", "UTAKEN", []string{"approve"}, http.StatusConflict, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ar := e.SeedRequest(t, tenant, apiRequest(tt.address))
			var last apikit.Response
			for _, v := range tt.verbs {
				if v == "unblock" {
					last = e.Do(t, http.MethodDelete, base+"/participantAccessRequests/"+ar.ID+":block", admin, "")
					continue
				}
				last = e.Do(t, http.MethodPost, base+"/participantAccessRequests/"+ar.ID+":"+v, admin, "{}")
			}
			if last.Status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", last.Status, tt.wantStatus, last.Body)
			}
			entries, res := list(t, e, admin, "?targetType=accessRequest&targetId="+ar.ID)
			if res.Status != http.StatusOK {
				t.Fatalf("list = %d %s", res.Status, res.Body)
			}
			var got []string
			for i := len(entries) - 1; i >= 0; i-- {
				got = append(got, entries[i].Action)
			}
			want := append([]string{audit.AccessRequestCreated}, tt.wantActions...)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("entries = %v, want %v", got, want)
			}
			last1 := entries[0]
			if len(tt.wantActions) > 0 && (last1.Actor != "admin" || last1.RequestID == nil || last1.SourceIP == nil || last1.AgentID == nil || *last1.AgentID != ar.AgentID) {
				t.Errorf("latest entry = %+v, want actor admin with the request's id and source IP", last1)
			}
			var evs []string
			for _, ev := range events(t, e.Table) {
				var d audit.AccessRequestDetail
				if json.Unmarshal(ev.Detail, &d) == nil && d.AccessRequestID == ar.ID {
					evs = append(evs, ev.DetailType)
				}
			}
			if len(evs) != len(want) {
				t.Errorf("events = %v, want one per entry %v", evs, want)
			}
		})
	}
}

func apiRequest(address string) accessrequests.AccessRequest {
	return accessrequests.AccessRequest{IntegrationConfigID: connector, Address: address, AgentID: agent}
}

// seedEntries appends entries straight to the trail: agent a1 or a2,
// actor alice or bob, targets p1 or p2, one second apart from t0.
// Two participant ids (the API checks target ids are UUIDs).
const p1, p2 = "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2"

func seedEntries(t *testing.T, e *apikit.Env, t0 int64, n int) {
	t.Helper()
	for i := range n {
		c := audit.Change{Scope: store.TenantScope(tenant), AgentID: []string{"a1", "a2"}[i%2], Action: audit.ParticipantUpdated,
			TargetType: audit.TargetParticipant, TargetID: []string{p1, p2}[i%3%2], Actor: []string{"alice", "bob"}[i%2], At: t0 + int64(i)*1000}
		if err := e.Platform.Store.Tx().Join(audit.Record(context.Background(), c)).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListFiltersAndPages(t *testing.T) {
	e := apikit.New(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	seedEntries(t, e, t0, 9)
	admin := e.Token(t, "admin", map[string]string{tenant: "ADMIN"})
	tests := []struct {
		name    string
		query   string
		wantAts []int // entry indexes, newest first
	}{
		{"all", "", []int{8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"agent", "?agentId=a2", []int{7, 5, 3, 1}},
		{"actor", "?actor=alice", []int{8, 6, 4, 2, 0}},
		{"target", "?targetType=PARTICIPANT&targetId=" + p2, []int{7, 4, 1}},
		{"target and actor", "?targetType=participant&targetId=" + p2 + "&actor=bob", []int{7, 1}},
		{"time range", "?from=" + ms(t0+2000) + "&to=" + ms(t0+4000), []int{4, 3, 2}},
		{"RFC 3339 range and agent", "?agentId=a1&from=" + url.QueryEscape(time.UnixMilli(t0+5000).UTC().Format(time.RFC3339)), []int{8, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res := list(t, e, admin, tt.query)
			if res.Status != http.StatusOK {
				t.Fatalf("status = %d: %s", res.Status, res.Body)
			}
			if gotAts := indexes(got, t0); !equal(gotAts, tt.wantAts) {
				t.Errorf("entries = %v, want %v", gotAts, tt.wantAts)
			}
		})
	}

	t.Run("pages follow Link", func(t *testing.T) {
		var all []audit.View
		next := base + "/auditEvents?pageSize=4&actor=alice"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("too many pages")
			}
			res := e.Do(t, http.MethodGet, next, admin, "")
			var page []audit.View
			if err := json.Unmarshal([]byte(res.Body), &page); err != nil {
				t.Fatal(err)
			}
			all = append(all, page...)
			next = ""
			if l := res.Header.Get("Link"); l != "" {
				u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`))
				if err != nil {
					t.Fatal(err)
				}
				next = u.RequestURI()
			}
		}
		if got, want := indexes(all, t0), []int{8, 6, 4, 2, 0}; !equal(got, want) {
			t.Errorf("paged entries = %v, want %v", got, want)
		}
	})

	t.Run("JSON Lines", func(t *testing.T) {
		res := e.Do(t, http.MethodGet, base+"/auditEvents?format=jsonl&agentId=a2", admin, "")
		if res.Status != http.StatusOK || res.Header.Get("Content-Type") != audit.MediaJSONLines {
			t.Fatalf("status %d, type %q", res.Status, res.Header.Get("Content-Type"))
		}
		lines := strings.Split(strings.TrimSuffix(res.Body, "\n"), "\n")
		var got []audit.View
		for _, l := range lines {
			var v audit.View
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			got = append(got, v)
		}
		if gotAts, want := indexes(got, t0), []int{7, 5, 3, 1}; !equal(gotAts, want) {
			t.Errorf("lines = %v, want %v", gotAts, want)
		}
	})
}

// Tenant ADMINs and the agent's ADMINs read; nobody else.
func TestListAuthorization(t *testing.T) {
	e := apikit.New(t)
	seedEntries(t, e, time.Now().UnixMilli(), 2)
	e.SeedMember(t, tenant, "a1", "agent-admin", "ADMIN")
	e.SeedMember(t, tenant, "a1", "editor", "EDITOR")
	tests := []struct {
		name, sub, role, query string
		want                   int
		wantCount              int
	}{
		{"tenant admin", "admin", "ADMIN", "?targetType=participant", http.StatusOK, 2},
		{"agent admin", "agent-admin", "MEMBER", "?agentId=a1&targetType=participant", http.StatusOK, 1},
		{"agent admin, the grants seeded", "agent-admin", "MEMBER", "?agentId=a1&targetType=collaborator", http.StatusOK, 2},
		{"agent admin, tenant-wide", "agent-admin", "MEMBER", "", http.StatusBadRequest, 0},
		{"agent admin, other agent", "agent-admin", "MEMBER", "?agentId=a2", http.StatusNotFound, 0},
		{"editor", "editor", "MEMBER", "?agentId=a1", http.StatusForbidden, 0},
		{"no role", "stranger", "MEMBER", "?agentId=a1", http.StatusNotFound, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res := list(t, e, e.Token(t, tt.sub, map[string]string{tenant: tt.role}), tt.query)
			if res.Status != tt.want || len(got) != tt.wantCount {
				t.Errorf("status %d with %d entries, want %d with %d: %s", res.Status, len(got), tt.want, tt.wantCount, res.Body)
			}
		})
	}
	other := e.Token(t, "admin", map[string]string{"other": "ADMIN"})
	if _, res := list(t, e, other, ""); res.Status != http.StatusNotFound {
		t.Errorf("another tenant's admin: %d, want 404", res.Status)
	}
}

func ms(v int64) string { return strconv.FormatInt(v, 10) }

// indexes maps entries back to their seedEntries index.
func indexes(vs []audit.View, t0 int64) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = int((v.CreatedAt - t0) / 1000)
	}
	return out
}

func equal(a, b []int) bool { return slices.Equal(a, b) }
