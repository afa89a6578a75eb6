// Package alertsettings is an agent's alert settings and their API
// (GET/PUT …/agents/{agentId}/alertSettings, served by
// CollaboratorsFunction): where the agent's access-request digests go
// besides its approvers' e-mail (pkg/alerts sends them).
package alertsettings

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Settings are an agent's alert settings: where its Slack digest goes
// (nil: no Slack digest). The e-mail digests follow each collaborator's
// own alertPreferences.
type Settings struct {
	Slack      *SlackTarget
	ModifiedBy string
	ModifiedAt int64
}

// SlackTarget is a channel reached through one of the agent's Slack
// connectors (its bot must be in the channel).
type SlackTarget struct {
	ConfigID string
	Channel  string
}

// settingsItem is the stored Settings.
type settingsItem struct {
	PK            string `dynamo:"PK,hash"`
	SK            string `dynamo:"SK,range"`
	Tenant        string `dynamo:"tenant"`
	AgentID       string `dynamo:"agentId"`
	SlackConfigID string `dynamo:"slackConfigId,omitempty"`
	SlackChannel  string `dynamo:"slackChannel,omitempty"`
	ModifiedBy    string `dynamo:"modifiedBy,omitempty"`
	ModifiedAt    int64  `dynamo:"modifiedAt"`
}

// SettingsRepo reads and writes agents' alert settings.
type SettingsRepo struct {
	st    *store.Store
	table dynamo.Table
}

// NewSettingsRepo returns a SettingsRepo over the table.
func NewSettingsRepo(st *store.Store) *SettingsRepo { return &SettingsRepo{st: st, table: st.Table()} }

// Get returns an agent's settings; an agent never configured has none.
func (r *SettingsRepo) Get(ctx context.Context, tenant, agent string) (Settings, error) {
	var it settingsItem
	err := r.table.Get("PK", store.AgentAlertsPK(tenant, agent)).Range("SK", dynamo.Equal, store.MarkerSK).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Settings{}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("alertsettings: read settings: %w", err)
	}
	s := Settings{ModifiedBy: it.ModifiedBy, ModifiedAt: it.ModifiedAt}
	if it.SlackConfigID != "" {
		s.Slack = &SlackTarget{ConfigID: it.SlackConfigID, Channel: it.SlackChannel}
	}
	return s, nil
}

// Put replaces an agent's settings (cur, as read) with an
// AlertSettingsChanged audit entry in the same transaction.
func (r *SettingsRepo) Put(ctx context.Context, tenant, agent string, cur, s Settings) error {
	it := settingsItem{PK: store.AgentAlertsPK(tenant, agent), SK: store.MarkerSK, Tenant: tenant, AgentID: agent,
		ModifiedBy: s.ModifiedBy, ModifiedAt: s.ModifiedAt}
	if s.Slack != nil {
		it.SlackConfigID, it.SlackChannel = s.Slack.ConfigID, s.Slack.Channel
	}
	entry := audit.Record(ctx, audit.Change{Scope: store.TenantScope(tenant), AgentID: agent, Action: audit.AlertSettingsChanged,
		TargetType: audit.TargetAlertSettings, TargetID: agent, StatusBefore: slackText(cur.Slack), StatusAfter: slackText(s.Slack), At: s.ModifiedAt})
	if err := r.st.Tx().Put("alert-settings", r.table.Put(it)).Join(entry).Run(ctx); err != nil {
		return fmt.Errorf("alertsettings: write settings: %w", err)
	}
	return nil
}

// slackText is a target's audit status: "slack=<config>/<channel>" or "slack=off".
func slackText(t *SlackTarget) string {
	if t == nil {
		return "slack=off"
	}
	return "slack=" + t.ConfigID + "/" + t.Channel
}

// settingsPath is served by CollaboratorsFunction (the agent's people and
// their alerts in one function). {agentId} as on every route under /agents/.
const settingsPath = "/v1/tenants/{tenant}/agents/{agentId}/alertSettings"

// Problems of the settings API.
var (
	errSlackConfig = problem.NewKind("alertsettings: not a slack config of the agent", http.StatusBadRequest, "invalid-slack-config",
		"slack.configId must be a Slack integration config of this agent")
	errSlackChannel = problem.NewKind("alertsettings: bad slack channel", http.StatusBadRequest, "invalid-slack-channel",
		"slack.channel must be a Slack channel id or name (1-80 characters of A-Z, a-z, 0-9, '#', '_', '-', '.')")
)

// slackChannel is a channel id (C0123ABCD) or a name (#approvals).
var slackChannel = regexp.MustCompile(`^[A-Za-z0-9#_.-]{1,80}$`)

// SettingsService serves the alert settings API.
type SettingsService struct {
	repo  *SettingsRepo
	conns ConnectorReader
	authz *authz.Authorizer
	now   func() time.Time
}

// ConnectorReader reads a connector.
type ConnectorReader interface {
	Get(ctx context.Context, tenant, id string) (connectors.Connector, error)
}

// Routes builds the settings API from p; a nil p gives metadata-only routes.
func Routes(p *platform.Platform) ([]httpapi.Route, error) {
	if p == nil {
		return (*SettingsService)(nil).Routes(), nil
	}
	s := &SettingsService{repo: NewSettingsRepo(p.Store), conns: connectors.NewRepo(p.Store), authz: p.Authz, now: time.Now}
	return s.Routes(), nil
}

// Routes returns the settings routes.
func (s *SettingsService) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Function: collaborators.Function, Method: http.MethodGet, Path: settingsPath, Handle: s.get},
		{Function: collaborators.Function, Method: http.MethodPut, Path: settingsPath, Handle: s.put},
	}
}

// SettingsView is the API's shape.
type SettingsView struct {
	AgentID    string     `json:"agentId"`
	Slack      *SlackView `json:"slack"`
	ModifiedBy *string    `json:"modifiedBy"`
	ModifiedAt *int64     `json:"modifiedAt"`
}

// SlackView is a Slack target in the API.
type SlackView struct {
	ConfigID string `json:"configId"`
	Channel  string `json:"channel"`
}

func viewOf(agent string, s Settings) SettingsView {
	v := SettingsView{AgentID: agent}
	if s.Slack != nil {
		v.Slack = &SlackView{ConfigID: s.Slack.ConfigID, Channel: s.Slack.Channel}
	}
	if s.ModifiedAt != 0 {
		v.ModifiedBy, v.ModifiedAt = &s.ModifiedBy, &s.ModifiedAt
	}
	return v
}

func parseAgent(r *http.Request) (tenant, agent string, err error) {
	if tenant, err = httpapi.Tenant(r); err != nil {
		return "", "", err
	}
	agent = r.PathValue("agentId")
	if !httpapi.ValidAgentID(agent) {
		return "", "", problem.BadRequest("invalid-agent-id", "agentId must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	if _, err := httpapi.ParseQuery(r); err != nil {
		return "", "", err
	}
	return tenant, agent, nil
}

// get answers the agent's settings (agent ADMIN: they name a channel).
func (s *SettingsService) get(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, err := parseAgent(r)
	if err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Admin); err != nil {
		return err
	}
	cur, err := s.repo.Get(r.Context(), tenant, agent)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, viewOf(agent, cur))
}

type putBody struct {
	Slack *SlackView `json:"slack"`
}

// put replaces the settings; slack null or absent turns the Slack digest off.
func (s *SettingsService) put(w http.ResponseWriter, r *http.Request) error {
	tenant, agent, err := parseAgent(r)
	if err != nil {
		return err
	}
	var b putBody
	if err := httpapi.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.Slack != nil && !slackChannel.MatchString(b.Slack.Channel) {
		return errSlackChannel
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Admin); err != nil {
		return err
	}
	p, _ := auth.FromContext(r.Context())
	next := Settings{ModifiedBy: p.Subject, ModifiedAt: s.now().UnixMilli()}
	if b.Slack != nil {
		if err := CheckSlack(r.Context(), s.conns, tenant, agent, b.Slack.ConfigID); err != nil {
			return err
		}
		next.Slack = &SlackTarget{ConfigID: b.Slack.ConfigID, Channel: b.Slack.Channel}
	}
	cur, err := s.repo.Get(r.Context(), tenant, agent)
	if err != nil {
		return err
	}
	if err := s.repo.Put(r.Context(), tenant, agent, cur, next); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, viewOf(agent, next))
}

// CheckSlack refuses anything but a Slack connector of the agent.
func CheckSlack(ctx context.Context, conns ConnectorReader, tenant, agent, id string) error {
	if id == "" || len(id) > 128 {
		return errSlackConfig
	}
	c, err := conns.Get(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return errSlackConfig
	}
	if err != nil {
		return err
	}
	if c.Provider != connectors.Slack || c.AgentID != agent {
		return errSlackConfig
	}
	return nil
}
