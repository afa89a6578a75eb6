package avatar

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for Config's zero fields.
const (
	DefaultSlackAPIURL       = "https://slack.com/api/"
	DefaultSlackAuthorizeURL = "https://slack.com/oauth/v2/authorize"
	DefaultTelegramAPIURL    = "https://api.telegram.org"
	DefaultGraphAPIURL       = "https://graph.microsoft.com/v1.0"
	DefaultMicrosoftLoginURL = "https://login.microsoftonline.com"
	DefaultMaxBytes          = 5 << 20
	// DefaultMaxPixels admits a 5000x5000 photo; larger ones are refused so
	// that whoever decodes the stored image later cannot be bombed.
	DefaultMaxPixels = 25_000_000
	DefaultTimeout   = 10 * time.Second
)

// DefaultAllowedHosts returns the image hosts of each provider. A leading
// "*." matches any subdomain (not the domain itself).
func DefaultAllowedHosts() map[string][]string {
	return map[string][]string{
		ProviderSlack:    {"avatars.slack-edge.com", "*.slack-edge.com", "secure.gravatar.com", "*.gravatar.com"},
		ProviderTelegram: {"api.telegram.org"},
		ProviderTeams:    {"graph.microsoft.com"},
	}
}

// Config configures a Fetcher. Zero fields take the Default* values.
type Config struct {
	SlackAPIURL string // Web API base, with trailing slash
	// SlackAuthorizeURL defaults to "oauth/v2/authorize" next to the "api/"
	// of SlackAPIURL, so a stand-in Slack serves both.
	SlackAuthorizeURL string
	TelegramAPIURL    string
	GraphAPIURL       string
	MicrosoftLoginURL string

	// AllowedHosts maps a provider to the hosts its images may come from.
	// A provider missing from the map gets its default list.
	AllowedHosts map[string][]string
	// AllowLoopback lets downloads reach 127.0.0.1 and ::1 on any port, for
	// local stand-ins. Never set it in production: the Lambda Runtime API
	// listens on loopback.
	AllowLoopback bool

	MaxBytes  int64
	MaxPixels int
	Timeout   time.Duration // whole Fetch: API calls and download

	RootCAs *x509.CertPool // nil: system roots
}

// ConfigFromEnv reads the configuration from the environment:
//
//	SLACK_API_URL          Slack Web API base (default https://slack.com/api/)
//	TELEGRAM_API_URL       Telegram Bot API base (default https://api.telegram.org)
//	GRAPH_API_URL          Microsoft Graph base (default https://graph.microsoft.com/v1.0)
//	MICROSOFT_LOGIN_URL    Entra ID token base (default https://login.microsoftonline.com)
//	AVATAR_ALLOW_LOOPBACK  "true" lets downloads reach 127.0.0.1/::1 (dev only)
//
// A base URL that is set also adds its host to that provider's image
// allow-list, so that a stand-in can serve the images it points to.
func ConfigFromEnv(getenv func(string) string) Config {
	cfg := Config{
		SlackAPIURL:       getenv("SLACK_API_URL"),
		TelegramAPIURL:    getenv("TELEGRAM_API_URL"),
		GraphAPIURL:       getenv("GRAPH_API_URL"),
		MicrosoftLoginURL: getenv("MICROSOFT_LOGIN_URL"),
		AllowedHosts:      DefaultAllowedHosts(),
	}
	cfg.AllowLoopback, _ = strconv.ParseBool(getenv("AVATAR_ALLOW_LOOPBACK"))
	for provider, base := range map[string]string{
		ProviderSlack:    cfg.SlackAPIURL,
		ProviderTelegram: cfg.TelegramAPIURL,
		ProviderTeams:    cfg.GraphAPIURL,
	} {
		if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
			cfg.AllowedHosts[provider] = append(cfg.AllowedHosts[provider], u.Hostname())
		}
	}
	return cfg
}

func (c Config) withDefaults() Config {
	if c.SlackAPIURL == "" {
		c.SlackAPIURL = DefaultSlackAPIURL
	}
	if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/" // slack-go appends method names directly
	}
	if c.SlackAuthorizeURL == "" {
		c.SlackAuthorizeURL = DefaultSlackAuthorizeURL
		if base, ok := strings.CutSuffix(c.SlackAPIURL, "api/"); ok && c.SlackAPIURL != DefaultSlackAPIURL {
			c.SlackAuthorizeURL = base + "oauth/v2/authorize"
		}
	}
	if c.TelegramAPIURL == "" {
		c.TelegramAPIURL = DefaultTelegramAPIURL
	}
	c.TelegramAPIURL = strings.TrimSuffix(c.TelegramAPIURL, "/")
	if c.GraphAPIURL == "" {
		c.GraphAPIURL = DefaultGraphAPIURL
	}
	c.GraphAPIURL = strings.TrimSuffix(c.GraphAPIURL, "/")
	if c.MicrosoftLoginURL == "" {
		c.MicrosoftLoginURL = DefaultMicrosoftLoginURL
	}
	c.MicrosoftLoginURL = strings.TrimSuffix(c.MicrosoftLoginURL, "/")

	hosts := DefaultAllowedHosts()
	for p, h := range c.AllowedHosts {
		hosts[p] = h
	}
	c.AllowedHosts = hosts

	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxPixels <= 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// newAPIClient is the client for provider APIs at the configured base URLs.
// Those are operator configuration, not attacker input, so it is not guarded;
// the Fetch timeout bounds it.
func newAPIClient(cfg Config) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   5 * time.Second,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
			ResponseHeaderTimeout: cfg.Timeout,
		},
	}
}
