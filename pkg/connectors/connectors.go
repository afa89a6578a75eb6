// Package connectors serves the documented integration configs,
// /v1/tenants/{tenant}/integrations/{integration}/configs: the connectors
// (Slack, Teams, Telegram, WhatsApp, Twilio SMS) through which senders
// reach an agent, with their onboarding policy, write-only parameters
// (the provider's credentials) and their inbound webhook key.
//
// {integration} names the provider (slack, teams, telegram, whatsapp,
// twilio; matched case-insensitively); a config read under another
// integration is 404. Agent ADMINs create, change, delete configs and
// manage their webhook; EDITORs and VIEWERs read them; a caller without
// a role on the config's agent gets 404.
//
// Webhook lifecycle, as documented: a config starts without a webhook
// URL. :generateWebhookUrl mints a 256-bit key and shows
// {PUBLIC_BASE_URL}/v1/hooks/{provider}/{key} once; /webhook:rotate
// replaces it (the old URL is dead at once); reads show only the
// template and the key's prefix. The table keeps the key's SHA-256, never
// the key. :applyWebhookToProvider registers the URL with Telegram
// (setWebhook) and :inspectWebhook asks Telegram (getWebhookInfo).
package connectors

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/chatsend"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// Function is the Lambda (template.yaml logical id) serving these routes.
const Function = "ConnectorsFunction"

const base = "/v1/tenants/{tenant}/integrations/{integration}/configs"

// Config are the Service's settings.
type Config struct {
	// TelegramAPIURL is the Bot API base that :applyWebhookToProvider and
	// :inspectWebhook call (TELEGRAM_API_URL, as chatsend's); empty means
	// Telegram's.
	TelegramAPIURL string
}

// ConfigFromEnv reads TELEGRAM_API_URL.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{TelegramAPIURL: getenv("TELEGRAM_API_URL")}
}

// Service handles the routes.
type Service struct {
	repo     *Repo
	authz    *authz.Authorizer
	telegram *chatsend.Sender
	now      func() time.Time
}

// New returns a Service; it makes no network call.
func New(repo *Repo, az *authz.Authorizer, cfg Config) *Service {
	return &Service{repo: repo, authz: az, telegram: chatsend.New(chatsend.Config{TelegramAPIURL: cfg.TelegramAPIURL}), now: time.Now}
}

// Routes builds the service over p and the process's repo and returns its
// routes; a nil p gives metadata-only routes.
func Routes(p *platform.Platform, repo *Repo, cfg Config) ([]httpapi.Route, error) {
	if p == nil {
		return (*Service)(nil).Routes(), nil
	}
	return New(repo, p.Authz, cfg).Routes(), nil
}

// Routes returns the route table entries of this resource. One {idverb}
// pattern serves an id and its custom verbs (":generateWebhookUrl"); the
// sub-resource verb "webhook:rotate" is one more segment.
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Function: Function, Method: http.MethodGet, Path: base, Handle: s.list},
		{Function: Function, Method: http.MethodPost, Path: base, Handle: s.create},
		{Function: Function, Method: http.MethodGet, Path: base + "/{idverb}", Handle: s.get},
		{Function: Function, Method: http.MethodPatch, Path: base + "/{idverb}", Handle: s.update},
		{Function: Function, Method: http.MethodDelete, Path: base + "/{idverb}", Handle: s.delete},
		{Function: Function, Method: http.MethodPost, Path: base + "/{idverb}", Handle: s.act},
		{Function: Function, Method: http.MethodPost, Path: base + "/{idverb}/{verb}", Handle: s.actOnWebhook},
	}
}

// view renders c with URLs on the base the caller used.
func (s *Service) view(r *http.Request, c Connector) View { return ViewOf(c, httpapi.PublicBaseURL(r)) }

// scope validates the path's tenant and integration and that the token
// names the tenant; it returns the tenant and the provider.
func scope(r *http.Request) (string, string, error) {
	t, err := httpapi.Tenant(r)
	if err != nil {
		return "", "", err
	}
	if _, _, err := authz.TenantRole(r.Context(), t); err != nil {
		return "", "", err
	}
	provider, ok := ProviderOf(r.PathValue("integration"))
	if !ok {
		return "", "", problem.NotFound("no integration " + strconv.Quote(r.PathValue("integration")) + "; gatehouse has slack, teams, telegram, whatsapp and twilio")
	}
	return t, provider, nil
}

// load reads the config named by id under the path's integration and
// checks the caller's role on its agent.
func (s *Service) load(r *http.Request, want authz.Role, idv string) (string, Connector, error) {
	t, provider, err := scope(r)
	if err != nil {
		return "", Connector{}, err
	}
	id, err := httpapi.ParseID("config", idv)
	if err != nil {
		return "", Connector{}, err
	}
	c, err := s.repo.Get(r.Context(), t, id)
	if err != nil {
		return "", Connector{}, err
	}
	if c.Provider != provider {
		return "", Connector{}, problem.NotFound("no " + IntegrationID(provider) + " config " + id)
	}
	if _, err := s.authz.Require(r.Context(), t, c.AgentID, want); err != nil {
		return "", Connector{}, err
	}
	return t, c, nil
}

// loadPlain is load for routes without a custom verb.
func (s *Service) loadPlain(r *http.Request, want authz.Role) (string, Connector, error) {
	idv, verb := httpapi.SplitVerb(r.PathValue("idverb"))
	if verb != "" {
		return "", Connector{}, problem.NotFound("no route for " + r.Method + " with verb :" + verb)
	}
	return s.load(r, want, idv)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) error {
	_, c, err := s.loadPlain(r, authz.Viewer)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.view(r, c))
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	t, provider, err := scope(r)
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
	items, next, err := s.repo.List(r.Context(), t, provider, lp.AgentID, lp.PageSize, lp.PageToken)
	if err != nil {
		return err
	}
	out := make([]View, 0, len(items))
	for _, c := range items {
		out = append(out, s.view(r, c))
	}
	return httpapi.WriteList(w, r, out, next)
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) error {
	t, provider, err := scope(r)
	if err != nil {
		return err
	}
	var in input
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := newConnector(provider, in)
	if err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), t, c.AgentID, authz.Admin); err != nil {
		return err
	}
	p, _, _ := authz.TenantRole(r.Context(), t)
	now := s.now().UnixMilli()
	c.ID, c.CreatedBy, c.CreatedAt, c.ModifiedAt = uuid.NewString(), p.Subject, now, now
	if err := s.repo.Create(r.Context(), t, c); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/tenants/"+t+"/integrations/"+IntegrationID(provider)+"/configs/"+c.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, s.view(r, c))
}

func (s *Service) update(w http.ResponseWriter, r *http.Request) error {
	var in updateInput
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, cur, err := s.loadPlain(r, authz.Admin)
	if err != nil {
		return err
	}
	next, err := patch(cur, in.input())
	if err != nil {
		return err
	}
	next.ModifiedAt = s.now().UnixMilli()
	if next, err = s.repo.Update(r.Context(), t, cur, next); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.view(r, next))
}

func (s *Service) delete(w http.ResponseWriter, r *http.Request) error {
	t, c, err := s.loadPlain(r, authz.Admin)
	if err != nil {
		return err
	}
	if err := s.repo.Delete(r.Context(), t, c); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// notMirrored are documented config verbs gatehouse answers with 400 and
// the reason.
var notMirrored = map[string]string{
	"publish":      "gatehouse configs have no drafts: every save is live at once, so there is nothing to publish",
	"rollback":     "gatehouse configs have no revisions: every save is live at once, so there is nothing to roll back to",
	"verifyConfig": "gatehouse has no credential check call; :inspectWebhook shows what Telegram reports, and a failing credential shows in the onboarding message's delivery",
}

// act serves the custom verbs of a config.
func (s *Service) act(w http.ResponseWriter, r *http.Request) error {
	idv, verb := httpapi.SplitVerb(r.PathValue("idverb"))
	switch verb {
	case "generateWebhookUrl":
		return s.generateWebhookURL(w, r, idv)
	case "applyWebhookToProvider":
		return s.applyWebhookToProvider(w, r, idv)
	case "inspectWebhook":
		return s.inspectWebhook(w, r, idv)
	}
	if why, ok := notMirrored[verb]; ok {
		return problem.BadRequest("unsupported-action", ":"+verb+" is not supported: "+why)
	}
	if verb == "" {
		return problem.NotFound("no route for POST on a config; use one of its verbs, e.g. :generateWebhookUrl")
	}
	return problem.NotFound("unknown action " + strconv.Quote(verb) + "; use :generateWebhookUrl, :applyWebhookToProvider, :inspectWebhook or /webhook:rotate")
}

// actOnWebhook serves POST .../configs/{config}/webhook:rotate.
func (s *Service) actOnWebhook(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("verb") != "webhook:rotate" {
		return problem.NotFound("no route for POST .../configs/{config}/" + r.PathValue("verb") + "; use /webhook:rotate")
	}
	idv, verb := httpapi.SplitVerb(r.PathValue("idverb"))
	if verb != "" {
		return problem.NotFound("no route for POST .../configs/{config}:" + verb + "/webhook:rotate")
	}
	return s.rotateWebhook(w, r, idv)
}
