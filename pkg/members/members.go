// Package members serves /v1/tenants/{tenant}/agents/{agentId}/members:
// who is ADMIN, EDITOR or VIEWER on an agent.
package members

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// Function is the Lambda serving these routes.
const Function = "MembersFunction"

const base = "/v1/tenants/{tenant}/agents/{agentId}/members"

// Store is the persistence the service needs.
type Store interface {
	GetMember(ctx context.Context, tenant, agent, subject string) (Member, error)
	PutMember(ctx context.Context, tenant string, m Member) (Member, error)
	DeleteMember(ctx context.Context, tenant, agent, subject string) error
	ListMembers(ctx context.Context, tenant, agent string) ([]Member, error)
}

// Service handles the routes.
type Service struct {
	store Store
	authz *authz.Authorizer
	now   func() time.Time
}

// New returns a Service.
func New(st Store, az *authz.Authorizer) *Service {
	return &Service{store: st, authz: az, now: time.Now}
}

// Routes builds the service from p and returns its routes; a nil p gives
// metadata-only routes.
func Routes(p *platform.Platform) ([]httpapi.Route, error) {
	if p == nil {
		return (*Service)(nil).Routes(), nil
	}
	return New(NewRepo(p.Store), p.Authz).Routes(), nil
}

// Routes returns the route table entries of this resource.
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Function: Function, Method: http.MethodGet, Path: base, Handle: s.list},
		{Function: Function, Method: http.MethodGet, Path: base + "/{subject}", Handle: s.get},
		{Function: Function, Method: http.MethodPut, Path: base + "/{subject}", Handle: s.put},
		{Function: Function, Method: http.MethodDelete, Path: base + "/{subject}", Handle: s.delete},
	}
}

func parse(r *http.Request, withSubject bool) (tenant, agent, subject string, err error) {
	if tenant, err = httpapi.Tenant(r); err != nil {
		return
	}
	agent = r.PathValue("agentId")
	if !httpapi.ValidAgentID(agent) {
		return "", "", "", problem.BadRequest("invalid-agent-id", "agentId must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	if withSubject {
		subject = r.PathValue("subject")
		if len(subject) == 0 || len(subject) > 255 {
			return "", "", "", problem.BadRequest("invalid-subject", "subject must be 1-255 characters")
		}
	}
	return
}

// Reading members needs any role on the agent; changing them needs ADMIN.
func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, _, err := parse(r, false)
	if err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Viewer); err != nil {
		return err
	}
	ms, err := s.store.ListMembers(r.Context(), tenant, agent)
	if err != nil {
		return err
	}
	views := make([]View, len(ms))
	for i, m := range ms {
		views[i] = ViewOf(m)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"members": views})
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, subject, err := parse(r, true)
	if err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Viewer); err != nil {
		return err
	}
	m, err := s.store.GetMember(r.Context(), tenant, agent, subject)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, ViewOf(m))
}

type putBody struct {
	Role string `json:"role"`
}

func (s *Service) put(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, subject, err := parse(r, true)
	if err != nil {
		return err
	}
	var b putBody
	if err := httpapi.DecodeJSON(r, &b); err != nil {
		return err
	}
	if authz.ParseRole(b.Role) == authz.None {
		return problem.BadRequest("invalid-role", "role must be one of ADMIN, EDITOR, VIEWER")
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Admin); err != nil {
		return err
	}
	p, _, _ := authz.TenantRole(r.Context(), tenant)
	now := s.now().UnixMilli()
	m, err := s.store.PutMember(r.Context(), tenant, Member{AgentID: agent, Subject: subject, Role: b.Role, CreatedBy: p.Subject, CreatedAt: now, ModifiedAt: now})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, ViewOf(m))
}

func (s *Service) delete(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, subject, err := parse(r, true)
	if err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Admin); err != nil {
		return err
	}
	if err := s.store.DeleteMember(r.Context(), tenant, agent, subject); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
