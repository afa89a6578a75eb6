package members_test

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/members"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const base = "/v1/tenants/acme/agents/agent-1/members"

func TestMemberRoles(t *testing.T) {
	e := apikit.New(t)
	e.SeedMember(t, "acme", "agent-1", "agentadmin", authz.RoleAdmin)
	e.SeedMember(t, "acme", "agent-1", "editor", authz.RoleEditor)
	e.SeedMember(t, "acme", "agent-1", "viewer", authz.RoleViewer)
	tok := map[string]string{
		"admin":    e.Token(t, "admin", map[string]string{"acme": "ADMIN"}),
		"stranger": e.Token(t, "stranger", map[string]string{"other": "ADMIN"}),
		"nobody":   e.Token(t, "nobody", map[string]string{"acme": "MEMBER"}),
	}
	for _, s := range []string{"agentadmin", "editor", "viewer"} {
		tok[s] = e.Token(t, s, map[string]string{"acme": "MEMBER"})
	}
	tests := []struct {
		who, method, path, body string
		want                    int
	}{
		{"viewer", "GET", base, "", 200},
		{"viewer", "GET", base + "/editor", "", 200},
		{"viewer", "GET", base + "/ghost", "", 404},
		{"nobody", "GET", base, "", 404},
		{"stranger", "GET", base, "", 404},
		{"", "GET", base, "", 401},
		{"viewer", "PUT", base + "/erin", `{"role":"EDITOR"}`, 403},
		{"editor", "PUT", base + "/erin", `{"role":"EDITOR"}`, 403},
		{"agentadmin", "PUT", base + "/erin", `{"role":"EDITOR"}`, 200},
		{"admin", "PUT", base + "/frank", `{"role":"VIEWER"}`, 200},
		{"admin", "PUT", base + "/frank", `{"role":"OWNER"}`, 400},
		{"admin", "PUT", base + "/frank", `{"role":"VIEWER","x":1}`, 400},
		{"admin", "PUT", "/v1/tenants/acme/agents/bad%20id/members/frank", `{"role":"VIEWER"}`, 400},
		{"editor", "DELETE", base + "/frank", "", 403},
		{"agentadmin", "DELETE", base + "/frank", "", 204},
		{"agentadmin", "DELETE", base + "/frank", "", 404},
	}
	for _, tt := range tests {
		got := e.Do(t, tt.method, tt.path, tok[tt.who], tt.body)
		if got.Status != tt.want {
			t.Errorf("%s %s %s as %q: status %d, want %d: %s", tt.method, tt.path, tt.body, tt.who, got.Status, tt.want, got.Body)
		}
	}
	// erin, now EDITOR, sees the agent; a re-PUT keeps createdAt.
	first := e.Do(t, "GET", base+"/erin", tok["viewer"], "")
	var m1, m2 members.Member
	_ = json.Unmarshal([]byte(first.Body), &m1)
	e.Do(t, "PUT", base+"/erin", tok["admin"], `{"role":"ADMIN"}`)
	_ = json.Unmarshal([]byte(e.Do(t, "GET", base+"/erin", tok["viewer"], "").Body), &m2)
	if m2.Role != authz.RoleAdmin || m2.CreatedAt != m1.CreatedAt || m2.CreatedBy != "agentadmin" {
		t.Errorf("after re-PUT: %+v (was %+v)", m2, m1)
	}
}
