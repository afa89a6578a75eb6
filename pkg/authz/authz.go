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
	"net/http"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/problem"
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
	case RoleViewer:
		return Viewer
	case RoleEditor:
		return Editor
	case RoleAdmin:
		return Admin
	}
	return None
}

func (r Role) String() string {
	switch r {
	case Viewer:
		return RoleViewer
	case Editor:
		return RoleEditor
	case Admin:
		return RoleAdmin
	}
	return "NONE"
}

// Sentinels, carrying their problems: ErrNoAccess is a 404 (the object is
// invisible), ErrForbidden a 403 (visible, but the role is too weak).
var (
	ErrNoAccess  = problem.NewKind("authz: no access", http.StatusNotFound, "not-found", "no such resource")
	ErrForbidden = problem.NewKind("authz: role too weak", http.StatusForbidden, "forbidden", "your role does not allow this action")
	// ErrAgentRequired means a tenant-wide list was asked by a non-ADMIN.
	ErrAgentRequired = problem.NewKind("authz: agent required", http.StatusBadRequest, "agent-id-required", "agentId is required unless the caller is a tenant ADMIN")
)

// MemberReader reads agent roles.
type MemberReader interface {
	MemberRole(ctx context.Context, tenant, agent, subject string) (string, error)
	MemberRoles(ctx context.Context, tenant, subject string, agents []string) (map[string]string, error)
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
	role, err := a.members.MemberRole(ctx, tenant, agent, p.Subject)
	if errors.Is(err, store.ErrNotFound) {
		return None, nil
	}
	if err != nil {
		return None, fmt.Errorf("authz: %w", err)
	}
	return ParseRole(role), nil
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

// MemberRoles returns subject's role names on those of agents it has a
// role on, in one read.
func (a *Authorizer) MemberRoles(ctx context.Context, tenant, subject string, agents []string) (map[string]string, error) {
	return a.members.MemberRoles(ctx, tenant, subject, agents)
}
