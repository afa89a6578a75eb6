package accessrequests_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const tenant = "acme"

// world is an Env with one agent and a subject for every role.
type world struct {
	*apikit.Env
	tokens map[string]string // admin, agentadmin, editor, viewer, nobody, stranger
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := apikit.New(t)
	w := &world{Env: e, tokens: map[string]string{}}
	e.SeedMember(t, tenant, "agent-1", "agentadmin", authz.RoleAdmin)
	e.SeedMember(t, tenant, "agent-1", "editor", authz.RoleEditor)
	e.SeedMember(t, tenant, "agent-1", "viewer", authz.RoleViewer)
	e.SeedMember(t, tenant, "agent-2", "nobody", authz.RoleEditor) // a role elsewhere only
	w.tokens["admin"] = e.Token(t, "admin", map[string]string{tenant: "ADMIN"})
	for _, s := range []string{"agentadmin", "editor", "viewer", "nobody"} {
		w.tokens[s] = e.Token(t, s, map[string]string{tenant: "MEMBER"})
	}
	w.tokens["stranger"] = e.Token(t, "stranger", map[string]string{"other": "ADMIN"})
	return w
}

func path(id string) string { return "/v1/tenants/" + tenant + "/participantAccessRequests/" + id }

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return m
}

func TestGetRoles(t *testing.T) {
	w := newWorld(t)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{DisplayName: "Dana", ConversationName: "#general"})
	tests := []struct {
		who, id string
		want    int
	}{
		{"admin", ar.ID, 200},
		{"agentadmin", ar.ID, 200},
		{"editor", ar.ID, 200},
		{"viewer", ar.ID, 200},
		{"nobody", ar.ID, 404},
		{"stranger", ar.ID, 404},
		{"", ar.ID, 401},
		{"admin", uuid.NewString(), 404},
		{"admin", "not-a-uuid", 400},
		{"admin", ar.ID + ":approve", 404},
	}
	for _, tt := range tests {
		t.Run(tt.who+"/"+tt.id, func(t *testing.T) {
			got := w.Do(t, "GET", path(tt.id), w.tokens[tt.who], "")
			if got.Status != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.Status, tt.want, got.Body)
			}
			if got.Status >= 400 && got.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("content type = %q", got.Header.Get("Content-Type"))
			}
		})
	}
}

func TestGetShape(t *testing.T) {
	w := newWorld(t)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{DisplayName: "Dana", ConversationName: "#general"})
	got := decode(t, w.Do(t, "GET", path(ar.ID), w.tokens["viewer"], "").Body)
	want := []string{"id", "integrationConfigId", "provider", "address", "agentId", "matchedParticipantId", "displayName",
		"conversationName", "status", "processedBy", "processedAt", "processingNote", "approvedParticipantId", "createdAt", "modifiedAt"}
	if len(got) != len(want) {
		t.Errorf("fields = %d, want %d: %v", len(got), len(want), got)
	}
	for _, k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("missing field %q", k)
		}
	}
	if got["status"] != "PENDING" || got["displayName"] != "Dana" || got["processedBy"] != nil {
		t.Errorf("got %v", got)
	}
}

func TestActionRoles(t *testing.T) {
	tests := []struct {
		who, verb string
		want      int
	}{
		{"viewer", "reject", 403},
		{"viewer", "approve", 403},
		{"viewer", "block", 403},
		{"nobody", "reject", 404},
		{"stranger", "reject", 404},
		{"editor", "reject", 200},
		{"editor", "block", 200},
		{"editor", "approve", 200},
		{"agentadmin", "reject", 200},
		{"admin", "approve", 200},
		{"editor", "explode", 404},
	}
	w := newWorld(t)
	for _, tt := range tests {
		t.Run(tt.who+"/"+tt.verb, func(t *testing.T) {
			ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
			got := w.Do(t, "POST", path(ar.ID)+":"+tt.verb, w.tokens[tt.who], "{}")
			if got.Status != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.Status, tt.want, got.Body)
			}
			cur, err := accessrequests.NewRepo(w.Platform.Store).GetAccessRequest(context.Background(), tenant, ar.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != 200 && cur.Status != accessrequests.StatusPending {
				t.Errorf("refused action changed status to %s", cur.Status)
			}
		})
	}
}

// The seed 000 curl: POST ...:reject -d '{}' answers the row, REJECTED.
func TestRejectSeedCurl(t *testing.T) {
	w := newWorld(t)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
	got := w.Do(t, "POST", path(ar.ID)+":reject", w.tokens["editor"], "{}")
	if got.Status != 200 {
		t.Fatalf("status %d: %s", got.Status, got.Body)
	}
	m := decode(t, got.Body)
	if m["status"] != "REJECTED" || m["processedBy"] != "editor" || m["processedAt"] == nil || m["processingNote"] != nil || m["id"] != ar.ID {
		t.Errorf("got %v", m)
	}
	// An escaped colon reaches the same action.
	ar = w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
	got = w.Do(t, "POST", path(ar.ID)+"%3Areject", w.tokens["editor"], `{"note":"not now"}`)
	if got.Status != 200 || decode(t, got.Body)["processingNote"] != "not now" {
		t.Fatalf("escaped verb: %d %s", got.Status, got.Body)
	}
}

func TestRejectReleasesSender(t *testing.T) {
	w := newWorld(t)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
	again := ar
	again.ID = uuid.NewString()
	err := accessrequests.NewRepo(w.Platform.Store).CreateAccessRequest(context.Background(), tenant, accessrequests.NewPendingRequest{Request: again})
	var pe *accessrequests.PendingExistsError
	if !errors.As(err, &pe) || pe.RequestID != ar.ID {
		t.Fatalf("second pending request: err = %v, want PendingExistsError(%s)", err, ar.ID)
	}
	if got := w.Do(t, "POST", path(ar.ID)+":reject", w.tokens["editor"], "{}"); got.Status != 200 {
		t.Fatalf("reject: %d %s", got.Status, got.Body)
	}
	if err := accessrequests.NewRepo(w.Platform.Store).CreateAccessRequest(context.Background(), tenant, accessrequests.NewPendingRequest{Request: again}); err != nil {
		t.Fatalf("fresh request after reject: %v", err)
	}
}

func TestBlockAndUnblock(t *testing.T) {
	w := newWorld(t)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
	if got := w.Do(t, "POST", path(ar.ID)+":block", w.tokens["editor"], `{"note":"spam"}`); got.Status != 200 || decode(t, got.Body)["status"] != "BLOCKED" {
		t.Fatalf("block: %d %s", got.Status, got.Body)
	}
	again := ar
	again.ID = uuid.NewString()
	if err := accessrequests.NewRepo(w.Platform.Store).CreateAccessRequest(context.Background(), tenant, accessrequests.NewPendingRequest{Request: again}); !errors.Is(err, accessrequests.ErrBlocked) {
		t.Fatalf("request from blocked sender: err = %v, want ErrBlocked", err)
	}
	if got := w.Do(t, "DELETE", path(ar.ID)+":block", w.tokens["viewer"], ""); got.Status != 403 {
		t.Fatalf("viewer unblock: %d", got.Status)
	}
	if got := w.Do(t, "DELETE", path(ar.ID)+":block", w.tokens["editor"], ""); got.Status != 204 {
		t.Fatalf("unblock: %d %s", got.Status, got.Body)
	}
	if err := accessrequests.NewRepo(w.Platform.Store).CreateAccessRequest(context.Background(), tenant, accessrequests.NewPendingRequest{Request: again}); err != nil {
		t.Fatalf("request after unblock: %v", err)
	}
}

func TestApproveModes(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	existing := w.approveNew(t)

	tests := []struct {
		name      string
		matched   string
		body      func() string
		want      int
		wantType  string
		wantOwner func(out map[string]any) string
	}{
		{name: "create new", body: func() string { return `{"mode":"CREATE_NEW","displayName":"Dana D."}` }, want: 200},
		{name: "unspecified without match creates", body: func() string { return `{}` }, want: 200},
		{name: "unspecified with match binds", matched: existing, body: func() string { return `{"mode":"UNSPECIFIED"}` }, want: 200,
			wantOwner: func(map[string]any) string { return existing }},
		{name: "bind only", matched: existing, body: func() string { return `{"mode":"BIND_ONLY"}` }, want: 200,
			wantOwner: func(map[string]any) string { return existing }},
		{name: "add to existing", body: func() string { return fmt.Sprintf(`{"mode":"ADD_TO_EXISTING","participantId":%q}`, existing) }, want: 200,
			wantOwner: func(map[string]any) string { return existing }},
		{name: "add to existing without id", body: func() string { return `{"mode":"ADD_TO_EXISTING"}` }, want: 400, wantType: "participant-id-required"},
		{name: "add to missing participant", body: func() string { return fmt.Sprintf(`{"mode":"ADD_TO_EXISTING","participantId":%q}`, uuid.NewString()) }, want: 400, wantType: "participant-not-found"},
		{name: "bind only without match", body: func() string { return `{"mode":"BIND_ONLY"}` }, want: 400, wantType: "no-matched-participant"},
		{name: "unknown mode", body: func() string { return `{"mode":"MAYBE"}` }, want: 400, wantType: "invalid-mode"},
		{name: "mode null is unspecified", matched: existing, body: func() string { return `{"mode":null}` }, want: 200,
			wantOwner: func(map[string]any) string { return existing }},
		{name: "mode in lower case", body: func() string { return `{"mode":"create_new"}` }, want: 200},
		// The docs: participantId is ignored outside ADD_TO_EXISTING,
		// displayName outside CREATE_NEW.
		{name: "participantId ignored by create new", body: func() string { return fmt.Sprintf(`{"mode":"CREATE_NEW","participantId":%q}`, existing) }, want: 200},
		{name: "participantId ignored by bind only", matched: existing, body: func() string { return fmt.Sprintf(`{"mode":"BIND_ONLY","participantId":%q}`, uuid.NewString()) }, want: 200,
			wantOwner: func(map[string]any) string { return existing }},
		{name: "displayName ignored by bind only", matched: existing, body: func() string { return `{"mode":"BIND_ONLY","displayName":"Ignored"}` }, want: 200,
			wantOwner: func(map[string]any) string { return existing }},
		{name: "participantId still a UUID", body: func() string { return `{"mode":"CREATE_NEW","participantId":"nope"}` }, want: 400, wantType: "invalid-id"},
		{name: "display name too long", body: func() string { return `{"displayName":"` + strings.Repeat("x", 151) + `"}` }, want: 400, wantType: "display-name-too-long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{MatchedParticipantID: tt.matched, DisplayName: "Dana"})
			got := w.Do(t, "POST", path(ar.ID)+":approve", w.tokens["editor"], tt.body())
			if got.Status != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.Status, tt.want, got.Body)
			}
			m := decode(t, got.Body)
			if tt.want != 200 {
				if m["type"] != "https://gatehouse.dev/problems/"+tt.wantType {
					t.Errorf("type = %v, want %s", m["type"], tt.wantType)
				}
				cur, _ := accessrequests.NewRepo(w.Platform.Store).GetAccessRequest(ctx, tenant, ar.ID)
				if cur.Status != accessrequests.StatusPending {
					t.Errorf("refused approve changed status to %s", cur.Status)
				}
				return
			}
			pid, _ := m["approvedParticipantId"].(string)
			if m["status"] != "APPROVED" || pid == "" {
				t.Fatalf("got %v", m)
			}
			if tt.wantOwner != nil && pid != tt.wantOwner(m) {
				t.Errorf("approvedParticipantId = %s, want %s", pid, tt.wantOwner(m))
			}
			p, err := roster.NewRepo(w.Platform.Store).GetParticipant(ctx, tenant, pid)
			if err != nil {
				t.Fatal(err)
			}
			if !contains(p.AgentIDs, ar.AgentID) {
				t.Errorf("participant agentIds = %v, want %s bound", p.AgentIDs, ar.AgentID)
			}
			if tt.matched == "" {
				owner, err := roster.NewRepo(w.Platform.Store).ChannelOwner(ctx, tenant, ar.IntegrationConfigID, ar.Address)
				if err != nil || owner != pid {
					t.Errorf("channel owner = %q, %v; want %s", owner, err, pid)
				}
				if !hasChannel(p, ar.IntegrationConfigID, ar.Address) {
					t.Errorf("participant channels %v lack the sender's", p.Channels)
				}
			}
			if tt.name == "create new" && (p.DisplayName != "Dana D." || p.Kind != roster.KindPerson) {
				t.Errorf("participant = %+v", p)
			}
			if tt.name == "participantId ignored by create new" && pid == existing {
				t.Errorf("CREATE_NEW approved onto the participantId it should ignore")
			}
			if tt.name == "displayName ignored by bind only" && p.DisplayName != "Existing" {
				t.Errorf("bind only renamed the participant to %q", p.DisplayName)
			}
			// Approved requests are listed under their participant.
			list := w.Do(t, "GET", "/v1/tenants/"+tenant+"/participantAccessRequests?agentId=agent-1&participantId="+pid, w.tokens["viewer"], "")
			if !strings.Contains(list.Body, ar.ID) {
				t.Errorf("participant list lacks %s: %s", ar.ID, list.Body)
			}
			// Acting again is 400 not-pending.
			again := w.Do(t, "POST", path(ar.ID)+":reject", w.tokens["editor"], "{}")
			if again.Status != 400 || decode(t, again.Body)["type"] != "https://gatehouse.dev/problems/not-pending" {
				t.Errorf("second action: %d %s", again.Status, again.Body)
			}
		})
	}
}

// approveNew creates a participant through an approval and returns its id.
func (w *world) approveNew(t *testing.T) string {
	t.Helper()
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{DisplayName: "Existing"})
	got := w.Do(t, "POST", path(ar.ID)+":approve", w.tokens["editor"], `{"mode":"CREATE_NEW"}`)
	if got.Status != 200 {
		t.Fatalf("approve: %d %s", got.Status, got.Body)
	}
	return decode(t, got.Body)["approvedParticipantId"].(string)
}

func TestChannelTaken(t *testing.T) {
	w := newWorld(t)
	first := w.approveNew(t)
	// A second sender whose channel belongs to first, approved as new: 409.
	fp, _ := roster.NewRepo(w.Platform.Store).GetParticipant(context.Background(), tenant, first)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{IntegrationConfigID: fp.Channels[0].IntegrationConfigID, Address: fp.Channels[0].Address})
	got := w.Do(t, "POST", path(ar.ID)+":approve", w.tokens["editor"], `{"mode":"CREATE_NEW"}`)
	if got.Status != 409 || decode(t, got.Body)["participantId"] != first {
		t.Fatalf("got %d %s, want 409 naming %s", got.Status, got.Body, first)
	}
}

func TestBadInput(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name, verb, body, wantType string
	}{
		{"malformed json", "reject", `{"note":`, "invalid-json"},
		{"unknown field", "reject", `{"note":"x","extra":1}`, "unknown-field"},
		{"wrong type", "reject", `{"note":5}`, "invalid-field"},
		{"note 4001", "reject", `{"note":"` + strings.Repeat("a", 4001) + `"}`, "note-too-long"},
		{"note 4001 approve", "approve", `{"note":"` + strings.Repeat("é", 4001) + `"}`, "note-too-long"},
		{"two values", "block", `{} {}`, "invalid-json"},
		{"body over 1 MiB", "reject", `{"note":"` + strings.Repeat("a", 1<<20) + `"}`, "body-too-large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
			got := w.Do(t, "POST", path(ar.ID)+":"+tt.verb, w.tokens["editor"], tt.body)
			if got.Status != 400 || decode(t, got.Body)["type"] != "https://gatehouse.dev/problems/"+tt.wantType {
				t.Fatalf("got %d %s, want 400 %s", got.Status, got.Body, tt.wantType)
			}
			m := decode(t, got.Body)
			for _, k := range []string{"type", "title", "status", "detail", "instance"} {
				if _, ok := m[k]; !ok {
					t.Errorf("problem lacks %q", k)
				}
			}
			cur, _ := accessrequests.NewRepo(w.Platform.Store).GetAccessRequest(context.Background(), tenant, ar.ID)
			if cur.Status != accessrequests.StatusPending || cur.ModifiedAt != ar.ModifiedAt {
				t.Errorf("bad input wrote: %+v", cur)
			}
		})
	}
	// A 4000-character note is fine.
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
	if got := w.Do(t, "POST", path(ar.ID)+":reject", w.tokens["editor"], `{"note":"`+strings.Repeat("a", 4000)+`"}`); got.Status != 200 {
		t.Fatalf("4000-char note: %d", got.Status)
	}
}

func TestConcurrentDecisions(t *testing.T) {
	w := newWorld(t)
	for round := 0; round < 5; round++ {
		ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
		verbs := []string{"approve", "reject", "block", "approve", "reject", "approve"}
		codes := make([]int, len(verbs))
		var wg sync.WaitGroup
		for i, v := range verbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = w.Do(t, "POST", path(ar.ID)+":"+v, w.tokens["editor"], "{}").Status
			}()
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			switch c {
			case 200:
				ok++
			case 400, 409:
			default:
				t.Errorf("round %d: unexpected status %d", round, c)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d successes (%v), want exactly 1", round, ok, codes)
		}
	}
}

// listPage is one list response: the rows and the Link next URL ("" when
// none).
type listPage struct {
	code int
	rows []accessrequests.View
	next string
}

// list GETs target (path and query) as who.
func (w *world) list(t *testing.T, who, target string) listPage {
	t.Helper()
	r := w.Do(t, "GET", target, w.tokens[who], "")
	p := listPage{code: r.Status}
	if r.Status != 200 {
		return p
	}
	if err := json.Unmarshal([]byte(r.Body), &p.rows); err != nil || p.rows == nil {
		t.Fatalf("list body %q is not an array: %v", r.Body, err)
	}
	if l := r.Header.Get("Link"); l != "" {
		u, ok := strings.CutPrefix(l, "<")
		u, rest, ok2 := strings.Cut(u, ">")
		if !ok || !ok2 || rest != `; rel="next"` {
			t.Fatalf("Link = %q", l)
		}
		parsed, err := url.Parse(u)
		if err != nil || !parsed.IsAbs() {
			t.Fatalf("Link URL %q: %v", u, err)
		}
		p.next = parsed.RequestURI()
	}
	return p
}

// all follows the Link headers from target and returns every row's id.
func (w *world) all(t *testing.T, who, target string) []string {
	t.Helper()
	var ids []string
	for range 100 {
		p := w.list(t, who, target)
		if p.code != 200 {
			t.Fatalf("list %s: %d", target, p.code)
		}
		for _, r := range p.rows {
			ids = append(ids, r.ID)
		}
		if p.next == "" {
			return ids
		}
		target = p.next
	}
	t.Fatalf("list %s: no last page", target)
	return nil
}

const listPath = "/v1/tenants/" + tenant + "/participantAccessRequests"

func TestList(t *testing.T) {
	w := newWorld(t)
	var ids []string
	for i := 0; i < 7; i++ {
		ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{CreatedAt: int64(1_700_000_000_000 + i)})
		ids = append(ids, ar.ID)
	}
	w.SeedRequest(t, tenant, accessrequests.AccessRequest{AgentID: "agent-2"})
	if got := w.Do(t, "POST", path(ids[0])+":reject", w.tokens["editor"], "{}"); got.Status != 200 {
		t.Fatal(got.Body)
	}
	// Paging through agent-1's PENDING requests by the Link header, newest first.
	want := []string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1]}
	if got := w.all(t, "viewer", listPath+"?agentId=agent-1&status=PENDING&pageSize=4"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
	if p := w.list(t, "viewer", listPath+"?AgentId=agent-1&Status=pending"); p.next != "" || len(p.rows) != 6 {
		t.Errorf("unpaged: %d rows, Link %q; want all 6 and no Link", len(p.rows), p.next)
	}
	tests := []struct {
		who, q    string
		wantCode  int
		wantCount int
	}{
		{"viewer", "agentId=agent-1", 200, 7},
		{"viewer", "AgentId=agent-1", 200, 7},
		{"viewer", "AGENTID=agent-1&STATUS=Rejected", 200, 1},
		{"viewer", "agentId=agent-1&status=REJECTED", 200, 1},
		{"viewer", "agentId=agent-1&status=pending", 200, 6},
		{"viewer", "agentId=agent-1&Status=UNSPECIFIED", 200, 7},
		{"viewer", "agentId=agent-1&status=unspecified", 200, 7},
		{"viewer", "agentId=agent-1&status=blocked", 200, 0},
		{"admin", "", 200, 8},
		{"admin", "status=PENDING", 200, 7},
		{"viewer", "", 200, 7}, // the agents the caller has a role on
		{"nobody", "", 200, 1}, // agent-2's only
		{"viewer", "Status=rejected", 200, 1},
		{"viewer", "agentId=agent-2", 404, 0},
		{"nobody", "agentId=agent-2", 200, 1},
		{"stranger", "agentId=agent-1", 404, 0},
		{"stranger", "", 404, 0},
		{"viewer", "agentId=agent-1&pageSize=501", 400, 0},
		{"viewer", "agentId=agent-1&pageSize=0", 400, 0},
		{"viewer", "agentId=agent-1&status=MAYBE", 400, 0},
		{"viewer", "agentId=agent-1&participantId=nope", 400, 0},
		{"viewer", "agentId=agent-1&pageToken=garbage", 400, 0},
		{"viewer", "agentId=agent-1&bogus=1", 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.who+"?"+tt.q, func(t *testing.T) {
			p := w.list(t, tt.who, listPath+"?"+tt.q)
			if p.code != tt.wantCode || len(p.rows) != tt.wantCount {
				t.Fatalf("got %d with %d items, want %d with %d", p.code, len(p.rows), tt.wantCode, tt.wantCount)
			}
		})
	}
	// A token issued for one agent's list is refused for another's.
	p := w.list(t, "admin", listPath+"?agentId=agent-1&pageSize=1")
	tok := strings.SplitN(p.next, "pageToken=", 2)
	if len(tok) != 2 {
		t.Fatalf("next %q has no pageToken", p.next)
	}
	if q := w.list(t, "admin", listPath+"?agentId=agent-2&pageToken="+tok[1]); q.code != 400 {
		t.Errorf("replayed page token: %d, want 400", q.code)
	}
}

// Without agentId a caller who is not a tenant ADMIN gets the requests of
// the agents it holds a role on: newest first, each exactly once across
// pages, and a page reads at most a bounded number of index pages (so it
// may come back empty with a next page).
func TestListTenantWideByRole(t *testing.T) {
	w := newWorld(t)
	var agent1, agent2 []string
	for i := range 24 {
		// Interleaved, oldest first: agent-2's every third.
		agent := "agent-1"
		if i%3 == 0 {
			agent = "agent-2"
		}
		ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{AgentID: agent, CreatedAt: int64(1_700_000_000_000 + i)})
		if agent == "agent-1" {
			agent1 = append([]string{ar.ID}, agent1...)
		} else {
			agent2 = append([]string{ar.ID}, agent2...)
		}
	}
	// 12 newer requests of an agent nobody has a role on.
	for i := range 12 {
		w.SeedRequest(t, tenant, accessrequests.AccessRequest{AgentID: "agent-3", CreatedAt: int64(1_800_000_000_000 + i)})
	}
	tests := []struct {
		who, q string
		want   []string
	}{
		{"viewer", "pageSize=3", agent1},
		{"viewer", "", agent1},
		{"nobody", "pageSize=2", agent2},
		{"nobody", "status=pending&pageSize=5", agent2},
	}
	for _, tt := range tests {
		t.Run(tt.who+"?"+tt.q, func(t *testing.T) {
			if got := w.all(t, tt.who, listPath+"?"+tt.q); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// pageSize=1: the 12 invisible rows take more reads than one page may
	// make, so the first page is empty and links on.
	first := w.list(t, "viewer", listPath+"?pageSize=1")
	if len(first.rows) != 0 || first.next == "" {
		t.Fatalf("first page: %d rows, next %q; want none and a next page", len(first.rows), first.next)
	}
	second := w.list(t, "viewer", first.next)
	if len(second.rows) != 1 || second.rows[0].ID != agent1[0] {
		t.Errorf("second page = %+v, want %s", second.rows, agent1[0])
	}
}

func TestCallBudget(t *testing.T) {
	w := newWorld(t)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
	// Warm up the client (table description cache, connections).
	w.Do(t, "GET", "/v1/tenants/"+tenant+"/participantAccessRequests?agentId=agent-1&pageSize=1", w.tokens["viewer"], "")
	tests := []struct {
		name         string
		method, path string
		max          int64
	}{
		{"get", "GET", path(ar.ID), 2},
		{"list", "GET", "/v1/tenants/" + tenant + "/participantAccessRequests?agentId=agent-1&pageSize=10", 2},
		// request, role, connector (its rejectedMessage), the transaction
		{"reject", "POST", path(ar.ID) + ":reject", 4},
	}
	for _, tt := range tests {
		before := w.Table.Counter.Calls()
		got := w.Do(t, tt.method, tt.path, w.tokens["editor"], "{}")
		if got.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", tt.name, got.Status, got.Body)
		}
		if n := w.Table.Counter.Calls() - before; n > tt.max {
			t.Errorf("%s: %d DynamoDB calls, want <= %d", tt.name, n, tt.max)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func hasChannel(p roster.Participant, cfg, addr string) bool {
	for _, c := range p.Channels {
		if c.IntegrationConfigID == cfg && c.Address == addr {
			return true
		}
	}
	return false
}

func TestForgedTokens(t *testing.T) {
	w := newWorld(t)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{})
	other, err := issuerkit.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	valid := w.Mint(t, issuerkit.Claims{Subject: "admin", Tenants: map[string]string{tenant: "ADMIN"}})
	parts := strings.Split(valid, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	foreign, _ := other.Mint(issuerkit.Claims{Subject: "admin", Tenants: map[string]string{tenant: "ADMIN"}})
	tests := []struct {
		name, token string
	}{
		{"alg none", none},
		{"expired", w.Mint(t, issuerkit.Claims{Subject: "admin", Tenants: map[string]string{tenant: "ADMIN"}, TTL: -time.Hour})},
		{"wrong audience", w.Mint(t, issuerkit.Claims{Subject: "admin", Tenants: map[string]string{tenant: "ADMIN"}, Audience: "someone-else"})},
		{"wrong issuer", w.Mint(t, issuerkit.Claims{Subject: "admin", Tenants: map[string]string{tenant: "ADMIN"}, Issuer: "https://evil.example"})},
		{"unknown key", foreign},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","tenants":{"acme":"ADMIN"}}`)) + "." + parts[2]},
		{"garbage", "not.a.jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, call := range []struct{ method, path string }{{"GET", path(ar.ID)}, {"POST", path(ar.ID) + ":reject"}} {
				got := w.Do(t, call.method, call.path, tt.token, "{}")
				if got.Status != 401 {
					t.Errorf("%s %s: status %d, want 401: %s", call.method, call.path, got.Status, got.Body)
				}
			}
		})
	}
	if cur, _ := accessrequests.NewRepo(w.Platform.Store).GetAccessRequest(context.Background(), tenant, ar.ID); cur.Status != accessrequests.StatusPending {
		t.Errorf("forged tokens changed the request: %s", cur.Status)
	}
	if got := w.Do(t, "GET", path(ar.ID), valid, ""); got.Status != 200 {
		t.Errorf("valid token: %d", got.Status)
	}
}
