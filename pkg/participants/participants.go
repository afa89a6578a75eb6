// Package participants serves /v1/tenants/{tenant}/participants as the
// docs' agent-network tree has it (seed 001): create, get, list (a bare
// array), PATCH with reconciliation, delete, :disable and :enable, agent
// bindings (PUT answers the Binding), avatar:syncFromChannel (the
// provider's profile picture into S3) and GET .../avatar; and the
// "avatar.sync" outbox handler that approvals queue.
//
// A participant's channels and bindings are written in the same
// transaction as the participant, with a channel index item per channel
// so that a channel belongs to at most one participant of a tenant.
// Participants have at most roster.MaxChannels channels and
// roster.MaxAgents agents, which keeps every write within one transaction.
package participants

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/avatar"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Function is the Lambda (template.yaml logical id) serving the
// participant and binding routes.
const Function = "ParticipantsFunction"

// AvatarsFunction serves the avatar and Slack OAuth routes. It is apart so
// that ParticipantsFunction links no S3 client and no provider SDK (the
// 10 MiB binary budget).
const AvatarsFunction = "AvatarsFunction"

const (
	base = "/v1/tenants/{tenant}/participants"
	// writeRetries bounds how often a read-modify-write is redone when
	// another writer changed the participant in between.
	writeRetries = 3
)

// Store is the persistence the service needs.
type Store interface {
	GetParticipantRecord(ctx context.Context, tenant, id string) (roster.ParticipantRecord, error)
	CreateParticipant(ctx context.Context, tenant string, p roster.Participant, bindingIDs map[string]string) error
	ReplaceParticipant(ctx context.Context, tenant string, cur roster.ParticipantRecord, next roster.Participant, bindingIDs map[string]string) error
	DeleteParticipant(ctx context.Context, tenant string, cur roster.ParticipantRecord) error
	SetDisabled(ctx context.Context, tenant, id string, disabled bool, at int64) (roster.Participant, error)
	AddBinding(ctx context.Context, tenant, id, agent, bindingID string, at int64) error
	RemoveBinding(ctx context.Context, tenant, id, agent string, at int64) error
	SetAvatar(ctx context.Context, tenant, id string, a roster.Avatar, at int64) (roster.Participant, error)
	ListParticipants(ctx context.Context, tenant, agent string, pageSize int, pageToken string) ([]roster.Participant, string, error)
	LoadParticipantDetails(ctx context.Context, tenant string, ps []roster.Participant, bindings bool) (roster.ParticipantDetails, error)
	GetOAuthConnection(ctx context.Context, tenant, connector, provider string) (roster.OAuthConnection, error)
	PutOAuthConnection(ctx context.Context, tenant, agent string, c roster.OAuthConnection) error
	DeleteOAuthConnection(ctx context.Context, tenant, agent, connector, provider string) error
}

// Service handles the routes.
type Service struct {
	store      Store
	authz      *authz.Authorizer
	connectors ConnectorReader
	avatars    Avatars
	slack      SlackOAuth
	now        func() time.Time
}

// New returns a Service. With av.Blobs nil the avatar routes answer 503,
// and so do the Slack OAuth routes when so is not configured.
func New(st Store, az *authz.Authorizer, cr ConnectorReader, av Avatars, so SlackOAuth) *Service {
	return &Service{store: st, authz: az, connectors: cr, avatars: av, slack: so, now: time.Now}
}

// Config is the configuration of participants and avatars. Its zero
// value serves participants; avatar routes then answer 503 (no bucket),
// and so does Slack OAuth (no app).
type Config struct {
	// Avatar configures the avatar fetcher (provider APIs, trusted roots).
	Avatar avatar.Config
	// AvatarBucket is the S3 bucket of avatar images; S3Endpoint
	// overrides S3's endpoint (a local S3).
	AvatarBucket, S3Endpoint string
	// SlackApp is the Slack app of the OAuth flow.
	SlackApp SlackAppConfig
}

// ConfigFromEnv reads PUBLIC_BASE_URL, AVATAR_BUCKET, S3_ENDPOINT,
// SLACK_OAUTH_CLIENT_ID, SLACK_OAUTH_CLIENT_SECRET, SLACK_OAUTH_STATE_KEY
// and the fetcher's settings (AvatarConfigFromEnv).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	av, err := AvatarConfigFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	return Config{
		Avatar:       av,
		AvatarBucket: getenv("AVATAR_BUCKET"),
		S3Endpoint:   getenv("S3_ENDPOINT"),
		SlackApp: SlackAppConfig{ClientID: getenv("SLACK_OAUTH_CLIENT_ID"), ClientSecret: getenv("SLACK_OAUTH_CLIENT_SECRET"),
			StateKey: []byte(getenv("SLACK_OAUTH_STATE_KEY"))},
	}, nil
}

// FromPlatform builds the service from p, the process's connectors and
// cfg. It makes no network call.
func FromPlatform(p *platform.Platform, conns *connectors.Repo, cfg Config) *Service {
	f := avatar.NewFetcher(cfg.Avatar)
	av := Avatars{Fetcher: f, Blobs: NewBlobs(p.AWS, cfg.AvatarBucket, cfg.S3Endpoint)}
	return New(roster.NewRepo(p.Store), p.Authz, ConnectorsFromRepo(conns), av, NewSlackOAuth(cfg.SlackApp, f))
}

// Routes builds the service and returns all its routes (both
// functions'); a nil p gives metadata-only routes.
func Routes(p *platform.Platform, conns *connectors.Repo, cfg Config) ([]httpapi.Route, error) {
	if p == nil {
		return (*Service)(nil).Routes(), nil
	}
	return FromPlatform(p, conns, cfg).Routes(), nil
}

// ParticipantRoutes are ParticipantsFunction's routes, built without the
// avatar fetcher, S3 or Slack OAuth.
func ParticipantRoutes(p *platform.Platform, conns *connectors.Repo, cfg Config) ([]httpapi.Route, error) {
	s := New(roster.NewRepo(p.Store), p.Authz, ConnectorsFromRepo(conns), Avatars{}, SlackOAuth{})
	return s.participantRoutes(), nil
}

// AvatarRoutes are AvatarsFunction's routes.
func AvatarRoutes(p *platform.Platform, conns *connectors.Repo, cfg Config) ([]httpapi.Route, error) {
	return FromPlatform(p, conns, cfg).avatarRoutes(), nil
}

// Routes returns the route table entries of this resource. Custom verbs
// share a pattern with their resource ({participant} may end in
// ":disable" or ":enable"; {action} is "avatar:syncFromChannel").
func (s *Service) Routes() []httpapi.Route {
	return append(s.participantRoutes(), s.avatarRoutes()...)
}

const one = base + "/{participant}"

func (s *Service) participantRoutes() []httpapi.Route {
	return []httpapi.Route{
		{Function: Function, Method: http.MethodPost, Path: base, Handle: s.create},
		{Function: Function, Method: http.MethodGet, Path: base, Handle: s.list},
		{Function: Function, Method: http.MethodGet, Path: one, Handle: s.get},
		{Function: Function, Method: http.MethodPatch, Path: one, Handle: s.patch},
		{Function: Function, Method: http.MethodDelete, Path: one, Handle: s.delete},
		{Function: Function, Method: http.MethodPost, Path: one, Handle: s.verb},
		{Function: Function, Method: http.MethodPut, Path: one + "/bindings/{binding}", Handle: s.putBinding},
		{Function: Function, Method: http.MethodDelete, Path: one + "/bindings/{binding}", Handle: s.deleteBinding},
	}
}

func (s *Service) avatarRoutes() []httpapi.Route {
	return append([]httpapi.Route{
		{Function: AvatarsFunction, Method: http.MethodPost, Path: one + "/{action}", Handle: s.action},
		{Function: AvatarsFunction, Method: http.MethodGet, Path: one + "/avatar", Handle: s.getAvatar},
	}, s.oauthRoutes()...)
}

// pathID reads {participant} and its verb.
func pathID(r *http.Request) (id, verb string, err error) {
	idv, verb := httpapi.SplitVerb(r.PathValue("participant"))
	id, err = httpapi.ParseID("participant", idv)
	return id, verb, err
}

// load reads the participant named by the path and checks the caller
// holds at least want on one of its agents.
func (s *Service) load(r *http.Request, want authz.Role) (string, roster.ParticipantRecord, *caller, error) {
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return "", roster.ParticipantRecord{}, nil, err
	}
	if _, _, err := authz.TenantRole(r.Context(), tenant); err != nil {
		return "", roster.ParticipantRecord{}, nil, err
	}
	id, _, err := pathID(r)
	if err != nil {
		return "", roster.ParticipantRecord{}, nil, err
	}
	rec, err := s.store.GetParticipantRecord(r.Context(), tenant, id)
	if err != nil {
		return "", roster.ParticipantRecord{}, nil, err
	}
	c, err := s.caller(r.Context(), tenant, rec.AgentIDs)
	if err != nil {
		return "", roster.ParticipantRecord{}, nil, err
	}
	if err := c.requireAny(rec.AgentIDs, want); err != nil {
		return "", roster.ParticipantRecord{}, nil, err
	}
	return tenant, rec, c, nil
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) error {
	if _, verb, _ := pathID(r); verb != "" {
		return problem.NotFound("no route for GET with verb :" + verb)
	}
	tenant, rec, _, err := s.load(r, authz.Viewer)
	if err != nil {
		return err
	}
	v, err := s.viewOne(r.Context(), tenant, rec)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

// list answers the docs' bare array, newest first. With agentId: the
// participants bound to it (any role on the agent). Without: a tenant
// ADMIN gets the tenant's; anyone else the participants of one page of
// the tenant's that are bound to an agent they hold a role on (so a page
// may hold fewer than pageSize; follow Link rel="next"). Either way one
// page is at most httpapi.DefaultListBound participants.
func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return err
	}
	lp, err := httpapi.ParseList(r)
	if err != nil {
		return err
	}
	var c *caller
	if lp.AgentID != "" {
		if err := s.authz.RequireList(r.Context(), tenant, lp.AgentID); err != nil {
			return err
		}
	} else if c, err = s.caller(r.Context(), tenant, nil); err != nil {
		return err
	}
	ps, next, err := s.store.ListParticipants(r.Context(), tenant, lp.AgentID, lp.PageSize, lp.PageToken)
	if err != nil {
		return err
	}
	if c != nil && !c.admin {
		if ps, err = c.visible(r.Context(), s.authz, tenant, ps); err != nil {
			return err
		}
	}
	views, err := s.viewMany(r.Context(), tenant, ps)
	if err != nil {
		return err
	}
	return httpapi.WriteList(w, r, views, next)
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) error {
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return err
	}
	var in createInput
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	p, err := in.forCreate(tenant)
	if err != nil {
		return err
	}
	if _, _, err := authz.TenantRole(r.Context(), tenant); err != nil {
		return err
	}
	c, err := s.caller(r.Context(), tenant, p.AgentIDs)
	if err != nil {
		return err
	}
	if len(p.AgentIDs) == 0 && !c.admin {
		return problem.Forbidden("only a tenant ADMIN may create a participant bound to no agent; name agentIds")
	}
	if err := c.requireEach(p.AgentIDs, authz.Editor); err != nil {
		return err
	}
	now := s.now().UnixMilli()
	p.ID, p.CreatedAt, p.ModifiedAt = uuid.NewString(), now, now
	bindingIDs := map[string]string{}
	for _, a := range p.AgentIDs {
		bindingIDs[a] = uuid.NewString()
	}
	if err := s.store.CreateParticipant(r.Context(), tenant, p, bindingIDs); err != nil {
		return translate(err)
	}
	rec, err := s.store.GetParticipantRecord(r.Context(), tenant, p.ID)
	if err != nil {
		return err
	}
	v, err := s.viewOne(r.Context(), tenant, rec)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/tenants/"+tenant+"/participants/"+p.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, v)
}

func (s *Service) patch(w http.ResponseWriter, r *http.Request) error {
	if _, verb, _ := pathID(r); verb != "" {
		return problem.NotFound("no route for PATCH with verb :" + verb)
	}
	var in input
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		tenant, rec, c, err := s.load(r, authz.Editor)
		if err != nil {
			return err
		}
		next, err := in.applyTo(tenant, rec.Participant)
		if err != nil {
			return err
		}
		added, removed := diffAgents(rec, next.AgentIDs)
		if err := c.loadMore(r.Context(), s.authz, tenant, added...); err != nil {
			return err
		}
		if err := c.requireEach(append(added, removed...), authz.Editor); err != nil {
			return err
		}
		next.ModifiedAt = max(s.now().UnixMilli(), rec.ModifiedAt+1)
		bindingIDs := map[string]string{}
		for _, a := range added {
			bindingIDs[a] = uuid.NewString()
		}
		err = s.store.ReplaceParticipant(r.Context(), tenant, rec, next, bindingIDs)
		if isRetryable(err) && attempt < writeRetries {
			continue
		}
		if err != nil {
			return translate(err)
		}
		return s.writeOne(w, r, tenant, rec.ID, http.StatusOK)
	}
}

func (s *Service) delete(w http.ResponseWriter, r *http.Request) error {
	if _, verb, _ := pathID(r); verb != "" {
		return problem.NotFound("no route for DELETE with verb :" + verb)
	}
	for attempt := 1; ; attempt++ {
		tenant, rec, _, err := s.load(r, authz.Editor)
		if err != nil {
			return err
		}
		err = s.store.DeleteParticipant(r.Context(), tenant, rec)
		if isRetryable(err) && attempt < writeRetries {
			continue
		}
		if err != nil {
			return translate(err)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// verb serves POST {id}:disable and {id}:enable.
func (s *Service) verb(w http.ResponseWriter, r *http.Request) error {
	_, verb, _ := pathID(r)
	if verb != "disable" && verb != "enable" {
		return problem.NotFound("unknown action " + strconv.Quote(verb) + "; use :disable or :enable")
	}
	var empty struct{}
	if err := httpapi.DecodeJSON(r, &empty); err != nil {
		return err
	}
	tenant, rec, _, err := s.load(r, authz.Editor)
	if err != nil {
		return err
	}
	if _, err := s.store.SetDisabled(r.Context(), tenant, rec.ID, verb == "disable", s.now().UnixMilli()); err != nil {
		return err
	}
	return s.writeOne(w, r, tenant, rec.ID, http.StatusOK)
}

// bindingTarget validates {binding} (the agent id, as the docs name it)
// and checks the caller may change the participant's bindings to it:
// EDITOR on the participant and on the agent.
func (s *Service) bindingTarget(r *http.Request) (string, roster.ParticipantRecord, string, error) {
	if _, verb, _ := pathID(r); verb != "" {
		return "", roster.ParticipantRecord{}, "", problem.NotFound("no bindings under :" + verb)
	}
	agent := r.PathValue("binding")
	if !httpapi.ValidAgentID(agent) {
		return "", roster.ParticipantRecord{}, "", problem.BadRequest("invalid-agent-id", "the binding (an agent id) must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	tenant, rec, c, err := s.load(r, authz.Editor)
	if err != nil {
		return "", roster.ParticipantRecord{}, "", err
	}
	if err := c.loadMore(r.Context(), s.authz, tenant, agent); err != nil {
		return "", roster.ParticipantRecord{}, "", err
	}
	if err := c.requireEach([]string{agent}, authz.Editor); err != nil {
		return "", roster.ParticipantRecord{}, "", err
	}
	return tenant, rec, agent, nil
}

// putBinding answers the docs' Binding object; an existing binding comes
// back unchanged (same id and createdAt).
func (s *Service) putBinding(w http.ResponseWriter, r *http.Request) error {
	var empty struct{}
	if err := httpapi.DecodeJSON(r, &empty); err != nil {
		return err
	}
	tenant, rec, agent, err := s.bindingTarget(r)
	if err != nil {
		return err
	}
	_, bound := rec.Binding(agent)
	if !bound || !contains(rec.AgentIDs, agent) {
		if err := s.store.AddBinding(r.Context(), tenant, rec.ID, agent, uuid.NewString(), s.now().UnixMilli()); err != nil {
			return translate(err)
		}
		if rec, err = s.store.GetParticipantRecord(r.Context(), tenant, rec.ID); err != nil {
			return err
		}
	}
	b, ok := rec.Binding(agent)
	if !ok {
		return store.ErrConflict // unbound again meanwhile
	}
	v, err := s.viewBinding(r.Context(), tenant, rec.Participant, b)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

func (s *Service) deleteBinding(w http.ResponseWriter, r *http.Request) error {
	tenant, rec, agent, err := s.bindingTarget(r)
	if err != nil {
		return err
	}
	_, bound := rec.Binding(agent)
	if bound || contains(rec.AgentIDs, agent) {
		if err := s.store.RemoveBinding(r.Context(), tenant, rec.ID, agent, s.now().UnixMilli()); err != nil {
			return translate(err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// action serves POST {id}/{action}: today only avatar:syncFromChannel.
func (s *Service) action(w http.ResponseWriter, r *http.Request) error {
	if _, verb, _ := pathID(r); verb != "" {
		return problem.NotFound("no actions under :" + verb)
	}
	if a := r.PathValue("action"); a != "avatar:syncFromChannel" {
		return problem.NotFound("unknown action " + strconv.Quote(a) + "; use avatar:syncFromChannel")
	}
	return s.syncFromChannel(w, r)
}

// writeOne re-reads the participant and writes its view.
func (s *Service) writeOne(w http.ResponseWriter, r *http.Request, tenant, id string, status int) error {
	rec, err := s.store.GetParticipantRecord(r.Context(), tenant, id)
	if err != nil {
		return err
	}
	v, err := s.viewOne(r.Context(), tenant, rec)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, status, v)
}

func diffAgents(rec roster.ParticipantRecord, next []string) (added, removed []string) {
	old := map[string]bool{}
	for _, a := range rec.AgentIDs {
		old[a] = true
	}
	for _, b := range rec.Bindings {
		old[b.AgentID] = true
	}
	now := map[string]bool{}
	for _, a := range next {
		now[a] = true
		if !old[a] {
			added = append(added, a)
		}
	}
	for a := range old {
		if !now[a] {
			removed = append(removed, a)
		}
	}
	return added, removed
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// isRetryable reports a lost optimistic-concurrency race (not a channel
// owned by someone else).
func isRetryable(err error) bool {
	var taken *roster.ChannelTakenError
	return errors.Is(err, store.ErrConflict) && !errors.As(err, &taken)
}

// translate maps this package's store errors, then the common ones.
func translate(err error) error {
	if errors.Is(err, roster.ErrTooMany) {
		return problem.Wrap(err, http.StatusBadRequest, "too-many",
			"a participant has at most "+strconv.Itoa(roster.MaxChannels)+" channels and "+strconv.Itoa(roster.MaxAgents)+" agents")
	}
	if errors.Is(err, roster.ErrChangeTooLarge) {
		return problem.Wrap(err, http.StatusBadRequest, "change-too-large",
			"this change replaces too many channels and agents at once for one transaction; split it into two requests")
	}
	return err
}
