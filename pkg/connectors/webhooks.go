package connectors

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/chatsend"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// WebhookURL is the answer of :generateWebhookUrl and /webhook:rotate:
// the only time the full URL is shown.
type WebhookURL struct {
	WebhookURL       string `json:"webhookUrl"`
	WebhookKeyPrefix string `json:"webhookKeyPrefix"`
}

func (s *Service) generateWebhookURL(w http.ResponseWriter, r *http.Request, idv string) error {
	return s.bindKey(w, r, idv, false)
}

func (s *Service) rotateWebhook(w http.ResponseWriter, r *http.Request, idv string) error {
	return s.bindKey(w, r, idv, true)
}

// bindKey mints a key for the config (rotate: replacing its key) and
// shows the URL once.
func (s *Service) bindKey(w http.ResponseWriter, r *http.Request, idv string, rotate bool) error {
	var empty struct{}
	if err := httpapi.DecodeJSON(r, &empty); err != nil {
		return err
	}
	t, c, err := s.load(r, authz.Admin, idv)
	if err != nil {
		return err
	}
	next, err := s.repo.BindKey(r.Context(), t, c, NewWebhookKey(), rotate, s.now().UnixMilli())
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, WebhookURL{
		WebhookURL:       strings.TrimRight(httpapi.PublicBaseURL(r), "/") + next.WebhookPath(),
		WebhookKeyPrefix: next.WebhookKeyPrefix,
	})
}

// manualSetup says, per provider without a registration API, where the
// operator pastes the URL.
var manualSetup = map[string]string{
	Slack: "Slack has no API to register it: paste the URL as the Request URL under Event Subscriptions of your Slack app " +
		"(api.slack.com/apps → your app → Event Subscriptions), subscribe to the message.im and message.channels bot events; " +
		"Slack checks the URL with a url_verification challenge, which gatehouse answers",
	TwilioSMS: "Twilio's webhook is set on the phone number: Twilio Console → Phone Numbers → Manage → Active numbers → your number → " +
		"Messaging Configuration → \"A message comes in\": Webhook, this URL, HTTP POST",
	WhatsApp: "Meta registers it in the app dashboard: Meta for Developers → your app → WhatsApp → Configuration → Webhook → Edit: " +
		"Callback URL = this URL, Verify token = this config's verifyToken parameter; then subscribe to the messages field",
	Teams: "the Bot Framework has no API for it: Azure portal → your Azure Bot resource → Settings → Configuration → " +
		"Messaging endpoint = this URL",
}

// ApplyResult is the answer of :applyWebhookToProvider.
type ApplyResult struct {
	Applied          bool    `json:"applied"`
	ProviderResponse *string `json:"providerResponse"`
	ErrorMessage     *string `json:"errorMessage"`
}

func (s *Service) applyWebhookToProvider(w http.ResponseWriter, r *http.Request, idv string) error {
	var in struct {
		WebhookURL *string `json:"webhookUrl"`
	}
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, c, err := s.load(r, authz.Admin, idv)
	if err != nil {
		return err
	}
	if how, ok := manualSetup[c.Provider]; ok {
		return problem.BadRequest("no-webhook-registration-api", how+".")
	}
	if !c.HasWebhookKey() {
		return ErrNoKey
	}
	if in.WebhookURL == nil || !s.isCurrentURL(r, c, *in.WebhookURL) {
		return problem.BadRequest("webhook-url-mismatch",
			"webhookUrl must be this config's current webhook URL, exactly as :generateWebhookUrl or /webhook:rotate returned it (gatehouse keeps no plaintext key)")
	}
	sec := c.Secrets.Telegram
	reply, err := s.telegram.SetTelegramWebhook(r.Context(), sec.BotToken, *in.WebhookURL, sec.SecretToken)
	var out ApplyResult
	switch {
	case err != nil:
		out.ErrorMessage = ptr(providerError(err))
	case !reply.OK:
		out.ProviderResponse, out.ErrorMessage = ptr(reply.Raw), ptr(reply.Description)
	default:
		out.Applied, out.ProviderResponse = true, ptr(reply.Raw)
	}
	// The provider changed, gatehouse did not: the entry is written alone.
	note, after := "applied", "APPLIED"
	if !out.Applied {
		note, after = "failed: "+*out.ErrorMessage, "FAILED"
	}
	if err := audit.Append(r.Context(), s.repo.st, AuditChange(t, c, audit.WebhookURLApplied, "", after, note, s.now().UnixMilli())); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// isCurrentURL reports whether u is c's inbound URL with its bound key.
func (s *Service) isCurrentURL(r *http.Request, c Connector, u string) bool {
	prefix := strings.TrimRight(httpapi.PublicBaseURL(r), "/") + HookPath(c.Provider, "")
	key, ok := strings.CutPrefix(u, prefix)
	return ok && ValidWebhookKey(key) && KeyHash(key) == c.WebhookKeyHash
}

// InspectResult is the answer of :inspectWebhook.
type InspectResult struct {
	InspectFailed              bool    `json:"inspectFailed"`
	ProviderHasURL             bool    `json:"providerHasUrl"`
	ProviderURLMatchesExpected bool    `json:"providerUrlMatchesExpected"`
	ProviderReportedURL        *string `json:"providerReportedUrl"`
	LastErrorMessage           *string `json:"lastErrorMessage"`
	// LastErrorAt is epoch milliseconds, like every gatehouse time.
	LastErrorAt        *int64  `json:"lastErrorAt"`
	PendingUpdateCount int     `json:"pendingUpdateCount"`
	ErrorMessage       *string `json:"errorMessage"`
}

func (s *Service) inspectWebhook(w http.ResponseWriter, r *http.Request, idv string) error {
	var in struct {
		ExpectedWebhookURL *string `json:"expectedWebhookUrl"`
	}
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	_, c, err := s.load(r, authz.Admin, idv)
	if err != nil {
		return err
	}
	if c.Provider != Telegram {
		return problem.BadRequest("no-webhook-inspector", IntegrationID(c.Provider)+" has no API that reports the registered webhook; only telegram configs can be inspected")
	}
	info, err := s.telegram.TelegramWebhookInfo(r.Context(), c.Secrets.Telegram.BotToken)
	var out InspectResult
	if err != nil {
		out.InspectFailed, out.ErrorMessage = true, ptr(providerError(err))
		return httpapi.WriteJSON(w, http.StatusOK, out)
	}
	out.ProviderHasURL = info.URL != ""
	out.ProviderURLMatchesExpected = in.ExpectedWebhookURL != nil && info.URL == *in.ExpectedWebhookURL
	out.PendingUpdateCount = info.PendingUpdateCount
	if info.URL != "" {
		out.ProviderReportedURL = &info.URL
	}
	if info.LastErrorMessage != "" {
		out.LastErrorMessage = &info.LastErrorMessage
	}
	if info.LastErrorDate > 0 {
		out.LastErrorAt = ptr(info.LastErrorDate * 1000)
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// providerError says what went wrong with a provider call, for the
// operator (chatsend errors carry no credentials).
func providerError(err error) string {
	var ce *chatsend.Error
	switch {
	case errors.As(err, &ce) && ce.Detail != "":
		return "telegram: " + ce.Detail
	case errors.As(err, &ce) && ce.Err != nil:
		return "telegram unreachable: " + ce.Err.Error()
	}
	return err.Error()
}

func ptr[T any](v T) *T { return &v }
