package accessrequests_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
)

func legacyPath(agent, id string) string {
	p := "/v1/tenants/" + tenant + "/agents/" + agent + "/chatUserAccessRequests"
	if id != "" {
		p += "/" + id
	}
	return p
}

func TestLegacyGet(t *testing.T) {
	w := newWorld(t)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{DisplayName: "Dana", ConversationName: "#general"})
	elsewhere := w.SeedRequest(t, tenant, accessrequests.AccessRequest{AgentID: "agent-2"})
	tests := []struct {
		name, who, agent, id string
		want                 int
	}{
		{"viewer", "viewer", "agent-1", ar.ID, 200},
		{"tenant admin", "admin", "agent-1", ar.ID, 200},
		{"no role on the agent", "nobody", "agent-1", ar.ID, 404},
		{"other tenant", "stranger", "agent-1", ar.ID, 404},
		{"no token", "", "agent-1", ar.ID, 401},
		// The id is valid only with its own agent.
		{"another agent's request", "admin", "agent-1", elsewhere.ID, 404},
		{"the request under another agent", "admin", "agent-2", ar.ID, 404},
		{"unknown id", "admin", "agent-1", uuid.NewString(), 404},
		{"not a uuid", "admin", "agent-1", "nope", 400},
		{"bad agent", "admin", "agent!1", ar.ID, 400},
		{"a verb", "admin", "agent-1", ar.ID + ":approve", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := w.Do(t, "GET", legacyPath(tt.agent, tt.id), w.tokens[tt.who], "")
			if got.Status != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.Status, tt.want, got.Body)
			}
		})
	}
	got := decode(t, w.Do(t, "GET", legacyPath("agent-1", ar.ID), w.tokens["viewer"], "").Body)
	want := map[string]any{"id": ar.ID, "provider": ar.Provider, "identifier": ar.Address, "userName": "Dana", "agentId": "agent-1",
		"connectorId": ar.IntegrationConfigID, "conversationName": "#general", "status": "PENDING", "processedBy": nil,
		"processedAt": nil, "processingNote": nil, "tenantId": tenant, "createdAt": float64(ar.CreatedAt), "modifiedAt": float64(ar.ModifiedAt)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestLegacyDecisions(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	existing := w.approveNew(t)
	tests := []struct {
		name, who, verb, body string
		matched               string
		want                  int
		wantType              string
		wantStatus            string
	}{
		{name: "approve creates a participant", who: "editor", verb: "approve", body: `{"note":"welcome"}`, want: 200, wantStatus: "APPROVED"},
		{name: "approve binds the match", who: "editor", verb: "approve", body: `{}`, matched: existing, want: 200, wantStatus: "APPROVED"},
		{name: "approve without body", who: "editor", verb: "approve", want: 200, wantStatus: "APPROVED"},
		{name: "reject", who: "editor", verb: "reject", body: `{"note":"not now"}`, want: 200, wantStatus: "REJECTED"},
		{name: "viewer may not decide", who: "viewer", verb: "approve", body: `{}`, want: 403, wantType: "forbidden"},
		{name: "no role", who: "nobody", verb: "reject", body: `{}`, want: 404, wantType: "not-found"},
		{name: "note only", who: "editor", verb: "approve", body: `{"mode":"CREATE_NEW"}`, want: 400, wantType: "unknown-field"},
		{name: "note too long", who: "editor", verb: "reject", body: `{"note":"` + strings.Repeat("a", 4001) + `"}`, want: 400, wantType: "note-too-long"},
		{name: "no block verb", who: "editor", verb: "block", body: `{}`, want: 404, wantType: "not-found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{MatchedParticipantID: tt.matched, DisplayName: "Dana"})
			got := w.Do(t, "POST", legacyPath("agent-1", ar.ID)+":"+tt.verb, w.tokens[tt.who], tt.body)
			if got.Status != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.Status, tt.want, got.Body)
			}
			m := decode(t, got.Body)
			cur, err := accessrequests.NewRepo(w.Platform.Store).GetAccessRequest(ctx, tenant, ar.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != 200 {
				if m["type"] != "https://gatehouse.dev/problems/"+tt.wantType || cur.Status != accessrequests.StatusPending {
					t.Errorf("type %v, stored status %s; want %s and PENDING", m["type"], cur.Status, tt.wantType)
				}
				return
			}
			if m["status"] != tt.wantStatus || cur.Status != tt.wantStatus || m["processedBy"] != tt.who || m["identifier"] != ar.Address {
				t.Errorf("got %v, stored %s", m, cur.Status)
			}
			// The same row, seen through the other family.
			if v := decode(t, w.Do(t, "GET", path(ar.ID), w.tokens["viewer"], "").Body); v["status"] != tt.wantStatus || v["processingNote"] != m["processingNote"] {
				t.Errorf("participant access request = %v", v)
			}
			if tt.wantStatus == "APPROVED" {
				// Approve decides as mode UNSPECIFIED: the match, else a new participant owning the channel.
				switch {
				case tt.matched != "" && cur.ApprovedParticipantID != tt.matched:
					t.Errorf("approved %s, want the match %s", cur.ApprovedParticipantID, tt.matched)
				case tt.matched == "":
					owner, err := roster.NewRepo(w.Platform.Store).ChannelOwner(ctx, tenant, ar.IntegrationConfigID, ar.Address)
					if err != nil || owner != cur.ApprovedParticipantID {
						t.Errorf("channel owner %q (%v), want %s", owner, err, cur.ApprovedParticipantID)
					}
				}
			}
			again := w.Do(t, "POST", legacyPath("agent-1", ar.ID)+":approve", w.tokens["editor"], "{}")
			if again.Status != 400 || decode(t, again.Body)["type"] != "https://gatehouse.dev/problems/not-pending" {
				t.Errorf("deciding twice: %d %s, want 400 not-pending", again.Status, again.Body)
			}
		})
	}
	// An id under another agent's path decides nothing.
	other := w.SeedRequest(t, tenant, accessrequests.AccessRequest{AgentID: "agent-2"})
	if got := w.Do(t, "POST", legacyPath("agent-1", other.ID)+":reject", w.tokens["admin"], "{}"); got.Status != 404 {
		t.Errorf("agent-2's request through agent-1: %d, want 404", got.Status)
	}
}

func TestLegacyList(t *testing.T) {
	w := newWorld(t)
	var pending []string
	for i := range 5 {
		ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{CreatedAt: int64(1_700_000_000_000 + i)})
		pending = append([]string{ar.ID}, pending...)
	}
	rejected := pending[4]
	pending = pending[:4]
	if got := w.Do(t, "POST", legacyPath("agent-1", rejected)+":reject", w.tokens["editor"], "{}"); got.Status != 200 {
		t.Fatal(got.Body)
	}
	w.SeedRequest(t, tenant, accessrequests.AccessRequest{AgentID: "agent-2"})
	all := append(append([]string{}, pending...), rejected)
	tests := []struct {
		who, q   string
		wantCode int
		want     []string
	}{
		{"viewer", "", 200, all},
		{"viewer", "Status=pending", 200, pending},
		{"viewer", "status=PENDING&pageSize=3", 200, pending},
		{"viewer", "STATUS=Rejected", 200, []string{rejected}},
		{"viewer", "Status=UNSPECIFIED&pageSize=2", 200, all},
		{"nobody", "", 404, nil},
		{"viewer", "Status=maybe", 400, nil},
		{"viewer", "agentId=agent-1", 400, nil},
		{"viewer", "participantId=" + uuid.NewString(), 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.who+"?"+tt.q, func(t *testing.T) {
			p := w.list(t, tt.who, legacyPath("agent-1", "")+"?"+tt.q)
			if p.code != tt.wantCode {
				t.Fatalf("status = %d, want %d", p.code, tt.wantCode)
			}
			if p.code != 200 {
				return
			}
			got := w.all(t, tt.who, legacyPath("agent-1", "")+"?"+tt.q)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// Rows carry the legacy names only.
	r := w.Do(t, "GET", legacyPath("agent-1", "")+"?pageSize=1", w.tokens["viewer"], "")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.Body), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	var keys []string
	for k := range rows[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := "[agentId connectorId conversationName createdAt id identifier modifiedAt processedAt processedBy processingNote provider status tenantId userName]"; fmt.Sprint(keys) != want {
		t.Errorf("fields %v, want %s", keys, want)
	}
}
