// Package authz decides what a verified principal may do on an agent.
//
// A subject's tenant role comes from its token (ADMIN or MEMBER); agent
// roles (ADMIN, EDITOR, VIEWER) are items in the table. A tenant ADMIN is
// ADMIN on every agent of the tenant.
package authz

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Role is an agent role; the zero Role is no role at all.
type Role int

// Roles, weakest first.
const (
	None Role = iota
	Viewer
	Editor
	Admin
)

// ParseRole maps a stored role name to a Role.
func ParseRole(s string) Role {
	switch s {
	case store.RoleViewer:
		return Viewer
	case store.RoleEditor:
		return Editor
	case store.RoleAdmin:
		return Admin
	}
	return None
}

func (r Role) String() string {
	switch r {
	case Viewer:
		return store.RoleViewer
	case Editor:
		return store.RoleEditor
	case Admin:
		return store.RoleAdmin
	}
	return "NONE"
}

// Sentinels. Callers answer ErrNoAccess with 404 (the object is invisible)
// and ErrForbidden with 403 (visible, but the role is too weak).
var (
	ErrNoAccess  = errors.New("authz: no access")
	ErrForbidden = errors.New("authz: role too weak")
	// ErrAgentRequired means a tenant-wide list was asked by a non-ADMIN.
	ErrAgentRequired = errors.New("authz: agent required")
)

// MemberReader reads agent roles.
type MemberReader interface {
	GetMember(ctx context.Context, tenant, agent, subject string) (store.Member, error)
}

// Authorizer resolves roles.
type Authorizer struct {
	members MemberReader
}

// New returns an Authorizer reading roles from members.
func New(members MemberReader) *Authorizer { return &Authorizer{members: members} }

// TenantRole returns the principal's role in tenant ("ADMIN", "MEMBER"),
// or ErrNoAccess when the token does not name the tenant.
func TenantRole(ctx context.Context, tenant string) (auth.Principal, string, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return p, "", auth.ErrUnauthenticated
	}
	role, ok := p.TenantRole(tenant)
	if !ok || (role != "ADMIN" && role != "MEMBER") {
		return p, "", ErrNoAccess
	}
	return p, role, nil
}

// AgentRole returns the caller's role on an agent: one table read at
// most, none for tenant ADMINs.
func (a *Authorizer) AgentRole(ctx context.Context, tenant, agent string) (Role, error) {
	p, trole, err := TenantRole(ctx, tenant)
	if err != nil {
		return None, err
	}
	if trole == "ADMIN" {
		return Admin, nil
	}
	m, err := a.members.GetMember(ctx, tenant, agent, p.Subject)
	if errors.Is(err, store.ErrNotFound) {
		return None, nil
	}
	if err != nil {
		return None, fmt.Errorf("authz: %w", err)
	}
	return ParseRole(m.Role), nil
}

// Require checks the caller holds at least want on agent: ErrNoAccess when
// it holds nothing, ErrForbidden when it holds less.
func (a *Authorizer) Require(ctx context.Context, tenant, agent string, want Role) (Role, error) {
	got, err := a.AgentRole(ctx, tenant, agent)
	if err != nil {
		return None, err
	}
	if got == None {
		return None, ErrNoAccess
	}
	if got < want {
		return got, ErrForbidden
	}
	return got, nil
}

// RequireList checks who may list an agent's objects: any role on agent,
// or, with agent "", a tenant ADMIN (a tenant-wide list shows every
// agent's objects).
func (a *Authorizer) RequireList(ctx context.Context, tenant, agent string) error {
	_, trole, err := TenantRole(ctx, tenant)
	if err != nil {
		return err
	}
	if agent == "" {
		if trole != "ADMIN" {
			return ErrAgentRequired
		}
		return nil
	}
	_, err = a.Require(ctx, tenant, agent, Viewer)
	return err
}
