// Package chatsend sends outbound text messages (onboarding messages,
// replies) through each messaging provider's API.
//
// Every API base URL is configurable so that tests and a local run can point
// at stand-ins. ConfigFromEnv reads:
//
//	SLACK_API_URL           Slack Web API base, default https://slack.com/api/
//	TELEGRAM_API_URL        Telegram Bot API base, default https://api.telegram.org
//	WHATSAPP_API_URL        Meta Graph API base, default https://graph.facebook.com/v21.0
//	TWILIO_API_URL          Twilio REST base, default https://api.twilio.com
//	BOTFRAMEWORK_TOKEN_URL  Bot Framework token endpoint, default
//	                        https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token
//
// Teams replies go to the serviceUrl that came with the user's activity, so
// there is no Teams API base to configure.
//
// A failed Send returns an *Error. errors.Is(err, ErrPermanent) tells a
// dispatcher not to retry (4xx other than 408 and 429, rejected credentials,
// missing configuration); anything else (5xx, 429, network, timeouts) is
// worth retrying, after Error.RetryAfter when the provider gave one.
package chatsend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults for Config.
const (
	DefaultSlackAPIURL          = "https://slack.com/api/"
	DefaultTelegramAPIURL       = "https://api.telegram.org"
	DefaultWhatsAppAPIURL       = "https://graph.facebook.com/v21.0"
	DefaultTwilioAPIURL         = "https://api.twilio.com"
	DefaultBotFrameworkTokenURL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
)

const (
	providerSlack     = "SLACK"
	providerTeams     = "TEAMS"
	providerTelegram  = "TELEGRAM"
	providerWhatsApp  = "WHATSAPP"
	providerTwilioSMS = "TWILIO_SMS"

	defaultTimeout = 10 * time.Second
	// Replies are small JSON documents; read no more than this.
	maxReplyBody = 64 << 10
)

// Outbound is one text message to send.
type Outbound struct {
	Provider string // SLACK, TEAMS, TELEGRAM, WHATSAPP or TWILIO_SMS
	// ReplyTo is the provider address: Slack channel id, Telegram chat id,
	// WhatsApp wa_id, E.164 phone number, Teams conversation id.
	ReplyTo    string
	Text       string
	ServiceURL string // Teams only: the serviceUrl of a verified inbound activity
}

// Credentials are a connector's secrets; a send uses the provider's fields only.
type Credentials struct {
	SlackBotToken         string
	TelegramBotToken      string
	WhatsAppAccessToken   string
	WhatsAppPhoneNumberID string
	TwilioAccountSID      string
	TwilioAuthToken       string
	TwilioFromNumber      string
	TeamsAppID            string
	TeamsAppPassword      string
}

// Config holds the provider API locations. Empty fields take the defaults.
type Config struct {
	SlackAPIURL          string
	TelegramAPIURL       string
	WhatsAppAPIURL       string
	TwilioAPIURL         string
	BotFrameworkTokenURL string
	// HTTPClient defaults to a client with a 10 s timeout.
	HTTPClient *http.Client
}

// ConfigFromEnv reads the variables listed in the package documentation;
// unset ones keep their defaults.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		SlackAPIURL:          getenv("SLACK_API_URL"),
		TelegramAPIURL:       getenv("TELEGRAM_API_URL"),
		WhatsAppAPIURL:       getenv("WHATSAPP_API_URL"),
		TwilioAPIURL:         getenv("TWILIO_API_URL"),
		BotFrameworkTokenURL: getenv("BOTFRAMEWORK_TOKEN_URL"),
	}.withDefaults()
}

func (c Config) withDefaults() Config {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	c.SlackAPIURL = or(c.SlackAPIURL, DefaultSlackAPIURL)
	// slack-go appends the method name to the base as is.
	if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/"
	}
	c.TelegramAPIURL = strings.TrimRight(or(c.TelegramAPIURL, DefaultTelegramAPIURL), "/")
	c.WhatsAppAPIURL = strings.TrimRight(or(c.WhatsAppAPIURL, DefaultWhatsAppAPIURL), "/")
	c.TwilioAPIURL = strings.TrimRight(or(c.TwilioAPIURL, DefaultTwilioAPIURL), "/")
	c.BotFrameworkTokenURL = or(c.BotFrameworkTokenURL, DefaultBotFrameworkTokenURL)
	return c
}

// Sender sends messages. It is safe for concurrent use and caches Bot
// Framework access tokens, so keep one per process.
type Sender struct {
	cfg    Config
	client *http.Client

	mu          sync.Mutex
	teamsTokens map[string]cachedToken
}

// New returns a Sender; it makes no network call.
func New(cfg Config) *Sender {
	cfg = cfg.withDefaults()
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultTimeout}
	}
	return &Sender{cfg: cfg, client: client, teamsTokens: make(map[string]cachedToken)}
}

// Send delivers m with the provider named by m.Provider.
func (s *Sender) Send(ctx context.Context, creds Credentials, m Outbound) error {
	if m.ReplyTo == "" {
		return permanent(m.Provider, "no recipient")
	}
	switch m.Provider {
	case providerSlack:
		return s.sendSlack(ctx, creds, m)
	case providerTelegram:
		return s.sendTelegram(ctx, creds, m)
	case providerWhatsApp:
		return s.sendWhatsApp(ctx, creds, m)
	case providerTwilioSMS:
		return s.sendTwilio(ctx, creds, m)
	case providerTeams:
		return s.sendTeams(ctx, creds, m)
	default:
		return permanent(m.Provider, "unknown provider")
	}
}

// ErrPermanent marks a failure that retrying will not fix.
var ErrPermanent = errors.New("chatsend: permanent failure")

// Error is a failed send. It never contains credentials.
type Error struct {
	Provider   string
	StatusCode int    // HTTP status; 0 when no response arrived
	Code       string // the provider's error code, when it gave one
	Detail     string
	// RetryAfter is the provider's back-off hint; 0 when none.
	RetryAfter time.Duration
	Permanent  bool
	Err        error // the underlying network or context error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chatsend: %s", strings.ToLower(e.Provider))
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": status %d", e.StatusCode)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Permanent {
		b.WriteString(" (permanent)")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrPermanent) report e.Permanent.
func (e *Error) Is(target error) bool { return target == ErrPermanent && e.Permanent }

func permanent(provider, detail string) *Error {
	return &Error{Provider: provider, Detail: detail, Permanent: true}
}

// networkError wraps a transport failure. *url.Error is unwrapped because its
// URL can hold a secret (Telegram puts the bot token in the path).
func networkError(provider string, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &Error{Provider: provider, Err: err}
}

// permanentStatus reports whether an HTTP status means "do not retry".
func permanentStatus(code int) bool {
	return code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
}

// retryAfter parses a Retry-After header given in seconds.
func retryAfter(h http.Header) time.Duration {
	if n, err := strconv.Atoi(h.Get("Retry-After")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// reply is a provider's answer, its body read up to maxReplyBody.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) ok() bool { return r.status >= 200 && r.status < 300 }

// do sends req; a transport failure becomes a transient *Error.
func (s *Sender) do(req *http.Request, provider string) (reply, error) {
	resp, err := s.client.Do(req)
	if err != nil {
		return reply{}, networkError(provider, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBody))
	if err != nil {
		return reply{}, networkError(provider, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// statusError describes a non-2xx reply, classified by its status.
func statusError(provider string, r reply, code, detail string) *Error {
	return &Error{
		Provider:   provider,
		StatusCode: r.status,
		Code:       code,
		Detail:     detail,
		RetryAfter: retryAfter(r.header),
		Permanent:  permanentStatus(r.status),
	}
}

func newJSONRequest(ctx context.Context, url string, v any) (*http.Request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

func newFormRequest(ctx context.Context, url string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}
