// Package avatar pulls a participant's profile picture from a messaging
// provider (Slack, Telegram, Microsoft Teams) through a guarded download.
//
// Every image byte goes through one download path that allows https only, to
// the provider's own hosts, re-checks each redirect, refuses non-public
// addresses at dial time, reads at most Config.MaxBytes, sniffs the content and
// bounds the pixel size. See Config for the settings and ConfigFromEnv for the
// environment variables.
//
// Mapping decisions the provider docs leave open: missing or rejected
// credentials of any provider (Slack token, Telegram bot token, Teams app
// registration) are ErrOAuthNotConnected; an unknown or invisible user
// (Slack user_not_found, Telegram "user not found") is ErrNoImage, like a
// channel or group address; a provider not registered here is
// ErrNoAvatarSource. The caller's own cancellation is never ErrRefused.
package avatar

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// Providers with a registered source. The names match the connector enum.
const (
	ProviderSlack     = "SLACK"
	ProviderTelegram  = "TELEGRAM"
	ProviderTeams     = "TEAMS"
	ProviderWhatsApp  = "WHATSAPP"
	ProviderTwilioSMS = "TWILIO_SMS"
)

// Errors a caller maps to 400. Everything else is an upstream failure.
var (
	// ErrNoAvatarSource: the provider exposes no profile picture at all.
	ErrNoAvatarSource = errors.New("avatar: provider has no avatar source")
	// ErrOAuthNotConnected: the connector holds no (working) credentials for
	// the provider, e.g. a Slack workspace without an OAuth token.
	ErrOAuthNotConnected = errors.New("avatar: provider credentials not connected")
	// ErrNoImage: the provider has no image for this address (default avatar,
	// empty photo list, 404, or the address is a channel or group).
	ErrNoImage = errors.New("avatar: provider has no image for this address")
	// ErrRefused: the download was refused (scheme, host, address, size,
	// content type, pixel size or timeout).
	ErrRefused = errors.New("avatar: download refused")
)

// Image is a downloaded, sniffed and bounded avatar.
type Image struct {
	Data        []byte
	ContentType string // sniffed from Data, never taken from the response
	Ext         string // "png", "jpg", "gif" or "webp"
	SHA256      string // hex of Data
	Width       int
	Height      int
}

// Credentials are the connector secrets a source may need. Only the ones of
// the addressed provider are read.
type Credentials struct {
	SlackOAuthToken  string
	TelegramBotToken string
	TeamsAppID       string
	TeamsAppPassword string
	TeamsTenantID    string
}

// Source fetches the avatar of one address from one provider.
type Source interface {
	Fetch(ctx context.Context, creds Credentials, address string) (Image, error)
}

// Fetcher routes avatar requests to the source registered for a provider.
// It is safe for concurrent use.
type Fetcher struct {
	cfg     Config
	api     *http.Client // provider APIs at configured base URLs
	sources map[string]Source
}

// NewFetcher returns a Fetcher with the Slack, Telegram, Teams, WhatsApp and
// Twilio SMS sources registered. Zero fields of cfg take their defaults.
func NewFetcher(cfg Config) *Fetcher {
	cfg = cfg.withDefaults()
	f := &Fetcher{
		cfg:     cfg,
		api:     newAPIClient(cfg),
		sources: make(map[string]Source),
	}
	dl := newDialGuard(cfg)
	f.sources[ProviderSlack] = &slackSource{
		apiURL: cfg.SlackAPIURL,
		api:    f.api,
		dl:     newDownloader(cfg, dl, ProviderSlack),
	}
	f.sources[ProviderTelegram] = &telegramSource{
		apiURL: cfg.TelegramAPIURL,
		api:    f.api,
		dl:     newDownloader(cfg, dl, ProviderTelegram),
	}
	f.sources[ProviderTeams] = &teamsSource{
		graphURL: cfg.GraphAPIURL,
		loginURL: cfg.MicrosoftLoginURL,
		api:      f.api,
		dl:       newDownloader(cfg, dl, ProviderTeams),
		tokens:   &tokenCache{m: make(map[string]cachedToken)},
	}
	f.sources[ProviderWhatsApp] = noSource("the WhatsApp Cloud API exposes no profile picture")
	f.sources[ProviderTwilioSMS] = noSource("SMS has no profile picture")
	return f
}

// Fetch returns the avatar of address on provider, bounded by Config.Timeout.
func (f *Fetcher) Fetch(ctx context.Context, provider string, creds Credentials, address string) (Image, error) {
	src, ok := f.sources[provider]
	if !ok {
		return Image{}, fmt.Errorf("%w: unknown provider %q", ErrNoAvatarSource, provider)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, f.cfg.Timeout, errTimedOut)
	defer cancel()
	return src.Fetch(ctx, creds, address)
}

// noSource is registered for providers whose APIs expose no profile picture,
// so that the reason reaches the caller.
type noSource string

func (s noSource) Fetch(context.Context, Credentials, string) (Image, error) {
	return Image{}, fmt.Errorf("%w: %s", ErrNoAvatarSource, string(s))
}

// tokenCache keeps client-credentials tokens until shortly before expiry, so
// that a batch of syncs costs one token request.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}
