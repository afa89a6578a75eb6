package collaborators

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Function is the Lambda serving these routes.
const Function = "CollaboratorsFunction"

// base is the collection. Its path parameter is {agentId}, as on every
// route under /agents/ (API Gateway refuses sibling variables with
// different names); the docs call it {agent}, the URLs are the same.
const base = "/v1/tenants/{tenant}/agents/{agentId}/collaborators"

// Service handles the routes.
type Service struct {
	repo  *Repo
	authz *authz.Authorizer
	log   *slog.Logger
	now   func() time.Time
}

// New returns a Service.
func New(repo *Repo, az *authz.Authorizer, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{repo: repo, authz: az, log: log, now: time.Now}
}

// Routes builds the service from p and returns its routes; a nil p gives
// metadata-only routes.
func Routes(p *platform.Platform) ([]httpapi.Route, error) {
	if p == nil {
		return (*Service)(nil).Routes(), nil
	}
	return New(NewRepo(p.Store), p.Authz, p.Logger).Routes(), nil
}

// Routes returns the route table entries of this resource. The custom
// verbs of one user (:approve, :reject) share the POST route of
// {user} and are split off at the last ':'.
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Function: Function, Method: http.MethodGet, Path: base, Handle: s.list},
		{Function: Function, Method: http.MethodPut, Path: base, Handle: s.put},
		{Function: Function, Method: http.MethodPost, Path: base + ":requestAccess", Handle: s.requestAccess},
		{Function: Function, Method: http.MethodPost, Path: base + "/{user}", Handle: s.act},
		{Function: Function, Method: http.MethodDelete, Path: base + "/{user}", Handle: s.revoke},
	}
}

func parseAgent(r *http.Request) (tenant, agent string, err error) {
	if tenant, err = httpapi.Tenant(r); err != nil {
		return "", "", err
	}
	agent = r.PathValue("agentId")
	if !httpapi.ValidAgentID(agent) {
		return "", "", problem.BadRequest("invalid-agent-id", "agentId must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	return tenant, agent, nil
}

// validUser bounds a userId (a token subject).
func validUser(u string) error {
	if len(u) == 0 || len(u) > 255 {
		return problem.BadRequest("invalid-user-id", "userId must be 1-255 characters")
	}
	return nil
}

// profileOf is the caller's profile from their token's claims.
func profileOf(p auth.Principal) Profile {
	return Profile{Email: p.Email, FirstName: p.GivenName, LastName: p.FamilyName}
}

// refreshCaller keeps the caller's own profile on agent current. It runs
// after the call's work and never fails it: a profile is display data. A
// token without any profile claim leaves the stored profile alone.
func (s *Service) refreshCaller(ctx context.Context, tenant, agent string) {
	p, ok := auth.FromContext(ctx)
	if !ok || profileOf(p) == (Profile{}) {
		return
	}
	if err := s.repo.RefreshProfile(ctx, tenant, agent, p.Subject, profileOf(p)); err != nil {
		s.log.WarnContext(ctx, "collaborators: profile not refreshed", "tenant", tenant, "agent", agent, "user", p.Subject, "err", err)
	}
}

// staleCaller reports whether the caller's profile may need a write,
// judged from a list page: not when the page shows it current, nor when
// a last page does not show the caller (no item, or an earlier page's).
func (s *Service) staleCaller(ctx context.Context, page []Collaborator, next string) bool {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return false
	}
	for _, c := range page {
		if c.UserID == p.Subject {
			return c.Profile != profileOf(p)
		}
	}
	return next != ""
}

// list answers the agent's collaborators and pending requests (VIEWER+).
// Tenant ADMINs are not listed: their access is implicit.
func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, err := parseAgent(r)
	if err != nil {
		return err
	}
	lp, err := httpapi.ParseList(r)
	if err != nil {
		return err
	}
	if lp.AgentID != "" {
		return problem.BadRequest("unknown-parameter", "the agent is in the path; agentId is not a parameter of this list")
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Viewer); err != nil {
		return err
	}
	cs, next, err := s.repo.List(r.Context(), tenant, agent, lp.PageSize, lp.PageToken)
	if err != nil {
		return err
	}
	if s.staleCaller(r.Context(), cs, next) {
		s.refreshCaller(r.Context(), tenant, agent)
	}
	views := make([]View, len(cs))
	for i, c := range cs {
		views[i] = ViewOf(c)
	}
	return httpapi.WriteList(w, r, views, next)
}

type alertsBody struct {
	ErrorAlerts         *bool `json:"errorAlerts"`
	AccessRequestAlerts *bool `json:"accessRequestAlerts"`
	BudgetAlerts        *bool `json:"budgetAlerts"`
}

type putBody struct {
	UserID           *string     `json:"userId"`
	Role             string      `json:"role"`
	AlertPreferences *alertsBody `json:"alertPreferences"`
}

// alerts resolves the body's preferences: each absent flag is true, as
// documented; no object at all keeps what is stored.
func (b *alertsBody) alerts() *AlertPreferences {
	if b == nil {
		return nil
	}
	flag := func(v *bool) bool { return v == nil || *v }
	return &AlertPreferences{ErrorAlerts: flag(b.ErrorAlerts), AccessRequestAlerts: flag(b.AccessRequestAlerts), BudgetAlerts: flag(b.BudgetAlerts)}
}

// put adds or changes a grant (agent ADMIN). UNSPECIFIED or no role keeps
// the current role (a pending request's requested one), VIEWER for a new
// grant; a PUT always leaves the user ACTIVE.
func (s *Service) put(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, err := parseAgent(r)
	if err != nil {
		return err
	}
	var b putBody
	if err := httpapi.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.UserID == nil {
		return problem.BadRequest("invalid-user-id", "userId is required")
	}
	if err := validUser(*b.UserID); err != nil {
		return err
	}
	role, err := httpapi.Enum("role", b.Role, roles...)
	if err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Admin); err != nil {
		return err
	}
	p, _ := auth.FromContext(r.Context())
	c, err := s.repo.Grant(r.Context(), tenant, Grant{AgentID: agent, UserID: *b.UserID, Role: role, Alerts: b.AlertPreferences.alerts(),
		By: p.Subject, At: s.now().UnixMilli()})
	if err != nil {
		return err
	}
	s.refreshCaller(r.Context(), tenant, agent)
	return httpapi.WriteJSON(w, http.StatusOK, GrantViewOf(tenant, c))
}

// requestRole reads requestAccess's one query parameter, role (name and
// value in any case): VIEWER (default) or EDITOR.
func requestRole(r *http.Request) (string, error) {
	q, err := httpapi.ParseQuery(r, "role")
	if err != nil {
		return "", err
	}
	role, err := httpapi.Enum("role", q.Get("role"), authz.RoleViewer, authz.RoleEditor)
	if err != nil {
		return "", problem.BadRequest("invalid-role", "role must be VIEWER or EDITOR (any case): ADMIN is granted by an ADMIN, never requested")
	}
	if role == "" {
		role = authz.RoleViewer
	}
	return role, nil
}

// requestAccess records the caller's PENDING request and e-mails the
// agent's ADMINs through the outbox, in one transaction. Any member of
// the tenant may ask; one who already has access gets 409.
func (s *Service) requestAccess(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, err := parseAgent(r)
	if err != nil {
		return err
	}
	role, err := requestRole(r)
	if err != nil {
		return err
	}
	p, trole, err := authz.TenantRole(r.Context(), tenant)
	if err != nil {
		return err
	}
	if trole == auth.TenantAdmin {
		return ErrHasAccess
	}
	ctx := r.Context()
	_, err = s.repo.RequestAccess(ctx, tenant, Request{AgentID: agent, UserID: p.Subject, Role: role, Profile: profileOf(p), At: s.now().UnixMilli()},
		func(c Collaborator) ([]store.TxAction, error) {
			admins, err := s.repo.Admins(ctx, tenant, agent, false)
			if err != nil {
				return nil, err
			}
			return requestMails(ctx, s.log, tenant, httpapi.PublicBase(ctx), c, admins)
		})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// act serves POST .../collaborators/{user}:approve and :reject (agent
// ADMIN).
func (s *Service) act(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, err := parseAgent(r)
	if err != nil {
		return err
	}
	user, verb := httpapi.SplitVerb(r.PathValue("user"))
	if verb != "approve" && verb != "reject" {
		return problem.NotFound("no route for " + r.Method + " " + r.URL.Path)
	}
	if err := validUser(user); err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Admin); err != nil {
		return err
	}
	if verb == "reject" {
		if err := s.repo.Reject(r.Context(), tenant, agent, user); err != nil {
			return err
		}
		s.refreshCaller(r.Context(), tenant, agent)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	c, err := s.repo.Approve(r.Context(), tenant, agent, user, s.now().UnixMilli())
	if err != nil {
		return err
	}
	s.refreshCaller(r.Context(), tenant, agent)
	return httpapi.WriteJSON(w, http.StatusOK, GrantViewOf(tenant, c))
}

// revoke deletes a grant or a pending request (agent ADMIN); idempotent
// for a user with neither, refused for the agent's last ADMIN.
func (s *Service) revoke(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, err := parseAgent(r)
	if err != nil {
		return err
	}
	user := r.PathValue("user")
	if err := validUser(user); err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Admin); err != nil {
		return err
	}
	if err := s.repo.Revoke(r.Context(), tenant, agent, user); err != nil {
		return err
	}
	s.refreshCaller(r.Context(), tenant, agent)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
