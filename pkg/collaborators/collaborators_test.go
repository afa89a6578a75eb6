package collaborators_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const base = "/v1/tenants/acme/agents/agent-1/collaborators"

// env is an API with agent-1's collaborators agentadmin (ADMIN), editor
// and viewer, and tokens of them and of others by name.
type env struct {
	*apikit.Env
	tok map[string]string
}

func newEnv(t *testing.T) *env {
	e := &env{Env: apikit.New(t), tok: map[string]string{}}
	e.SeedMember(t, "acme", "agent-1", "agentadmin", authz.RoleAdmin)
	e.SeedMember(t, "acme", "agent-1", "editor", authz.RoleEditor)
	e.SeedMember(t, "acme", "agent-1", "viewer", authz.RoleViewer)
	e.tok["admin"] = e.Token(t, "admin", map[string]string{"acme": "ADMIN"})
	e.tok["stranger"] = e.Token(t, "stranger", map[string]string{"other": "ADMIN"})
	for _, s := range []string{"agentadmin", "editor", "viewer", "nobody", "erin", "frank"} {
		e.tok[s] = e.Token(t, s, map[string]string{"acme": "MEMBER"})
	}
	return e
}

func (e *env) do(t *testing.T, who, method, path, body string) apikit.Response {
	t.Helper()
	return e.Do(t, method, path, e.tok[who], body)
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return v
}

func problemType(body string) string {
	var p struct{ Type string }
	_ = json.Unmarshal([]byte(body), &p)
	return strings.TrimPrefix(p.Type, "https://gatehouse.dev/problems/")
}

// The status of every route for every kind of caller; each row runs on
// the table as the rows before it left it.
func TestStatuses(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		who, method, path, body string
		want                    int
		wantType                string
	}{
		{"viewer", "GET", base, "", 200, ""},
		{"nobody", "GET", base, "", 404, "not-found"},
		{"stranger", "GET", base, "", 404, "not-found"},
		{"", "GET", base, "", 401, "unauthenticated"},
		{"viewer", "GET", base + "?agentId=agent-1", "", 400, "unknown-parameter"},
		{"viewer", "GET", base + "?bogus=1", "", 400, "unknown-parameter"},
		{"viewer", "GET", base + "?PageSize=2", "", 200, ""},
		{"viewer", "PUT", base, `{"userId":"erin","role":"EDITOR"}`, 403, "forbidden"},
		{"editor", "PUT", base, `{"userId":"erin","role":"EDITOR"}`, 403, "forbidden"},
		{"nobody", "PUT", base, `{"userId":"erin","role":"EDITOR"}`, 404, "not-found"},
		{"agentadmin", "PUT", base, `{"userId":"erin","role":"EDITOR"}`, 200, ""},
		{"admin", "PUT", base, `{"userId":"frank","role":"viewer"}`, 200, ""},
		{"admin", "PUT", base, `{"userId":"frank","role":"Editor","alertPreferences":{"budgetAlerts":false}}`, 200, ""},
		{"admin", "PUT", base, `{"userId":"frank","role":"UNSPECIFIED"}`, 200, ""},
		{"admin", "PUT", base, `{"userId":"frank","role":"OWNER"}`, 400, "invalid-role"},
		{"admin", "PUT", base, `{"userId":"frank","x":1}`, 400, "unknown-field"},
		{"admin", "PUT", base, `{"userId":"frank","alertPreferences":{"smsAlerts":true}}`, 400, "unknown-field"},
		{"admin", "PUT", base, `{"role":"VIEWER"}`, 400, "invalid-user-id"},
		{"admin", "PUT", base, `{"userId":null}`, 400, "invalid-user-id"},
		{"admin", "PUT", base, `{"userId":""}`, 400, "invalid-user-id"},
		{"admin", "PUT", "/v1/tenants/acme/agents/bad%20id/collaborators", `{"userId":"frank"}`, 400, "invalid-agent-id"},
		{"agentadmin", "PUT", base, `{"userId":"agentadmin","role":"EDITOR"}`, 409, "last-admin"},
		{"admin", "DELETE", base + "/agentadmin", "", 409, "last-admin"},
		{"editor", "DELETE", base + "/frank", "", 403, "forbidden"},
		{"agentadmin", "DELETE", base + "/frank", "", 204, ""},
		{"agentadmin", "DELETE", base + "/frank", "", 204, ""}, // idempotent
		{"agentadmin", "DELETE", base + "/never-granted", "", 204, ""},
		// Access requests.
		{"nobody", "POST", base + ":requestAccess?role=admin", "", 400, "invalid-role"},
		{"nobody", "POST", base + ":requestAccess?bogus=1", "", 400, "unknown-parameter"},
		{"stranger", "POST", base + ":requestAccess", "", 404, "not-found"},
		{"viewer", "POST", base + ":requestAccess?role=EDITOR", "", 409, "already-has-access"},
		{"admin", "POST", base + ":requestAccess", "", 409, "already-has-access"},
		{"nobody", "POST", base + ":requestAccess?Role=editor", "", 204, ""},
		{"nobody", "POST", base + ":requestAccess?role=EDITOR", "", 204, ""}, // again: still pending
		{"nobody", "GET", base, "", 404, "not-found"},                        // a request grants nothing
		{"editor", "POST", base + "/nobody:approve", "", 403, "forbidden"},
		{"agentadmin", "POST", base + "/ghost:approve", "", 404, "not-found"},
		{"agentadmin", "POST", base + "/viewer:approve", "", 400, "not-pending"},
		{"agentadmin", "POST", base + "/viewer:reject", "", 400, "not-pending"},
		{"agentadmin", "POST", base + "/nobody:frobnicate", "", 404, "not-found"},
		{"agentadmin", "POST", base + "/nobody%3Aapprove", "", 200, ""},
		{"nobody", "GET", base, "", 200, ""}, // now EDITOR
		{"agentadmin", "POST", base + "/nobody:approve", "", 400, "not-pending"},
		{"frank", "POST", base + ":requestAccess", "", 204, ""},
		{"agentadmin", "POST", base + "/frank:reject", "", 204, ""},
		{"agentadmin", "POST", base + "/frank:reject", "", 404, "not-found"},
		{"frank", "GET", base, "", 404, "not-found"},
	}
	for _, tt := range tests {
		got := e.do(t, tt.who, tt.method, tt.path, tt.body)
		if got.Status != tt.want || problemType(got.Body) != tt.wantType {
			t.Errorf("%s %s %s as %q: %d %q, want %d %q: %s", tt.method, tt.path, tt.body, tt.who, got.Status, problemType(got.Body), tt.want, tt.wantType, got.Body)
		}
	}
}

// PUT's defaults: UNSPECIFIED keeps the role, absent preferences are kept,
// a flag absent from the object is true; createdAt and createdBy stay.
func TestPutDefaults(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, body string
		want       collaborators.GrantView
	}{
		{"new grant without role is VIEWER, all alerts", `{"userId":"erin"}`,
			collaborators.GrantView{Role: "VIEWER", Status: "ACTIVE", AlertPreferences: collaborators.AlertsView{ErrorAlerts: true, AccessRequestAlerts: true, BudgetAlerts: true}}},
		{"role given, one flag off", `{"userId":"erin","role":"editor","alertPreferences":{"errorAlerts":false}}`,
			collaborators.GrantView{Role: "EDITOR", Status: "ACTIVE", AlertPreferences: collaborators.AlertsView{ErrorAlerts: false, AccessRequestAlerts: true, BudgetAlerts: true}}},
		{"UNSPECIFIED keeps role and alerts", `{"userId":"erin","role":"UNSPECIFIED"}`,
			collaborators.GrantView{Role: "EDITOR", Status: "ACTIVE", AlertPreferences: collaborators.AlertsView{ErrorAlerts: false, AccessRequestAlerts: true, BudgetAlerts: true}}},
		{"an empty object sets every flag", `{"userId":"erin","alertPreferences":{}}`,
			collaborators.GrantView{Role: "EDITOR", Status: "ACTIVE", AlertPreferences: collaborators.AlertsView{ErrorAlerts: true, AccessRequestAlerts: true, BudgetAlerts: true}}},
	}
	var first collaborators.GrantView
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.do(t, "agentadmin", "PUT", base, tt.body)
			if got.Status != 200 {
				t.Fatalf("status %d: %s", got.Status, got.Body)
			}
			g := decode[collaborators.GrantView](t, got.Body)
			if i == 0 {
				first = g
			}
			want := tt.want
			want.AgentID, want.UserID, want.TenantID, want.CreatedAt, want.ModifiedAt = "agent-1", "erin", "acme", first.CreatedAt, g.ModifiedAt
			if g != want {
				t.Errorf("got %+v, want %+v", g, want)
			}
		})
	}
	c, err := collaborators.NewRepo(e.Platform.Store).Get(context.Background(), "acme", "agent-1", "erin")
	if err != nil || c.CreatedBy != "agentadmin" {
		t.Errorf("stored %+v, %v: want createdBy agentadmin", c, err)
	}
}

func outboxMails(t *testing.T, e *env) map[string]mail.Message {
	t.Helper()
	var msgs []outbox.Message
	if err := e.Platform.Store.Table().Scan().Filter("begins_with(PK, ?)", store.OutboxPKPrefix).Consistent(true).All(context.Background(), &msgs); err != nil {
		t.Fatal(err)
	}
	out := map[string]mail.Message{}
	for _, m := range msgs {
		if m.Kind != mail.KindSend || m.Status != outbox.StatusPending {
			t.Errorf("outbox message %+v: want a PENDING mail.send", m)
		}
		var mm mail.Message
		if err := json.Unmarshal([]byte(m.Payload), &mm); err != nil {
			t.Fatal(err)
		}
		out[mm.To] = mm
	}
	return out
}

// A request e-mails each ADMIN collaborator whose address gatehouse
// learnt from their own token, through the outbox, once; the list shows
// it PENDING with the requester's profile from their token.
func TestRequestAccess(t *testing.T) {
	e := newEnv(t)
	e.SeedMember(t, "acme", "agent-1", "quiet", authz.RoleAdmin) // never called the API: no address
	bob := e.Mint(t, issuerkit.Claims{Subject: "agentadmin", Tenants: map[string]string{"acme": "MEMBER"}, Email: "bob@example.com", GivenName: "Bob"})
	if got := e.Do(t, "GET", base, bob, ""); got.Status != 200 { // refreshes bob's profile
		t.Fatalf("list as bob: %d %s", got.Status, got.Body)
	}
	erin := e.Mint(t, issuerkit.Claims{Subject: "erin", Tenants: map[string]string{"acme": "MEMBER"}, Email: "erin@example.com", GivenName: "Erin", FamilyName: "Reyes"})
	if got := e.Do(t, "POST", base+":requestAccess?role=EDITOR", erin, ""); got.Status != 204 {
		t.Fatalf("request: %d %s", got.Status, got.Body)
	}
	mails := outboxMails(t, e)
	if len(mails) != 1 || !strings.Contains(mails["bob@example.com"].Text, "Erin Reyes <erin@example.com> asks for the EDITOR role") {
		t.Fatalf("mails %+v: want one to bob naming Erin", mails)
	}
	// Asking again changes the role and e-mails no one again.
	if got := e.Do(t, "POST", base+":requestAccess", erin, ""); got.Status != 204 {
		t.Fatalf("request again: %d %s", got.Status, got.Body)
	}
	if n := len(outboxMails(t, e)); n != 1 {
		t.Errorf("%d mails after asking again, want 1", n)
	}
	list := decode[[]collaborators.View](t, e.do(t, "viewer", "GET", base, "").Body)
	var got *collaborators.View
	for i := range list {
		if list[i].UserID == "erin" {
			got = &list[i]
		}
	}
	want := collaborators.View{AgentID: "agent-1", UserID: "erin", Role: "VIEWER", Status: "PENDING", Email: "erin@example.com", FirstName: "Erin", LastName: "Reyes",
		AlertPreferences: collaborators.AlertsView{ErrorAlerts: true, AccessRequestAlerts: true, BudgetAlerts: true}}
	if got == nil {
		t.Fatalf("erin not listed: %+v", list)
	}
	want.CreatedAt, want.ModifiedAt = got.CreatedAt, got.ModifiedAt
	if *got != want {
		t.Errorf("listed %+v, want %+v", *got, want)
	}
	// Approve grants the requested role.
	a := e.do(t, "agentadmin", "POST", base+"/erin:approve", "")
	if g := decode[collaborators.GrantView](t, a.Body); a.Status != 200 || g.Role != "VIEWER" || g.Status != "ACTIVE" || g.TenantID != "acme" {
		t.Errorf("approve: %d %s", a.Status, a.Body)
	}
	role, err := e.Platform.Authz.MemberRoles(context.Background(), "acme", "erin", []string{"agent-1"})
	if err != nil || role["agent-1"] != authz.RoleViewer {
		t.Errorf("erin's roles after approval: %v, %v", role, err)
	}
}

// The list is a bare array in userId order, paged by pageSize with a Link
// header naming the next page.
func TestListPaging(t *testing.T) {
	e := newEnv(t)
	var all []string
	next := base + "?pageSize=2"
	for page := 0; next != ""; page++ {
		got := e.do(t, "viewer", "GET", next, "")
		if got.Status != 200 || page > 3 {
			t.Fatalf("page %d: %d %s", page, got.Status, got.Body)
		}
		for _, v := range decode[[]collaborators.View](t, got.Body) {
			all = append(all, v.UserID)
		}
		next = ""
		if l := got.Header.Get("Link"); l != "" {
			u := l[strings.Index(l, "<")+1 : strings.Index(l, ">")]
			next = u[strings.Index(u, "/v1/"):]
		}
	}
	if fmt.Sprint(all) != "[agentadmin editor viewer]" {
		t.Errorf("listed %v", all)
	}
}

// Concurrent demotions and removals never leave an agent without an
// ADMIN: of n ADMINs each demoting or removing itself at once, exactly
// n-1 succeed and the rest are refused with last-admin.
func TestLastAdminUnderConcurrency(t *testing.T) {
	const n = 6
	tests := []struct {
		name   string
		method string
	}{
		{"demotions", "PUT"},
		{"removals", "DELETE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := apikit.New(t)
			toks := make([]string, n)
			for i := range n {
				sub := fmt.Sprintf("admin%d", i)
				e.SeedMember(t, "acme", "agent-1", sub, authz.RoleAdmin)
				toks[i] = e.Token(t, sub, map[string]string{"acme": "MEMBER"})
			}
			statuses := make([]int, n)
			var start, done sync.WaitGroup
			start.Add(1)
			for i := range n {
				done.Add(1)
				go func() {
					defer done.Done()
					start.Wait()
					sub := fmt.Sprintf("admin%d", i)
					if tt.method == "PUT" {
						statuses[i] = e.Do(t, "PUT", base, toks[i], `{"userId":"`+sub+`","role":"VIEWER"}`).Status
					} else {
						statuses[i] = e.Do(t, "DELETE", base+"/"+sub, toks[i], "").Status
					}
				}()
			}
			start.Done()
			done.Wait()
			ok, refused := 0, 0
			for _, s := range statuses {
				switch s {
				case 200, 204:
					ok++
				case 409:
					refused++
				default:
					t.Errorf("status %d", s)
				}
			}
			admins, err := collaborators.NewRepo(e.Platform.Store).Admins(context.Background(), "acme", "agent-1", true)
			if err != nil {
				t.Fatal(err)
			}
			if ok != n-1 || refused != 1 || len(admins) != 1 {
				t.Errorf("statuses %v: %d admins left, want n-1 successes and 1 admin", statuses, len(admins))
			}
		})
	}
}

// Items the members API wrote (no status, version, profile or
// preferences) read as ACTIVE grants with every alert on, and the
// last-admin guard holds for them.
func TestLegacyItems(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for sub, role := range map[string]string{"old-admin": authz.RoleAdmin, "old-viewer": authz.RoleViewer} {
		err := e.Platform.Store.Table().Put(map[string]any{"PK": store.AgentMemberPK("acme", "agent-2"), "SK": store.MemberSK(sub),
			"tenant": "acme", "agentId": "agent-2", "subject": sub, "role": role, "createdAt": 1, "modifiedAt": 1}).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	const b2 = "/v1/tenants/acme/agents/agent-2/collaborators"
	list := e.do(t, "admin", "GET", b2, "")
	want := `[{"agentId":"agent-2","userId":"old-admin","role":"ADMIN","email":"","firstName":"","lastName":"","createdAt":1,"modifiedAt":1,"status":"ACTIVE","alertPreferences":{"errorAlerts":true,"accessRequestAlerts":true,"budgetAlerts":true}},` +
		`{"agentId":"agent-2","userId":"old-viewer","role":"VIEWER","email":"","firstName":"","lastName":"","createdAt":1,"modifiedAt":1,"status":"ACTIVE","alertPreferences":{"errorAlerts":true,"accessRequestAlerts":true,"budgetAlerts":true}}]`
	if strings.TrimSpace(list.Body) != want {
		t.Errorf("list %s\nwant %s", list.Body, want)
	}
	steps := []struct {
		method, path, body string
		want               int
	}{
		{"DELETE", b2 + "/old-admin", "", 409},
		{"PUT", b2, `{"userId":"old-viewer","role":"ADMIN"}`, 200},
		{"DELETE", b2 + "/old-admin", "", 204},
		{"PUT", b2, `{"userId":"old-viewer","role":"EDITOR"}`, 409},
	}
	for _, s := range steps {
		if got := e.do(t, "admin", s.method, s.path, s.body); got.Status != s.want {
			t.Errorf("%s %s %s: %d, want %d: %s", s.method, s.path, s.body, got.Status, s.want, got.Body)
		}
	}
}

// A caller's profile follows their token: stored when they call the API,
// left alone by a token without profile claims.
func TestProfileRefresh(t *testing.T) {
	e := newEnv(t)
	repo := collaborators.NewRepo(e.Platform.Store)
	ctx := context.Background()
	tests := []struct {
		name   string
		claims issuerkit.Claims
		want   collaborators.Profile
	}{
		{"claims stored", issuerkit.Claims{Email: "v@example.com", GivenName: "Vera", FamilyName: "Vale"}, collaborators.Profile{Email: "v@example.com", FirstName: "Vera", LastName: "Vale"}},
		{"no claims: kept", issuerkit.Claims{}, collaborators.Profile{Email: "v@example.com", FirstName: "Vera", LastName: "Vale"}},
		{"changed claims replace", issuerkit.Claims{Email: "vera@example.com"}, collaborators.Profile{Email: "vera@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.claims
			c.Subject, c.Tenants = "viewer", map[string]string{"acme": "MEMBER"}
			if got := e.Do(t, "GET", base, e.Mint(t, c), ""); got.Status != 200 {
				t.Fatalf("list: %d %s", got.Status, got.Body)
			}
			got, err := repo.Get(ctx, "acme", "agent-1", "viewer")
			if err != nil || got.Profile != tt.want {
				t.Errorf("profile %+v, %v; want %+v", got.Profile, err, tt.want)
			}
		})
	}
}
