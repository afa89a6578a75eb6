package connectors

import (
	"crypto/rand"
	"encoding/base64"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// Providers, as stored on a connector and on access requests.
const (
	Slack     = "SLACK"
	Teams     = "TEAMS"
	Telegram  = "TELEGRAM"
	WhatsApp  = "WHATSAPP"
	TwilioSMS = "TWILIO_SMS"
)

// Limits.
const (
	MaxDisplayName       = 150
	MaxOnboardingMessage = 1600 // Twilio's SMS body limit, the smallest of the providers'
	maxCredential        = 4096
)

// DefaultOnboardingMessage is sent when onboarding is on and no message was given.
const DefaultOnboardingMessage = "Hi! We received your message. An operator will review your access request shortly."

// credentialSpec lists a provider's credential fields.
type credentialSpec struct {
	required []string
	optional []string
	// format checks individual fields; nil entries accept any value.
	format map[string]func(string) bool
}

// pattern compiles expr on first use: compiling at package init would
// cost every webhook Lambda's cold start.
func pattern(expr string) func(string) bool {
	re := sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
	return func(s string) bool { return re().MatchString(s) }
}

var (
	telegramSecret = pattern(`^[A-Za-z0-9_-]{1,256}$`)
	telegramToken  = pattern(`^[0-9]{1,20}:[A-Za-z0-9_-]{1,200}$`)
	twilioSID      = pattern(`^AC[0-9a-fA-F]{32}$`)
	digits         = pattern(`^[0-9]{1,32}$`)
	guid           = pattern(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

var specs = map[string]credentialSpec{
	Slack:     {required: []string{"signingSecret", "botToken"}},
	Telegram:  {required: []string{"botToken", "secretToken"}, format: map[string]func(string) bool{"botToken": telegramToken, "secretToken": telegramSecret}},
	WhatsApp:  {required: []string{"appSecret", "verifyToken", "accessToken", "phoneNumberId"}, format: map[string]func(string) bool{"phoneNumberId": digits}},
	TwilioSMS: {required: []string{"accountSid", "authToken"}, format: map[string]func(string) bool{"accountSid": twilioSID}},
	Teams:     {required: []string{"appId", "appPassword"}, optional: []string{"tenantId"}, format: map[string]func(string) bool{"appId": guid, "tenantId": guid}},
}

// Providers lists the provider enum in a stable order.
var Providers = []string{Slack, Teams, Telegram, WhatsApp, TwilioSMS}

// ValidProvider reports whether p is one of Providers.
func ValidProvider(p string) bool { _, ok := specs[p]; return ok }

// Slug is the provider's path segment in webhook URLs: the lowercase name.
func Slug(provider string) string { return strings.ToLower(provider) }

// Onboarding is a connector's access policy: Enabled false means every
// sender is accepted; true means unknown senders get Message once and a
// PENDING access request.
type Onboarding struct {
	Enabled bool   `dynamo:"enabled" json:"enabled"`
	Message string `dynamo:"message" json:"message"`
}

// Connector is an integration config: one bot or number of a provider,
// serving one agent.
type Connector struct {
	ID          string     `dynamo:"id"`
	Provider    string     `dynamo:"provider"`
	AgentID     string     `dynamo:"agentId"`
	DisplayName string     `dynamo:"displayName"`
	Onboarding  Onboarding `dynamo:"onboarding"`
	// Credentials are the provider's secrets by field name, as stored and
	// as the API takes them; never rendered.
	Credentials map[string]string `dynamo:"credentials"`
	// Secrets are Credentials decoded (DecodeCredentials); set on every
	// connector this package reads or validates, never stored.
	Secrets Secrets `dynamo:"-"`
	// WebhookKey is the unguessable last segment of the inbound URL.
	WebhookKey string `dynamo:"webhookKey"`
	CreatedBy  string `dynamo:"createdBy,omitempty"`
	CreatedAt  int64  `dynamo:"createdAt"`
	ModifiedAt int64  `dynamo:"modifiedAt"`
	// Version guards read-modify-write updates.
	Version int `dynamo:"version"`
}

// WebhookPath is the inbound path of the connector.
func (c Connector) WebhookPath() string {
	return "/v1/hooks/" + Slug(c.Provider) + "/" + c.WebhookKey
}

// View is the API representation: credentials reduced to short prefixes.
type View struct {
	ID          string            `json:"id"`
	Provider    string            `json:"provider"`
	AgentID     string            `json:"agentId"`
	DisplayName string            `json:"displayName"`
	Onboarding  Onboarding        `json:"onboarding"`
	Credentials map[string]string `json:"credentials"`
	WebhookURL  string            `json:"webhookUrl"`
	CreatedBy   *string           `json:"createdBy"`
	CreatedAt   int64             `json:"createdAt"`
	ModifiedAt  int64             `json:"modifiedAt"`
}

// ViewOf renders c; publicBase is the API's public base URL.
func ViewOf(c Connector, publicBase string) View {
	v := View{ID: c.ID, Provider: c.Provider, AgentID: c.AgentID, DisplayName: c.DisplayName, Onboarding: c.Onboarding,
		Credentials: map[string]string{}, WebhookURL: strings.TrimRight(publicBase, "/") + c.WebhookPath(),
		CreatedAt: c.CreatedAt, ModifiedAt: c.ModifiedAt}
	for k, s := range c.Credentials {
		v.Credentials[k] = Mask(s)
	}
	if c.CreatedBy != "" {
		v.CreatedBy = &c.CreatedBy
	}
	return v
}

// Mask keeps a short prefix of a secret: four characters of long values,
// fewer of short ones, so that a secret is never rendered in full.
func Mask(s string) string {
	n := utf8.RuneCountInString(s)
	keep := 4
	if n < 16 {
		keep = n / 4
	}
	r := []rune(s)
	return string(r[:keep]) + "…"
}

// input is the JSON body of create and update. Pointers tell "absent"
// from "empty".
type input struct {
	Provider    *string `json:"provider"`
	AgentID     *string `json:"agentId"`
	DisplayName *string `json:"displayName"`
	Onboarding  *struct {
		Enabled *bool   `json:"enabled"`
		Message *string `json:"message"`
	} `json:"onboarding"`
	Credentials map[string]*string `json:"credentials"`
}

func badField(typ, detail string) error { return problem.BadRequest(typ, detail) }

func checkDisplayName(s string) error {
	if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > MaxDisplayName || !utf8.ValidString(s) {
		return badField("invalid-display-name", "displayName must be 1-150 characters")
	}
	return nil
}

func checkMessage(s string) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxOnboardingMessage {
		return badField("onboarding-message-too-long", "onboarding.message must be at most 1600 characters")
	}
	return nil
}

func checkCredential(provider, field, v string) error {
	if v == "" || len(v) > maxCredential || !utf8.ValidString(v) {
		return badField("invalid-credential", "credentials."+field+" must be 1-4096 characters")
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return badField("invalid-credential", "credentials."+field+" must not contain spaces or control characters")
		}
	}
	if valid := specs[provider].format[field]; valid != nil && !valid(v) {
		return badField("invalid-credential", "credentials."+field+" is not a valid "+strings.ToLower(provider)+" "+field)
	}
	return nil
}

func (s credentialSpec) allowed(field string) bool {
	for _, f := range s.required {
		if f == field {
			return true
		}
	}
	for _, f := range s.optional {
		if f == field {
			return true
		}
	}
	return false
}

func (s credentialSpec) fields() []string {
	return append(append([]string(nil), s.required...), s.optional...)
}

// applyCredentials merges in into cur (which it returns); an empty value
// removes an optional field.
func applyCredentials(provider string, cur map[string]string, in map[string]*string) (map[string]string, error) {
	spec := specs[provider]
	out := map[string]string{}
	for k, v := range cur {
		out[k] = v
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !spec.allowed(k) {
			return nil, badField("unknown-credential", "credentials."+k+" is not a "+provider+" credential; expected "+strings.Join(spec.fields(), ", "))
		}
		v := in[k]
		if v == nil || *v == "" {
			delete(out, k)
			continue
		}
		if err := checkCredential(provider, k, *v); err != nil {
			return nil, err
		}
		out[k] = *v
	}
	for _, k := range spec.required {
		if out[k] == "" {
			return nil, badField("credential-required", "credentials."+k+" is required for "+provider+" (required: "+strings.Join(spec.required, ", ")+")")
		}
	}
	return out, nil
}

func applyOnboarding(cur Onboarding, in *struct {
	Enabled *bool   `json:"enabled"`
	Message *string `json:"message"`
}) (Onboarding, error) {
	out := cur
	if in != nil {
		if in.Enabled != nil {
			out.Enabled = *in.Enabled
		}
		if in.Message != nil {
			if err := checkMessage(*in.Message); err != nil {
				return out, err
			}
			out.Message = strings.TrimSpace(*in.Message)
		}
	}
	if out.Enabled && out.Message == "" {
		out.Message = DefaultOnboardingMessage
	}
	return out, nil
}

// newConnector validates a create body. Onboarding defaults to on (with
// the default message): an access-control product fails closed.
func newConnector(in input) (Connector, error) {
	var c Connector
	if in.Provider == nil || !ValidProvider(*in.Provider) {
		return c, badField("invalid-provider", "provider must be one of "+strings.Join(Providers, ", "))
	}
	c.Provider = *in.Provider
	if in.AgentID == nil || !httpapi.ValidAgentID(*in.AgentID) {
		return c, badField("invalid-agent-id", "agentId must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	c.AgentID = *in.AgentID
	c.DisplayName = c.Provider
	if in.DisplayName != nil {
		if err := checkDisplayName(*in.DisplayName); err != nil {
			return c, err
		}
		c.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	var err error
	if c.Onboarding, err = applyOnboarding(Onboarding{Enabled: true}, in.Onboarding); err != nil {
		return c, err
	}
	if c.Credentials, err = applyCredentials(c.Provider, nil, in.Credentials); err != nil {
		return c, err
	}
	c.Secrets = DecodeCredentials(c.Provider, c.Credentials)
	return c, nil
}

// patch applies an update body to cur; provider and agentId are fixed at
// creation (they key the webhook URL and the authorization).
func patch(cur Connector, in input) (Connector, error) {
	next := cur
	if in.Provider != nil && *in.Provider != cur.Provider {
		return next, badField("immutable-field", "provider cannot be changed; create a new connector")
	}
	if in.AgentID != nil && *in.AgentID != cur.AgentID {
		return next, badField("immutable-field", "agentId cannot be changed; create a new connector")
	}
	if in.DisplayName != nil {
		if err := checkDisplayName(*in.DisplayName); err != nil {
			return next, err
		}
		next.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	var err error
	if next.Onboarding, err = applyOnboarding(cur.Onboarding, in.Onboarding); err != nil {
		return next, err
	}
	if in.Credentials != nil {
		if next.Credentials, err = applyCredentials(cur.Provider, cur.Credentials, in.Credentials); err != nil {
			return next, err
		}
		next.Secrets = DecodeCredentials(next.Provider, next.Credentials)
	}
	return next, nil
}

// ParseInput decodes and validates a create body (the fuzz target's entry).
func ParseInput(body []byte) (Connector, error) {
	var in input
	if err := httpapi.UnmarshalStrict(body, &in); err != nil {
		return Connector{}, err
	}
	return newConnector(in)
}

// KeyLen is the length of a webhook key: 32 random bytes, base64url.
const KeyLen = 43

// NewWebhookKey returns a fresh unguessable webhook key (256 bits).
func NewWebhookKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ValidWebhookKey reports whether k could be a key NewWebhookKey made,
// so malformed URLs are refused without a table read.
func ValidWebhookKey(k string) bool {
	if len(k) != KeyLen {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
