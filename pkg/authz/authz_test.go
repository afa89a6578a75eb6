package authz_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

// newAuthorizer returns an Authorizer over a fresh table holding agent
// a1's collaborators: ed EDITOR, vi VIEWER, ad ADMIN, a pending request
// of pe for EDITOR, and items with an unknown role (odd) and with a role
// but PENDING (pz).
func newAuthorizer(t *testing.T) *authz.Authorizer {
	t.Helper()
	tbl := dynamokit.NewTable(t)
	ctx := context.Background()
	repo := collaborators.NewRepo(tbl.Store)
	for sub, role := range map[string]string{"ed": authz.RoleEditor, "vi": authz.RoleViewer, "ad": authz.RoleAdmin} {
		if _, err := repo.Grant(ctx, "acme", collaborators.Grant{AgentID: "a1", UserID: sub, Role: role, At: 1}); err != nil {
			t.Fatal(err)
		}
	}
	noMail := func(collaborators.Collaborator) ([]store.TxAction, error) { return nil, nil }
	if _, err := repo.RequestAccess(ctx, "acme", collaborators.Request{AgentID: "a1", UserID: "pe", Role: authz.RoleEditor, At: 1}, noMail); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []map[string]any{
		{"PK": store.AgentMemberPK("acme", "a1"), "SK": store.MemberSK("odd"), "agentId": "a1", "role": "OWNER"},
		// A PENDING item with a role attribute still grants nothing.
		{"PK": store.AgentMemberPK("acme", "a1"), "SK": store.MemberSK("pz"), "agentId": "a1", "role": "EDITOR", "status": "PENDING"},
	} {
		if err := tbl.Store.Table().Put(raw).Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return authz.New(authz.NewTableRoles(tbl.Store))
}

func TestRequire(t *testing.T) {
	az := newAuthorizer(t)
	tests := []struct {
		name    string
		tenants map[string]string
		sub     string
		agent   string
		want    authz.Role
		wantErr error
	}{
		{"tenant admin on any agent", map[string]string{"acme": "ADMIN"}, "x", "a9", authz.Admin, nil},
		{"editor acting", map[string]string{"acme": "MEMBER"}, "ed", "a1", authz.Editor, nil},
		{"viewer acting", map[string]string{"acme": "MEMBER"}, "vi", "a1", authz.Viewer, authz.ErrForbidden},
		{"agent admin", map[string]string{"acme": "MEMBER"}, "ad", "a1", authz.Admin, nil},
		{"pending request grants nothing", map[string]string{"acme": "MEMBER"}, "pe", "a1", authz.None, authz.ErrNoAccess},
		{"pending item with a role grants nothing", map[string]string{"acme": "MEMBER"}, "pz", "a1", authz.None, authz.ErrNoAccess},
		{"no role on the agent", map[string]string{"acme": "MEMBER"}, "ed", "a2", authz.None, authz.ErrNoAccess},
		{"unknown stored role", map[string]string{"acme": "MEMBER"}, "odd", "a1", authz.None, authz.ErrNoAccess},
		{"other tenant", map[string]string{"other": "ADMIN"}, "ed", "a1", authz.None, authz.ErrNoAccess},
		{"bad tenant role", map[string]string{"acme": "OWNER"}, "ed", "a1", authz.None, authz.ErrNoAccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := auth.NewContext(context.Background(), auth.Principal{Subject: tt.sub, Tenants: tt.tenants})
			got, err := az.Require(ctx, "acme", tt.agent, authz.Editor)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("Require = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := az.Require(context.Background(), "acme", "a1", authz.Viewer); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("no principal: %v, want ErrUnauthenticated", err)
	}
}

func TestMemberRoles(t *testing.T) {
	az := newAuthorizer(t)
	tests := []struct {
		sub  string
		want map[string]string
	}{
		{"ed", map[string]string{"a1": authz.RoleEditor}},
		{"pe", map[string]string{}},
		{"pz", map[string]string{}},
		{"nobody", map[string]string{}},
	}
	for _, tt := range tests {
		got, err := az.MemberRoles(context.Background(), "acme", tt.sub, []string{"a1", "a2", "a1"})
		if err != nil || len(got) != len(tt.want) || got["a1"] != tt.want["a1"] {
			t.Errorf("MemberRoles(%s) = %v, %v; want %v", tt.sub, got, err, tt.want)
		}
	}
}

func TestRequireList(t *testing.T) {
	az := newAuthorizer(t)
	tests := []struct {
		name    string
		role    string
		sub     string
		agent   string
		wantErr error
	}{
		{"tenant-wide as admin", "ADMIN", "x", "", nil},
		{"tenant-wide as member", "MEMBER", "vi", "", authz.ErrAgentRequired},
		{"agent list as viewer", "MEMBER", "vi", "a1", nil},
		{"agent list with a pending request", "MEMBER", "pe", "a1", authz.ErrNoAccess},
		{"agent list without role", "MEMBER", "vi", "a2", authz.ErrNoAccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := auth.NewContext(context.Background(), auth.Principal{Subject: tt.sub, Tenants: map[string]string{"acme": tt.role}})
			if err := az.RequireList(ctx, "acme", tt.agent); !errors.Is(err, tt.wantErr) {
				t.Errorf("RequireList = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
