// Package connectors serves /v1/tenants/{tenant}/integrationConfigs: the
// connectors (Slack, Teams, Telegram, WhatsApp, Twilio SMS) through which
// senders reach an agent, with their onboarding policy, write-only
// credentials and unguessable inbound webhook URL.
//
// Agent ADMINs create, change, rotate and delete connectors; EDITORs and
// VIEWERs read them; a caller without a role on the connector's agent
// gets 404. Credentials are never returned: responses carry a short prefix
// of each (Mask).
//
// The webhook URL is the public base URL (httpapi.PublicBaseURL) +
// /v1/hooks/{provider lowercase}/{key},
// where key is 256 random bits (base64url) kept in a global lookup item
// (HOOK#{key}); POST .../integrationConfigs/{id}:rotateWebhook replaces it
// and deletes the old one in the same transaction.
package connectors

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// Function is the Lambda (template.yaml logical id) serving these routes.
const Function = "ConnectorsFunction"

const (
	base = "/v1/tenants/{tenant}/integrationConfigs"
)

// Service handles the routes.
type Service struct {
	repo  *Repo
	authz *authz.Authorizer
	now   func() time.Time
}

// New returns a Service.
func New(repo *Repo, az *authz.Authorizer) *Service {
	return &Service{repo: repo, authz: az, now: time.Now}
}

// Routes builds the service over p and the process's repo and returns its
// routes; a nil p gives metadata-only routes.
func Routes(p *platform.Platform, repo *Repo) ([]httpapi.Route, error) {
	if p == nil {
		return (*Service)(nil).Routes(), nil
	}
	return New(repo, p.Authz).Routes(), nil
}

// Routes returns the route table entries of this resource. One {idverb}
// pattern serves an id and its custom verbs (":rotateWebhook").
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Function: Function, Method: http.MethodGet, Path: base, Handle: s.list},
		{Function: Function, Method: http.MethodPost, Path: base, Handle: s.create},
		{Function: Function, Method: http.MethodGet, Path: base + "/{idverb}", Handle: s.get},
		{Function: Function, Method: http.MethodPatch, Path: base + "/{idverb}", Handle: s.update},
		{Function: Function, Method: http.MethodDelete, Path: base + "/{idverb}", Handle: s.delete},
		{Function: Function, Method: http.MethodPost, Path: base + "/{idverb}", Handle: s.act},
	}
}

// view renders c with webhook URLs on the base the caller used.
func (s *Service) view(r *http.Request, c Connector) View { return ViewOf(c, httpapi.PublicBaseURL(r)) }

// tenant validates the path tenant and that the token names it.
func tenant(r *http.Request) (string, error) {
	t, err := httpapi.Tenant(r)
	if err != nil {
		return "", err
	}
	if _, _, err := authz.TenantRole(r.Context(), t); err != nil {
		return "", err
	}
	return t, nil
}

// load reads the connector named by the path and checks the caller's role
// on its agent; verb is the custom verb the path must (or must not) carry.
func (s *Service) load(r *http.Request, want authz.Role, verb string) (string, Connector, error) {
	t, err := tenant(r)
	if err != nil {
		return "", Connector{}, err
	}
	idv, gotVerb := httpapi.SplitVerb(r.PathValue("idverb"))
	if gotVerb != verb {
		if verb == "" {
			return "", Connector{}, problem.NotFound("no route for " + r.Method + " with verb :" + gotVerb)
		}
		return "", Connector{}, problem.NotFound("unknown action " + strconv.Quote(gotVerb) + "; use :" + verb)
	}
	id, err := httpapi.ParseID("id", idv)
	if err != nil {
		return "", Connector{}, err
	}
	c, err := s.repo.Get(r.Context(), t, id)
	if err != nil {
		return "", Connector{}, err
	}
	if _, err := s.authz.Require(r.Context(), t, c.AgentID, want); err != nil {
		return "", Connector{}, err
	}
	return t, c, nil
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) error {
	_, c, err := s.load(r, authz.Viewer, "")
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.view(r, c))
}

// ListResponse is one page of connectors.
type ListResponse struct {
	IntegrationConfigs []View `json:"integrationConfigs"`
	NextPageToken      string `json:"nextPageToken"`
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	t, err := httpapi.Tenant(r)
	if err != nil {
		return err
	}
	lp, err := httpapi.ParseList(r)
	if err != nil {
		return err
	}
	if err := s.authz.RequireList(r.Context(), t, lp.AgentID); err != nil {
		return err
	}
	items, next, err := s.repo.List(r.Context(), t, lp.AgentID, lp.PageSize, lp.PageToken)
	if err != nil {
		return err
	}
	out := ListResponse{IntegrationConfigs: make([]View, 0, len(items)), NextPageToken: next}
	for _, c := range items {
		out.IntegrationConfigs = append(out.IntegrationConfigs, s.view(r, c))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) error {
	t, err := tenant(r)
	if err != nil {
		return err
	}
	var in input
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := newConnector(in)
	if err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), t, c.AgentID, authz.Admin); err != nil {
		return err
	}
	p, _, _ := authz.TenantRole(r.Context(), t)
	now := s.now().UnixMilli()
	c.ID, c.WebhookKey, c.CreatedBy, c.CreatedAt, c.ModifiedAt = uuid.NewString(), NewWebhookKey(), p.Subject, now, now
	if err := s.repo.Create(r.Context(), t, c); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/tenants/"+t+"/integrationConfigs/"+c.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, s.view(r, c))
}

func (s *Service) update(w http.ResponseWriter, r *http.Request) error {
	var in input
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, cur, err := s.load(r, authz.Admin, "")
	if err != nil {
		return err
	}
	next, err := patch(cur, in)
	if err != nil {
		return err
	}
	next.ModifiedAt = s.now().UnixMilli()
	if err := s.repo.Update(r.Context(), t, next); err != nil {
		return err
	}
	next.Version++
	return httpapi.WriteJSON(w, http.StatusOK, s.view(r, next))
}

func (s *Service) delete(w http.ResponseWriter, r *http.Request) error {
	t, c, err := s.load(r, authz.Admin, "")
	if err != nil {
		return err
	}
	if err := s.repo.Delete(r.Context(), t, c); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// act serves the custom verbs; only :rotateWebhook exists.
func (s *Service) act(w http.ResponseWriter, r *http.Request) error {
	var empty struct{}
	if err := httpapi.DecodeJSON(r, &empty); err != nil {
		return err
	}
	t, c, err := s.load(r, authz.Admin, "rotateWebhook")
	if err != nil {
		return err
	}
	next, err := s.repo.Rotate(r.Context(), t, c, NewWebhookKey(), s.now().UnixMilli())
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.view(r, next))
}
