package contract_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/contract"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// Every documented collaborators call (CONTRACT.md §4): status, body
// shape (field names, JSON types, enum spellings) and the problem type of
// refusals. Rows run in order on one table: bob is the agent's ADMIN,
// erin asks for access, frank is granted.
func TestCollaboratorsContract(t *testing.T) {
	e := apikit.New(t)
	e.SeedMember(t, "acme", "agent-1", "bob", "ADMIN")
	e.SeedMember(t, "acme", "agent-1", "vic", "VIEWER")
	member := func(sub string) string {
		return e.Mint(t, issuerkit.Claims{Subject: sub, Tenants: map[string]string{"acme": "MEMBER"}, Email: sub + "@example.com", GivenName: strings.ToUpper(sub[:1]) + sub[1:], FamilyName: "Doe"})
	}
	tok := map[string]string{"bob": member("bob"), "vic": member("vic"), "erin": member("erin"), "gil": member("gil"),
		"admin": e.Token(t, "alice", map[string]string{"acme": "ADMIN"})}
	const base = "/v1/tenants/acme/agents/agent-1/collaborators"
	const jsonType = "application/json"
	tests := []struct {
		name, who, method, path, ctype, body string
		status                               int
		shape                                contract.Shape // nil: no body
		problem                              string         // the problem type's slug
		contains                             string         // a body fragment the row must show
	}{
		{"list", "vic", "GET", base, "", "", 200, contract.CollaboratorList, "", ""},
		{"request access, default role", "erin", "POST", base + ":requestAccess", "", "", 204, nil, "", ""},
		{"request access, role in another case", "gil", "POST", base + ":requestAccess?Role=editor", "", "", 204, nil, "", ""},
		{"request access, UNSPECIFIED", "erin", "POST", base + ":requestAccess?role=UNSPECIFIED", "", "", 204, nil, "", ""},
		{"request ADMIN", "erin", "POST", base + ":requestAccess?role=ADMIN", "", "", 400, contract.CollaboratorProblem, "invalid-role", ""},
		{"request with a role already", "vic", "POST", base + ":requestAccess", "", "", 409, contract.CollaboratorProblem, "already-has-access", ""},
		{"list shows PENDING", "vic", "GET", base, "", "", 200, contract.CollaboratorList, "", `"userId":"gil","role":"EDITOR","email":"gil@example.com","firstName":"Gil","lastName":"Doe"`},
		{"approve", "bob", "POST", base + "/erin:approve", "", "", 200, contract.CollaboratorGrant, "", `"role":"VIEWER","status":"ACTIVE"`},
		{"approve again", "bob", "POST", base + "/erin:approve", "", "", 400, contract.CollaboratorProblem, "not-pending", ""},
		{"reject", "bob", "POST", base + "/gil:reject", "", "", 204, nil, "", ""},
		{"reject none", "bob", "POST", base + "/gil:reject", "", "", 404, contract.CollaboratorProblem, "not-found", ""},
		{"put", "bob", "PUT", base, jsonType, `{"userId":"frank","role":"EDITOR","alertPreferences":{"errorAlerts":true,"accessRequestAlerts":false,"budgetAlerts":true}}`, 200, contract.CollaboratorGrant, "", `"accessRequestAlerts":false`},
		{"put, older tree's lowercase role", "bob", "PUT", base, jsonType, `{"userId":"frank","role":"viewer"}`, 200, contract.CollaboratorGrant, "", `"role":"VIEWER"`},
		{"put, UNSPECIFIED role", "bob", "PUT", base, jsonType, `{"userId":"frank","role":"UNSPECIFIED"}`, 200, contract.CollaboratorGrant, "", ""},
		{"put, only userId", "bob", "PUT", base, jsonType, `{"userId":"frank"}`, 200, contract.CollaboratorGrant, "", `"role":"VIEWER","status":"ACTIVE","alertPreferences":{"errorAlerts":true,"accessRequestAlerts":false`},
		{"put, extra key", "bob", "PUT", base, jsonType, `{"userId":"frank","note":"x"}`, 400, contract.CollaboratorProblem, "unknown-field", ""},
		{"put, null userId", "bob", "PUT", base, jsonType, `{"userId":null,"role":"VIEWER"}`, 400, contract.CollaboratorProblem, "invalid-user-id", ""},
		{"put, not JSON", "bob", "PUT", base, "text/plain", `{"userId":"mallory","role":"ADMIN"}`, 415, contract.CollaboratorProblem, "unsupported-media-type", ""},
		{"put as VIEWER", "vic", "PUT", base, jsonType, `{"userId":"frank"}`, 403, contract.CollaboratorProblem, "forbidden", ""},
		{"demote the last admin", "bob", "PUT", base, jsonType, `{"userId":"bob","role":"EDITOR"}`, 409, contract.CollaboratorProblem, "last-admin", ""},
		{"remove the last admin", "admin", "DELETE", base + "/bob", "", "", 409, contract.CollaboratorProblem, "last-admin", ""},
		{"delete", "bob", "DELETE", base + "/frank", "", "", 204, nil, "", ""},
		{"delete without a grant", "bob", "DELETE", base + "/frank", "", "", 204, nil, "", ""},
		{"no token", "", "GET", base, "", "", 401, contract.CollaboratorProblem, "unauthenticated", ""},
		{"no role on the agent", "gil", "GET", base, "", "", 404, contract.CollaboratorProblem, "not-found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			var req *http.Request
			if body != nil {
				req = httptest.NewRequest(tt.method, tt.path, body)
				req.Header.Set("Content-Type", tt.ctype)
			} else {
				req = httptest.NewRequest(tt.method, tt.path, nil)
			}
			if tt.who != "" {
				req.Header.Set("Authorization", "Bearer "+tok[tt.who])
			}
			rec := httptest.NewRecorder()
			e.Handler.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if _, err := e.OpenAPI.CheckResponse(context.Background(), req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
				t.Errorf("OpenAPI: %v", err)
			}
			if tt.shape == nil {
				if rec.Body.Len() != 0 {
					t.Errorf("body %q, want none", rec.Body)
				}
				return
			}
			contract.Check(t, rec.Body.Bytes(), tt.shape)
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body %s, want it to contain %s", rec.Body, tt.contains)
			}
			if tt.problem != "" {
				var p struct{ Type string }
				_ = json.Unmarshal(rec.Body.Bytes(), &p)
				if p.Type != "https://gatehouse.dev/problems/"+tt.problem {
					t.Errorf("problem type %q, want %s", p.Type, tt.problem)
				}
			}
		})
	}
	// What the rows left: erin granted VIEWER with her token's profile;
	// gil's request rejected; frank removed; nothing from the 415.
	got := e.Do(t, "GET", base, tok["vic"], "")
	contract.Check(t, []byte(got.Body), contract.CollaboratorList)
	var list []struct{ UserID, Role, Status, Email, FirstName, LastName string }
	if err := json.Unmarshal([]byte(got.Body), &list); err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, c := range list {
		users = append(users, c.UserID+":"+c.Role+":"+c.Status)
		if c.UserID == "erin" && (c.Email != "erin@example.com" || c.FirstName != "Erin" || c.LastName != "Doe") {
			t.Errorf("erin's profile %+v", c)
		}
	}
	if want := "bob:ADMIN:ACTIVE erin:VIEWER:ACTIVE vic:VIEWER:ACTIVE"; strings.Join(users, " ") != want {
		t.Errorf("collaborators %v, want %s", users, want)
	}
}

// Collaborators traffic through Prism, which checks requests and
// responses against the OpenAPI document.
func TestPrismCollaborators(t *testing.T) {
	p := newPrismed(t)
	p.SeedMember(t, "acme", "agent-1", "bob", "ADMIN")
	bob := p.Token(t, "bob", map[string]string{"acme": "MEMBER"})
	erin := p.Token(t, "erin", map[string]string{"acme": "MEMBER"})
	const base = "/v1/tenants/acme/agents/agent-1/collaborators"
	tests := []struct {
		token, method, path, body string
		want                      int
	}{
		{erin, "POST", base + ":requestAccess?role=EDITOR", "", 204},
		{bob, "GET", base, "", 200},
		{bob, "POST", base + "/erin:approve", "", 200},
		{bob, "PUT", base, `{"userId":"frank","role":"VIEWER","alertPreferences":{"budgetAlerts":false}}`, 200},
		{bob, "PUT", base, `{"userId":"bob","role":"EDITOR"}`, 409},
		{bob, "DELETE", base + "/frank", "", 204},
		{bob, "POST", base + "/frank:reject", "", 404},
	}
	for _, tt := range tests {
		if got, body := p.do(t, tt.method, tt.path, tt.token, tt.body); got != tt.want {
			t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, got, body, tt.want)
		}
	}
}
