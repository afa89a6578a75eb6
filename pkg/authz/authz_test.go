package authz_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// members is an in-memory MemberReader: agent/subject -> role.
type members map[string]string

func (m members) MemberRole(_ context.Context, tenant, agent, subject string) (string, error) {
	role, ok := m[tenant+"/"+agent+"/"+subject]
	if !ok {
		return "", store.ErrNotFound
	}
	return role, nil
}

func (m members) MemberRoles(ctx context.Context, tenant, subject string, agents []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range agents {
		if r, err := m.MemberRole(ctx, tenant, a, subject); err == nil {
			out[a] = r
		}
	}
	return out, nil
}

func TestRequire(t *testing.T) {
	az := authz.New(members{"acme/a1/ed": "EDITOR", "acme/a1/vi": "VIEWER", "acme/a1/ad": "ADMIN", "acme/a1/odd": "OWNER"})
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

func TestRequireList(t *testing.T) {
	az := authz.New(members{"acme/a1/vi": "VIEWER"})
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
