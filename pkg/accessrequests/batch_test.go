package accessrequests_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

const batchBase = "/v1/tenants/" + tenant + "/participantAccessRequests"

type batchResult struct {
	ID            string         `json:"id"`
	AccessRequest map[string]any `json:"accessRequest"`
	Problem       map[string]any `json:"problem"`
}

func batchResults(t *testing.T, body string) []batchResult {
	t.Helper()
	var out struct{ Results []batchResult }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return out.Results
}

func idsBody(ids []string, extra string) string {
	b, _ := json.Marshal(ids)
	return `{"ids":` + string(b) + extra + `}`
}

// TestBatchMixed decides 100 ids of every kind in one call: each gets the
// result its single call would have had, in input order.
func TestBatchMixed(t *testing.T) {
	for _, verb := range []string{"approve", "reject"} {
		t.Run(verb, func(t *testing.T) {
			w := newWorld(t)
			w.SeedMember(t, tenant, "agent-3", "editor", authz.RoleViewer) // too weak there
			repo := accessrequests.NewRepo(w.Platform.Store)
			type want struct {
				status int    // 200, or the problem's status
				typ    string // the problem's type slug
			}
			var ids []string
			var wants []want
			for i := range 100 {
				switch i % 5 {
				case 0, 1: // pending on the caller's agent
					ids = append(ids, w.SeedRequest(t, tenant, accessrequests.AccessRequest{}).ID)
					wants = append(wants, want{200, ""})
				case 2: // already decided
					ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
					if _, err := repo.Decide(context.Background(), tenant, ar, accessrequests.Decision{Status: accessrequests.StatusRejected, By: "x", At: 1}); err != nil {
						t.Fatal(err)
					}
					ids = append(ids, ar.ID)
					wants = append(wants, want{400, "not-pending"})
				case 3: // another agent: none (404) or VIEWER (403)
					if i%10 == 3 {
						ids = append(ids, w.SeedRequest(t, tenant, accessrequests.AccessRequest{AgentID: "agent-2"}).ID)
						wants = append(wants, want{404, "not-found"})
					} else {
						ids = append(ids, w.SeedRequest(t, tenant, accessrequests.AccessRequest{AgentID: "agent-3"}).ID)
						wants = append(wants, want{403, "forbidden"})
					}
				case 4: // unknown
					ids = append(ids, uuid.NewString())
					wants = append(wants, want{404, "not-found"})
				}
			}
			res := w.Do(t, "POST", batchBase+":batch"+strings.ToUpper(verb[:1])+verb[1:], w.tokens["editor"], idsBody(ids, `,"note":"bulk"`))
			if res.Status != 200 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			got := batchResults(t, res.Body)
			if len(got) != len(ids) {
				t.Fatalf("%d results, want %d", len(got), len(ids))
			}
			wantStatus := map[string]string{"approve": "APPROVED", "reject": "REJECTED"}[verb]
			for i, g := range got {
				wt := wants[i]
				if g.ID != ids[i] {
					t.Fatalf("result %d is %s, want %s (input order)", i, g.ID, ids[i])
				}
				if wt.status == 200 {
					if g.Problem != nil || g.AccessRequest["status"] != wantStatus || g.AccessRequest["processingNote"] != "bulk" || g.AccessRequest["processedBy"] != "editor" {
						t.Errorf("%d: got %+v, want %s", i, g, wantStatus)
					}
					continue
				}
				p := g.Problem
				if g.AccessRequest != nil || p == nil || p["status"] != float64(wt.status) || p["type"] != problem.TypeBase+wt.typ || p["instance"] != batchBase+"/"+ids[i]+":"+verb {
					t.Errorf("%d: got %+v, want problem %d %s", i, g, wt.status, wt.typ)
				}
				if wt.typ == "not-pending" && p["currentStatus"] != "REJECTED" {
					t.Errorf("%d: currentStatus = %v", i, p["currentStatus"])
				}
			}
			// The stored rows agree with the results.
			for i, id := range ids {
				if wants[i].status != 200 {
					continue
				}
				if got := decode(t, w.Do(t, "GET", path(id), w.tokens["editor"], "").Body)["status"]; got != wantStatus {
					t.Errorf("%s stored %v, want %s", id, got, wantStatus)
				}
			}
		})
	}
}

func TestBatchBody(t *testing.T) {
	w := newWorld(t)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
	many := make([]string, 101)
	for i := range many {
		many[i] = uuid.NewString()
	}
	tests := []struct {
		name, verb, body string
		want             int
		typ              string
	}{
		{"101 ids", "batchApprove", idsBody(many, ""), 400, "invalid-ids"},
		{"101 ids reject", "batchReject", idsBody(many, ""), 400, "invalid-ids"},
		{"no ids", "batchApprove", `{}`, 400, "invalid-ids"},
		{"empty ids", "batchReject", `{"ids":[]}`, 400, "invalid-ids"},
		{"malformed id", "batchApprove", `{"ids":["nope"]}`, 400, "invalid-id"},
		{"repeated id", "batchApprove", idsBody([]string{ar.ID, ar.ID}, ""), 400, "duplicate-id"},
		{"reject takes no mode", "batchReject", idsBody([]string{ar.ID}, `,"mode":"CREATE_NEW"`), 400, "unknown-field"},
		{"bad mode", "batchApprove", idsBody([]string{ar.ID}, `,"mode":"MAYBE"`), 400, "invalid-mode"},
		{"ADD_TO_EXISTING needs participantId", "batchApprove", idsBody([]string{ar.ID}, `,"mode":"ADD_TO_EXISTING"`), 400, "participant-id-required"},
		{"note too long", "batchReject", idsBody([]string{ar.ID}, `,"note":"`+strings.Repeat("x", 4001)+`"`), 400, "note-too-long"},
		{"unknown verb", "batchBlock", idsBody([]string{ar.ID}, ""), 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := w.Do(t, "POST", batchBase+":"+tt.verb, w.tokens["editor"], tt.body)
			if res.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.want, res.Body)
			}
			if tt.typ != "" && decode(t, res.Body)["type"] != problem.TypeBase+tt.typ {
				t.Errorf("type = %v, want %s", decode(t, res.Body)["type"], tt.typ)
			}
		})
	}
	// Nothing was decided by the refused bodies.
	if got := decode(t, w.Do(t, "GET", path(ar.ID), w.tokens["editor"], "").Body)["status"]; got != "PENDING" {
		t.Errorf("status = %v, want PENDING", got)
	}
	for _, who := range []string{"stranger", ""} {
		if res := w.Do(t, "POST", batchBase+":batchApprove", w.tokens[who], idsBody([]string{ar.ID}, "")); res.Status != map[string]int{"stranger": 404, "": 401}[who] {
			t.Errorf("%q: status %d: %s", who, res.Status, res.Body)
		}
	}
}

func TestLegacyBatch(t *testing.T) {
	w := newWorld(t)
	legacy := "/v1/tenants/" + tenant + "/agents/agent-1/chatUserAccessRequests"
	mine := w.SeedRequest(t, tenant, accessrequests.AccessRequest{DisplayName: "Dana"})
	other := w.SeedRequest(t, tenant, accessrequests.AccessRequest{AgentID: "agent-2"})
	unknown := uuid.NewString()
	res := w.Do(t, "POST", legacy+":batchApprove", w.tokens["editor"], idsBody([]string{unknown, mine.ID, other.ID}, `,"note":"ok"`))
	if res.Status != 200 {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	got := batchResults(t, res.Body)
	want := []string{"404 " + unknown, "APPROVED " + mine.ID, "404 " + other.ID}
	for i, g := range got {
		s := fmt.Sprint(g.Problem["status"], " ", g.ID)
		if g.AccessRequest != nil {
			s = fmt.Sprint(g.AccessRequest["status"], " ", g.ID)
			if g.AccessRequest["userName"] != "Dana" || g.AccessRequest["tenantId"] != tenant || g.AccessRequest["processingNote"] != "ok" {
				t.Errorf("legacy view = %v", g.AccessRequest)
			}
		}
		if i >= len(want) || s != want[i] {
			t.Errorf("result %d = %s, want %v", i, s, want)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d results, want %d", len(got), len(want))
	}
	tests := []struct {
		name, who, verb, body string
		want                  int
	}{
		{"no role on the agent", "nobody", "batchReject", idsBody([]string{other.ID}, ""), 404},
		{"viewer", "viewer", "batchReject", idsBody([]string{other.ID}, ""), 403},
		{"approve takes note only", "editor", "batchApprove", idsBody([]string{other.ID}, `,"mode":"CREATE_NEW"`), 400},
		{"101 ids", "editor", "batchReject", idsBody(make([]string, 101), ""), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := w.Do(t, "POST", legacy+":"+tt.verb, w.tokens[tt.who], tt.body); res.Status != tt.want {
				t.Errorf("status %d, want %d: %s", res.Status, tt.want, res.Body)
			}
		})
	}
}
