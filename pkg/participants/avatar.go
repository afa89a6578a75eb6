package participants

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/avatar"
	"github.com/gatehouse/gatehouse/pkg/avatarsync"
	"github.com/gatehouse/gatehouse/pkg/blob"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// PresignTTL is how long the URL GET .../avatar redirects to stays valid.
const PresignTTL = 5 * time.Minute

// AvatarFetcher pulls a profile picture from a provider (avatar.Fetcher).
type AvatarFetcher interface {
	Fetch(ctx context.Context, provider string, creds avatar.Credentials, address string) (avatar.Image, error)
}

// AvatarBlobs stores and presigns avatar objects (blob.Store).
type AvatarBlobs interface {
	PutAvatar(ctx context.Context, tenant, participantID string, img avatar.Image) (string, error)
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// Avatars are the avatar dependencies; a nil Blobs means no bucket is
// configured and the avatar routes answer 503.
type Avatars struct {
	Fetcher AvatarFetcher
	Blobs   AvatarBlobs
}

// AvatarConfigFromEnv reads the avatar fetcher's configuration:
//
//	AVATAR_SLACK_BASE_URL     Slack Web API base for avatars; default SLACK_API_URL
//	AVATAR_TELEGRAM_BASE_URL  Telegram Bot API base; default TELEGRAM_API_URL
//	AVATAR_GRAPH_BASE_URL     Microsoft Graph base; default GRAPH_API_URL
//	AVATAR_LOGIN_BASE_URL     Entra ID token base; default MICROSOFT_LOGIN_URL
//	AVATAR_CA_PEM             extra PEM roots the fetcher trusts (local stand-ins)
//	AVATAR_ALLOW_LOOPBACK     "true" lets downloads reach 127.0.0.1 (dev only)
//
// The AVATAR_* base URLs exist so that a local run can point avatar pulls
// and outbound chat (pkg/chatsend) at different stand-ins.
func AvatarConfigFromEnv(getenv func(string) string) (avatar.Config, error) {
	overrides := map[string]string{
		"SLACK_API_URL":       getenv("AVATAR_SLACK_BASE_URL"),
		"TELEGRAM_API_URL":    getenv("AVATAR_TELEGRAM_BASE_URL"),
		"GRAPH_API_URL":       getenv("AVATAR_GRAPH_BASE_URL"),
		"MICROSOFT_LOGIN_URL": getenv("AVATAR_LOGIN_BASE_URL"),
	}
	cfg := avatar.ConfigFromEnv(func(k string) string {
		if v := overrides[k]; v != "" {
			return v
		}
		return getenv(k)
	})
	if pem := getenv("AVATAR_CA_PEM"); pem != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(pem)) {
			return cfg, errors.New("participants: AVATAR_CA_PEM holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// NewBlobs returns the S3 avatar store of bucket, or nil when bucket is
// empty; a non-empty endpoint is a local S3.
func NewBlobs(awsCfg aws.Config, bucket, endpoint string) AvatarBlobs {
	if bucket == "" {
		return nil
	}
	return blob.New(awsCfg, endpoint, bucket)
}

func errAvatarsOff() error {
	return problem.New(http.StatusServiceUnavailable, "avatars-not-configured", "avatar storage is not configured (AVATAR_BUCKET)")
}

// errConnectorNotFound: the channel's connector does not exist.
var errConnectorNotFound = errors.New("participants: connector not found")

type syncBody struct {
	IntegrationConfigID *string `json:"integrationConfigId"`
	Address             *string `json:"address"`
}

func (s *Service) syncFromChannel(w http.ResponseWriter, r *http.Request) error {
	var b syncBody
	if err := httpapi.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.IntegrationConfigID == nil || b.Address == nil {
		return bad("invalid-channel", "integrationConfigId and address are required")
	}
	cfg, err := httpapi.ParseID("integrationConfigId", *b.IntegrationConfigID)
	if err != nil {
		return err
	}
	if n := utf8.RuneCountInString(*b.Address); n < 1 || n > maxAddress {
		return bad("invalid-address", "address must be 1-256 characters")
	}
	tenant, rec, _, err := s.load(r, authz.Editor)
	if err != nil {
		return err
	}
	ch := roster.ChannelKey{IntegrationConfigID: cfg, Address: *b.Address}
	if !hasChannel(rec.Participant, ch) {
		return problem.New(http.StatusBadRequest, "channel-not-on-participant",
			"the participant has no channel "+cfg+" / "+*b.Address).With("integrationConfigId", cfg).With("address", *b.Address)
	}
	if s.avatars.Blobs == nil {
		return errAvatarsOff()
	}
	p, conn, err := s.syncAvatar(r.Context(), tenant, rec.ID, ch)
	if err != nil {
		return s.syncProblem(err)
	}
	rec.Participant = p // SetAvatar returned it; the bindings are unchanged
	v, err := s.viewWith(r.Context(), tenant, rec, map[string]Connector{conn.ID: conn})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

func hasChannel(p roster.Participant, ch roster.ChannelKey) bool {
	for _, c := range p.Channels {
		if c.Key() == ch {
			return true
		}
	}
	return false
}

// syncAvatar pulls the avatar of ch from its provider, stores it in S3
// and only then writes it on the participant (if that still exists).
func (s *Service) syncAvatar(ctx context.Context, tenant, participantID string, ch roster.ChannelKey) (roster.Participant, Connector, error) {
	conn, err := s.connectors.GetConnector(ctx, tenant, ch.IntegrationConfigID)
	if errors.Is(err, store.ErrNotFound) {
		return roster.Participant{}, conn, errConnectorNotFound
	}
	if err != nil {
		return roster.Participant{}, conn, fmt.Errorf("participants: read connector: %w", err)
	}
	creds := conn.Credentials
	if conn.Provider == avatar.ProviderSlack {
		oc, err := s.store.GetOAuthConnection(ctx, tenant, conn.ID, avatar.ProviderSlack)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return roster.Participant{}, conn, fmt.Errorf("%w: connect the Slack workspace (POST /v1/tenants/{tenant}/integrations/slack/configs/{config}/slackOAuth)", avatar.ErrOAuthNotConnected)
		case err != nil:
			return roster.Participant{}, conn, err
		}
		creds.SlackOAuthToken = oc.Token
	}
	img, err := s.avatars.Fetcher.Fetch(ctx, conn.Provider, creds, ch.Address)
	if err != nil {
		return roster.Participant{}, conn, fetchError{err}
	}
	key, err := s.avatars.Blobs.PutAvatar(ctx, tenant, participantID, img)
	if err != nil {
		return roster.Participant{}, conn, fmt.Errorf("participants: store avatar: %w", err)
	}
	now := s.now().UnixMilli()
	p, err := s.store.SetAvatar(ctx, tenant, participantID, roster.Avatar{FileID: key, Source: conn.Provider,
		SourceConfigID: conn.ID, SourceAddress: ch.Address, SyncedAt: now}, now)
	return p, conn, err
}

// fetchError marks an error of the provider side (API or download).
type fetchError struct{ err error }

func (e fetchError) Error() string { return e.err.Error() }
func (e fetchError) Unwrap() error { return e.err }

// syncProblem maps a sync failure to the API's answer. The avatar
// package's messages name hosts and reasons, never URLs or tokens.
func (s *Service) syncProblem(err error) error {
	var fe fetchError
	switch {
	case errors.Is(err, errConnectorNotFound):
		return problem.Wrap(err, http.StatusNotFound, "connector-not-found", "the channel's integration config does not exist")
	case errors.Is(err, avatar.ErrNoAvatarSource):
		return problem.Wrap(err, http.StatusBadRequest, "no-avatar-source", "the provider has no avatar source (WhatsApp and SMS expose no profile picture)")
	case errors.Is(err, avatar.ErrOAuthNotConnected):
		return problem.Wrap(err, http.StatusBadRequest, "oauth-not-connected", "the connector has no working credentials for the provider; for Slack, connect the workspace: POST /v1/tenants/{tenant}/integrations/slack/configs/{config}/slackOAuth returns the authorizeUrl to open")
	case errors.Is(err, avatar.ErrNoImage):
		return problem.Wrap(err, http.StatusBadRequest, "no-image", "the provider has no image for this address (default avatar, privacy settings, or a channel or group)")
	case errors.Is(err, avatar.ErrRefused):
		return problem.Wrap(err, http.StatusBadGateway, "avatar-download-refused", "the provider's image was refused: "+strings.TrimPrefix(err.Error(), "avatar: download refused: "))
	case errors.Is(err, store.ErrNotFound):
		return problem.Wrap(err, http.StatusNotFound, "not-found", "the participant was deleted meanwhile")
	case errors.As(err, &fe) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		return problem.Wrap(err, http.StatusBadGateway, "avatar-provider-error", "the provider could not be reached or answered unexpectedly; try again later")
	}
	return err
}

func (s *Service) getAvatar(w http.ResponseWriter, r *http.Request) error {
	if _, verb, _ := pathID(r); verb != "" {
		return problem.NotFound("no route for GET .../avatar with verb :" + verb)
	}
	tenant, rec, _, err := s.load(r, authz.Viewer)
	if err != nil {
		return err
	}
	noAvatar := problem.New(http.StatusNotFound, "no-avatar", "the participant has no avatar")
	key := rec.AvatarFileID
	if key == "" || !strings.HasPrefix(key, "avatars/"+tenant+"/") { // any uploaded file of the tenant
		return noAvatar
	}
	if s.avatars.Blobs == nil {
		return errAvatarsOff()
	}
	u, err := s.avatars.Blobs.PresignGet(r.Context(), key, PresignTTL)
	if errors.Is(err, blob.ErrNotFound) {
		return noAvatar
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", u)
	w.WriteHeader(http.StatusFound)
	return nil
}

// HandleAvatarSync is the outbox handler of avatarsync.Kind. A sync that
// cannot succeed (no source, no credentials, no image, refused download,
// connector gone) fails permanently; a participant that is gone, lost the
// channel or got an uploaded avatar meanwhile needs nothing.
func (s *Service) HandleAvatarSync(ctx context.Context, m outbox.Message) error {
	var pl avatarsync.Payload
	if err := json.Unmarshal([]byte(m.Payload), &pl); err != nil || pl.Tenant == "" || pl.ParticipantID == "" {
		return fmt.Errorf("%w: avatar.sync payload is malformed", outbox.ErrPermanent)
	}
	if s.avatars.Blobs == nil {
		return fmt.Errorf("%w: AVATAR_BUCKET is not configured", outbox.ErrPermanent)
	}
	rec, err := s.store.GetParticipantRecord(ctx, pl.Tenant, pl.ParticipantID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ch := roster.ChannelKey{IntegrationConfigID: pl.IntegrationConfigID, Address: pl.Address}
	if !hasChannel(rec.Participant, ch) || rec.AvatarSource == roster.AvatarUploaded {
		return nil
	}
	_, _, err = s.syncAvatar(ctx, pl.Tenant, pl.ParticipantID, ch)
	switch {
	case err == nil, errors.Is(err, store.ErrNotFound):
		return nil
	case errors.Is(err, errConnectorNotFound), errors.Is(err, avatar.ErrNoAvatarSource), errors.Is(err, avatar.ErrOAuthNotConnected),
		errors.Is(err, avatar.ErrNoImage), errors.Is(err, avatar.ErrRefused):
		return fmt.Errorf("%w: %v", outbox.ErrPermanent, err)
	}
	return err
}

// OutboxHandlers returns this package's outbox handlers, built from p,
// the process's connectors and cfg.
func OutboxHandlers(p *platform.Platform, conns *connectors.Repo, cfg Config) (map[string]outbox.Handler, error) {
	return map[string]outbox.Handler{avatarsync.Kind: FromPlatform(p, conns, cfg).HandleAvatarSync}, nil
}
