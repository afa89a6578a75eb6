package participants

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/avatar"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Slack OAuth: a Slack connector's workspace token (scope users:read)
// for avatar sync, obtained with Slack's OAuth v2 flow and stored
// write-only in its own item (roster.OAuthConnection).
//
//	POST   .../integrations/slack/configs/{config}/slackOAuth   {authorizeUrl} to open in a browser (agent ADMIN)
//	GET    .../integrations/slack/configs/{config}/slackOAuth   connection status, token prefix only (VIEWER)
//	DELETE .../integrations/slack/configs/{config}/slackOAuth   forget the token (agent ADMIN)
//	GET    /v1/oauth/slack/callback?code&state     public: Slack redirects here
const (
	oauthPath    = "/v1/tenants/{tenant}/integrations/slack/configs/{idverb}/slackOAuth"
	callbackPath = "/v1/oauth/slack/callback"
	// StateTTL bounds how long an authorize URL can be completed.
	StateTTL = 10 * time.Minute
)

// SlackClient plays Slack's authorize and oauth.v2.access steps
// (avatar.Fetcher).
type SlackClient interface {
	SlackAuthorizeURL(clientID, redirectURL, state string) string
	ExchangeSlackCode(ctx context.Context, clientID, clientSecret, code, redirectURL string) (token, teamID string, err error)
}

// SlackOAuth configures the flow; zero ClientID, ClientSecret or
// StateKey make its routes answer 503.
type SlackOAuth struct {
	ClientID, ClientSecret string
	StateKey               []byte // HMAC key of the state parameter
	Client                 SlackClient
}

// SlackAppConfig is the Slack app of the OAuth flow.
type SlackAppConfig struct {
	ClientID, ClientSecret string
	StateKey               []byte // at least 32 random bytes
}

// NewSlackOAuth configures the flow of app with c playing Slack's steps.
func NewSlackOAuth(app SlackAppConfig, c SlackClient) SlackOAuth {
	return SlackOAuth{ClientID: app.ClientID, ClientSecret: app.ClientSecret, StateKey: app.StateKey, Client: c}
}

func (o SlackOAuth) configured() bool {
	return o.ClientID != "" && o.ClientSecret != "" && len(o.StateKey) >= 32 && o.Client != nil
}

// redirectURL must be the same string in the authorize URL and the code
// exchange: both come from the public base of the request.
func redirectURL(r *http.Request) string { return httpapi.PublicBaseURL(r) + callbackPath }

func errOAuthOff() error {
	return problem.New(http.StatusServiceUnavailable, "slack-oauth-not-configured",
		"Slack OAuth is not configured (SLACK_OAUTH_CLIENT_ID, SLACK_OAUTH_CLIENT_SECRET, SLACK_OAUTH_STATE_KEY)")
}

func (s *Service) oauthRoutes() []httpapi.Route {
	return []httpapi.Route{
		{Function: AvatarsFunction, Method: http.MethodPost, Path: oauthPath, Handle: s.oauthConnect},
		{Function: AvatarsFunction, Method: http.MethodGet, Path: oauthPath, Handle: s.oauthStatus},
		{Function: AvatarsFunction, Method: http.MethodDelete, Path: oauthPath, Handle: s.oauthDisconnect},
		{Function: AvatarsFunction, Method: http.MethodGet, Path: callbackPath, Public: true, Handle: s.oauthCallback},
	}
}

// slackConnector reads the path's connector and checks it is a Slack one
// and that the caller holds want on its agent.
func (s *Service) slackConnector(r *http.Request, want authz.Role) (string, Connector, error) {
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return "", Connector{}, err
	}
	if _, _, err := authz.TenantRole(r.Context(), tenant); err != nil {
		return "", Connector{}, err
	}
	id, err := httpapi.ParseID("integrationConfig", r.PathValue("idverb"))
	if err != nil {
		return "", Connector{}, err
	}
	c, err := s.connectors.GetConnector(r.Context(), tenant, id)
	if err != nil {
		return "", Connector{}, err
	}
	if _, err := s.authz.Require(r.Context(), tenant, c.AgentID, want); err != nil {
		return "", Connector{}, err
	}
	if c.Provider != avatar.ProviderSlack {
		// The path names the slack integration; as in the configs API, a
		// config of another integration is not found under it.
		return "", Connector{}, problem.NotFound("no slack integration config " + id + "; it is a " + strings.ToLower(c.Provider) + " config")
	}
	return tenant, c, nil
}

// oauthState is the signed state's payload.
type oauthState struct {
	Tenant    string `json:"t"`
	Connector string `json:"c"`
	Subject   string `json:"s"`
}

// ConnectResponse is the answer of POST .../slackOAuth.
type ConnectResponse struct {
	AuthorizeURL string `json:"authorizeUrl"`
	ExpiresAt    int64  `json:"expiresAt"`
}

func (s *Service) oauthConnect(w http.ResponseWriter, r *http.Request) error {
	var empty struct{}
	if err := httpapi.DecodeJSON(r, &empty); err != nil {
		return err
	}
	if !s.slack.configured() {
		return errOAuthOff()
	}
	tenant, c, err := s.slackConnector(r, authz.Admin)
	if err != nil {
		return err
	}
	p, _, _ := authz.TenantRole(r.Context(), tenant)
	payload, _ := json.Marshal(oauthState{Tenant: tenant, Connector: c.ID, Subject: p.Subject})
	now := s.now()
	state := avatar.SignState(s.slack.StateKey, string(payload), now)
	return httpapi.WriteJSON(w, http.StatusOK, ConnectResponse{
		AuthorizeURL: s.slack.Client.SlackAuthorizeURL(s.slack.ClientID, redirectURL(r), state),
		ExpiresAt:    now.Add(StateTTL).UnixMilli(),
	})
}

// Status is a connector's Slack OAuth connection; never the token.
type Status struct {
	IntegrationConfigID string  `json:"integrationConfigId"`
	Connected           bool    `json:"connected"`
	TeamID              *string `json:"teamId"`
	TokenPrefix         *string `json:"tokenPrefix"`
	ConnectedBy         *string `json:"connectedBy"`
	ConnectedAt         *int64  `json:"connectedAt"`
}

func statusOf(id string, oc roster.OAuthConnection, ok bool) Status {
	st := Status{IntegrationConfigID: id, Connected: ok}
	if ok {
		prefix := oc.Token
		if len(prefix) > 8 {
			prefix = prefix[:8]
		}
		st.TeamID, st.TokenPrefix, st.ConnectedBy, st.ConnectedAt = str(oc.TeamID), str(prefix+"…"), str(oc.ConnectedBy), num(oc.ConnectedAt)
	}
	return st
}

func (s *Service) oauthStatus(w http.ResponseWriter, r *http.Request) error {
	tenant, c, err := s.slackConnector(r, authz.Viewer)
	if err != nil {
		return err
	}
	oc, err := s.store.GetOAuthConnection(r.Context(), tenant, c.ID, avatar.ProviderSlack)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, statusOf(c.ID, oc, err == nil))
}

func (s *Service) oauthDisconnect(w http.ResponseWriter, r *http.Request) error {
	tenant, c, err := s.slackConnector(r, authz.Admin)
	if err != nil {
		return err
	}
	if err := s.store.DeleteOAuthConnection(r.Context(), tenant, c.AgentID, c.ID, avatar.ProviderSlack); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// oauthCallback completes the flow Slack redirects the browser to.
func (s *Service) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return problem.BadRequest("oauth-denied", "Slack did not authorize the app: "+truncate(e, 64))
	}
	if !s.slack.configured() {
		return errOAuthOff()
	}
	raw, err := avatar.VerifyState(s.slack.StateKey, q.Get("state"), s.now(), StateTTL)
	if err != nil {
		return problem.Wrap(err, http.StatusBadRequest, "invalid-oauth-state", "the state parameter is invalid or expired; start again with POST .../slackOAuth")
	}
	var st oauthState
	if err := json.Unmarshal([]byte(raw), &st); err != nil || st.Tenant == "" || st.Connector == "" {
		return problem.Wrap(err, http.StatusBadRequest, "invalid-oauth-state", "the state parameter is malformed")
	}
	code := q.Get("code")
	if code == "" || len(code) > 512 {
		return problem.BadRequest("invalid-oauth-code", "code is missing")
	}
	c, err := s.connectors.GetConnector(r.Context(), st.Tenant, st.Connector)
	if err != nil {
		return err
	}
	if c.Provider != avatar.ProviderSlack {
		return problem.BadRequest("not-slack", "the integration config is no longer a Slack one")
	}
	token, team, err := s.slack.Client.ExchangeSlackCode(r.Context(), s.slack.ClientID, s.slack.ClientSecret, code, redirectURL(r))
	if err != nil {
		if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
			return problem.Wrap(err, http.StatusBadRequest, "invalid-oauth-code", "Slack refused the code: "+truncate(se.Err, 64))
		}
		return problem.Wrap(err, http.StatusBadGateway, "slack-unavailable", "Slack could not be reached; try again")
	}
	oc := roster.OAuthConnection{IntegrationConfigID: c.ID, Provider: avatar.ProviderSlack, Token: token, TeamID: team,
		ConnectedBy: st.Subject, ConnectedAt: s.now().UnixMilli()}
	if err := s.store.PutOAuthConnection(r.Context(), st.Tenant, c.AgentID, oc); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, statusOf(c.ID, oc, true))
}

func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > n {
		return s[:n]
	}
	return s
}
