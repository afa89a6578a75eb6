// Package inbound serves the connectors' signed webhooks, one Lambda per
// provider:
//
//	POST /v1/hooks/slack/{key}        SlackWebhookFunction     (v0 HMAC, url_verification)
//	POST /v1/hooks/telegram/{key}     TelegramWebhookFunction  (secret token header)
//	GET  /v1/hooks/whatsapp/{key}     WhatsAppWebhookFunction  (Meta subscription handshake)
//	POST /v1/hooks/whatsapp/{key}     WhatsAppWebhookFunction  (X-Hub-Signature-256)
//	POST /v1/hooks/twilio_sms/{key}   TwilioWebhookFunction    (X-Twilio-Signature over the public base URL + path)
//	POST /v1/hooks/teams/{key}        TeamsWebhookFunction     (Bot Framework JWT)
//
// The routes are public: authenticity is the provider's signature, checked
// (by pkg/webhook) before anything is written; a failure is 401 (403 for
// the Meta GET) and writes nothing. An unknown key is 404.
//
// Each message of an authentic delivery is decided like this:
//
//   - Onboarding off: accepted.
//   - The sender's channel belongs to a participant bound to the agent and
//     not disabled: accepted. Cost: one GetItem (channel index) and one
//     TransactWriteItems; the connector comes from a per-process cache.
//   - Otherwise: a PENDING access request (matchedParticipantId when the
//     channel has an owner), at most one per connector and sender. On the
//     sender's first interaction the same transaction queues the
//     onboarding message as an outbox item and writes the sender's
//     onboarded marker; a later request (after a reject or an unblock)
//     sends no second message. A blocked sender or one with a PENDING
//     request is acknowledged only.
//   - Flood guard: at most the connector's floodLimitPerHour new PENDING
//     requests per clock hour (a counter item per connector and hour,
//     conditionally incremented); above it new senders are acknowledged
//     only, and the hour's first refusal writes a marker and an
//     AccessRequestFloodGuardTripped event in one transaction and logs
//     one warning. Reject cooldown: a sender rejected less than
//     rejectCooldownSeconds ago is acknowledged only. Both are read with
//     the sender's markers in the same BatchGetItem.
//
// Accepting records lastMessageAt on the channel index item and enqueues an
// InboundMessageAccepted event (outbox kind "event.put"), all in the
// transaction that also writes the dedupe marker, so an event is emitted
// exactly once per provider event id. The webhook makes no outbound call:
// the dispatcher (pkg/outbox) delivers outbox items, this package's kinds
// through pkg/inbound/deliver.
//
// Configuration: Config, read once by main (ConfigFromEnv).
package inbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/webhook"
)

// Lambdas (template.yaml logical ids), one per provider.
const (
	SlackFunction    = "SlackWebhookFunction"
	TelegramFunction = "TelegramWebhookFunction"
	WhatsAppFunction = "WhatsAppWebhookFunction"
	TwilioFunction   = "TwilioWebhookFunction"
	TeamsFunction    = "TeamsWebhookFunction"
)

// HookPath is the route pattern of a provider's webhook.
func HookPath(provider string) string { return "/v1/hooks/" + connectors.Slug(provider) + "/{key}" }

// Connectors resolves webhook keys and reads connectors.
type Connectors interface {
	Resolve(ctx context.Context, provider, key string) (connectors.Resolved, error)
	Get(ctx context.Context, tenant, id string) (connectors.Connector, error)
}

// Service handles the webhooks.
type Service struct {
	conns    Connectors
	store    *store.Store
	requests *accessrequests.Repo
	roster   *roster.Repo
	table    dynamo.Table
	teams    *webhook.TeamsVerifier
	log      *slog.Logger
	now      func() time.Time
	// DedupeTTL is how long a provider event id is remembered.
	DedupeTTL time.Duration
}

// DefaultDedupeTTL outlasts every provider's retry schedule (Meta retries
// for up to 7 days).
const DefaultDedupeTTL = 7 * 24 * time.Hour

// Config are the Service's settings.
type Config struct {
	// TeamsOpenIDMetadataURL is Bot Framework's OpenID metadata; empty
	// means Microsoft's.
	TeamsOpenIDMetadataURL string
	// Logger defaults to the platform's (Routes) or slog.Default (New).
	Logger *slog.Logger
}

// New returns a Service. It makes no network call.
func New(st *store.Store, conns Connectors, cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{
		conns: conns, store: st, requests: accessrequests.NewRepo(st), roster: roster.NewRepo(st), table: st.Table(),
		teams: webhook.NewTeamsVerifier(webhook.TeamsConfig{OpenIDMetadataURL: cfg.TeamsOpenIDMetadataURL}),
		log:   log, now: time.Now, DedupeTTL: DefaultDedupeTTL,
	}
}

// ConfigFromEnv reads PUBLIC_BASE_URL and TEAMS_OPENID_METADATA_URL.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		TeamsOpenIDMetadataURL: getenv("TEAMS_OPENID_METADATA_URL"),
	}
}

// Routes builds the service over p and the process's connectors and
// returns every provider's route; a nil p gives metadata-only routes.
func Routes(p *platform.Platform, conns Connectors, cfg Config) ([]httpapi.Route, error) {
	if p == nil {
		return (*Service)(nil).Routes(), nil
	}
	if cfg.Logger == nil {
		cfg.Logger = p.Logger
	}
	return New(p.Store, conns, cfg).Routes(), nil
}

// FunctionRoutes returns the routes one provider's Lambda serves.
func FunctionRoutes(p *platform.Platform, conns Connectors, cfg Config, function string) ([]httpapi.Route, error) {
	all, err := Routes(p, conns, cfg)
	if err != nil {
		return nil, err
	}
	var out []httpapi.Route
	for _, r := range all {
		if r.Function == function {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("inbound: no routes for %s", function)
	}
	return out, nil
}

// Routes returns the route table entries of the webhooks.
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Function: SlackFunction, Method: http.MethodPost, Path: HookPath(connectors.Slack), Public: true, Consumes: httpapi.ConsumesAny, Handle: s.slack},
		{Function: TelegramFunction, Method: http.MethodPost, Path: HookPath(connectors.Telegram), Public: true, Consumes: httpapi.ConsumesAny, Handle: s.telegram},
		{Function: WhatsAppFunction, Method: http.MethodGet, Path: HookPath(connectors.WhatsApp), Public: true, Consumes: httpapi.ConsumesAny, Handle: s.whatsAppSubscribe},
		{Function: WhatsAppFunction, Method: http.MethodPost, Path: HookPath(connectors.WhatsApp), Public: true, Consumes: httpapi.ConsumesAny, Handle: s.whatsApp},
		{Function: TwilioFunction, Method: http.MethodPost, Path: HookPath(connectors.TwilioSMS), Public: true, Consumes: httpapi.ConsumesAny, Handle: s.twilio},
		{Function: TeamsFunction, Method: http.MethodPost, Path: HookPath(connectors.Teams), Public: true, Consumes: httpapi.ConsumesAny, Handle: s.teamsHook},
	}
}

// resolve finds the connector of the request's webhook key.
func (s *Service) resolve(r *http.Request, provider string) (connectors.Resolved, error) {
	res, err := s.conns.Resolve(r.Context(), provider, r.PathValue("key"))
	if errors.Is(err, store.ErrNotFound) {
		return res, problem.Wrap(err, http.StatusNotFound, "unknown-webhook", "no connector has this webhook URL")
	}
	return res, err
}

// refusal maps a pkg/webhook error to the answer the provider gets.
func refusal(err error) error {
	switch {
	case errors.Is(err, webhook.ErrUnauthenticated):
		return problem.Wrap(err, http.StatusUnauthorized, "invalid-signature", "the webhook signature or token is missing, stale or wrong")
	case errors.Is(err, webhook.ErrForbidden):
		return problem.Wrap(err, http.StatusForbidden, "verification-failed", "hub.mode or hub.verify_token does not match")
	case errors.Is(err, webhook.ErrMalformed):
		return problem.Wrap(err, http.StatusBadRequest, "malformed-payload", "the webhook payload cannot be used")
	}
	// The check itself failed (e.g. Bot Framework keys unreachable): 503
	// makes the provider retry.
	return problem.Wrap(err, http.StatusServiceUnavailable, "verification-unavailable", "the signature cannot be checked right now; retry later")
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	return io.ReadAll(r.Body) // bounded by httpapi's MaxBytesReader
}

func ack(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) slack(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.resolve(r, connectors.Slack)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := webhook.VerifySlack(r.Header, body, rc.Connector.Secrets.Slack.SigningSecret, s.now()); err != nil {
		return refusal(err)
	}
	res, err := webhook.ParseSlack(body)
	if err != nil {
		return refusal(err)
	}
	if res.Challenge != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, err := io.WriteString(w, res.Challenge)
		return err
	}
	// A retry (X-Slack-Retry-Num) is handled like a first delivery: the
	// first may never have been processed; the dedupe marker drops repeats.
	if err := s.receiveAll(r.Context(), rc, res, ""); err != nil {
		return err
	}
	return ack(w)
}

func (s *Service) telegram(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.resolve(r, connectors.Telegram)
	if err != nil {
		return err
	}
	if err := webhook.VerifyTelegram(r.Header, rc.Connector.Secrets.Telegram.SecretToken); err != nil {
		return refusal(err)
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	res, err := webhook.ParseTelegram(body)
	if err != nil {
		return refusal(err)
	}
	if err := s.receiveAll(r.Context(), rc, res, ""); err != nil {
		return err
	}
	return ack(w)
}

func (s *Service) whatsAppSubscribe(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.resolve(r, connectors.WhatsApp)
	if err != nil {
		return err
	}
	challenge, err := webhook.VerifyWhatsAppSubscribe(r.URL.Query(), rc.Connector.Secrets.WhatsApp.VerifyToken)
	if err != nil {
		return refusal(err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, err = io.WriteString(w, challenge)
	return err
}

func (s *Service) whatsApp(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.resolve(r, connectors.WhatsApp)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := webhook.VerifyWhatsApp(r.Header, body, rc.Connector.Secrets.WhatsApp.AppSecret); err != nil {
		return refusal(err)
	}
	res, err := webhook.ParseWhatsApp(body)
	if err != nil {
		return refusal(err)
	}
	if err := s.receiveAll(r.Context(), rc, res, ""); err != nil {
		return err
	}
	return ack(w)
}

// twiML is an empty TwiML document: Twilio sends no reply of its own.
const twiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

func (s *Service) twilio(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.resolve(r, connectors.TwilioSMS)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return refusal(fmt.Errorf("%w: twilio form: %v", webhook.ErrUnauthenticated, err))
	}
	// Twilio signs the URL it was given: the webhookUrl ConnectorsFunction
	// showed, on the same public base.
	public := httpapi.PublicBaseURL(r) + rc.Connector.WebhookPath()
	if r.URL.RawQuery != "" {
		public += "?" + r.URL.RawQuery
	}
	if err := webhook.VerifyTwilio(r.Header, public, form, rc.Connector.Secrets.Twilio.AuthToken); err != nil {
		return refusal(err)
	}
	res, err := webhook.ParseTwilio(form)
	if err != nil {
		return refusal(err)
	}
	// Replies go out from the number the sender wrote to.
	if err := s.receiveAll(r.Context(), rc, res, form.Get("To")); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, err = io.WriteString(w, twiML)
	return err
}

func (s *Service) teamsHook(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.resolve(r, connectors.Teams)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	// The token must be checked before the body is trusted, but the check
	// needs the body's serviceUrl; a malformed body is unauthenticated here.
	serviceURL, err := webhook.TeamsServiceURL(body)
	if err != nil {
		return refusal(fmt.Errorf("%w: %v", webhook.ErrUnauthenticated, err))
	}
	if err := s.teams.Verify(r.Context(), r.Header.Get("Authorization"), rc.Connector.Secrets.Teams.AppID, serviceURL); err != nil {
		return refusal(err)
	}
	res, err := webhook.ParseTeams(body)
	if err != nil {
		return refusal(err)
	}
	if err := s.receiveAll(r.Context(), rc, res, ""); err != nil {
		return err
	}
	return ack(w)
}

// receiveAll decides every message of a delivery. An error (a store
// failure) answers 500 so that the provider retries; messages already
// handled are then dropped as duplicates.
func (s *Service) receiveAll(ctx context.Context, rc connectors.Resolved, res webhook.Result, from string) error {
	for _, m := range res.Messages {
		if err := s.receive(ctx, rc, m, from); err != nil {
			return err
		}
	}
	return nil
}
