package connectors

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strconv"
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
	MaxDisplayName = 150
	maxCredential  = 4096
)

// maxMessage is the longest onboarding message each provider delivers as
// one message: Twilio's SMS body limit, Telegram's and WhatsApp's text
// limits, Slack's recommended text size; Teams takes Slack's.
var maxMessage = map[string]int{TwilioSMS: 1600, Telegram: 4096, WhatsApp: 4096, Slack: 4000, Teams: 4000}

// MaxOnboardingMessage is the longest onboarding message of provider.
func MaxOnboardingMessage(provider string) int { return maxMessage[provider] }

// DefaultOnboardingMessage is sent when onboarding is turned on without a message.
const DefaultOnboardingMessage = "Hi! We received your message. An operator will review your access request shortly."

// credentialSpec lists a provider's parameters.
type credentialSpec struct {
	required []string
	optional []string
	// public are parameters that are identifiers, not secrets: responses
	// show them; every other parameter is write-only.
	public []string
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
	WhatsApp:  {required: []string{"appSecret", "verifyToken", "accessToken", "phoneNumberId"}, public: []string{"phoneNumberId"}, format: map[string]func(string) bool{"phoneNumberId": digits}},
	TwilioSMS: {required: []string{"accountSid", "authToken"}, public: []string{"accountSid"}, format: map[string]func(string) bool{"accountSid": twilioSID}},
	Teams:     {required: []string{"appId", "appPassword"}, optional: []string{"tenantId"}, public: []string{"appId", "tenantId"}, format: map[string]func(string) bool{"appId": guid, "tenantId": guid}},
}

// Providers lists the provider enum in a stable order.
var Providers = []string{Slack, Teams, Telegram, WhatsApp, TwilioSMS}

// ValidProvider reports whether p is one of Providers.
func ValidProvider(p string) bool { _, ok := specs[p]; return ok }

// Slug is the provider's path segment in webhook URLs: the lowercase name.
func Slug(provider string) string { return strings.ToLower(provider) }

// integrations are the {integration} path values (the documented
// integrationId) of each provider; the first is the canonical one that
// responses show, the others are aliases (the webhook slug).
var integrations = map[string][]string{
	Slack:     {"slack"},
	Teams:     {"teams"},
	Telegram:  {"telegram"},
	WhatsApp:  {"whatsapp"},
	TwilioSMS: {"twilio", "twilio_sms"},
}

// IntegrationID is the documented integrationId of provider.
func IntegrationID(provider string) string { return integrations[provider][0] }

// ProviderOf maps an {integration} path value, matched
// case-insensitively, to its provider; ok is false for unknown ones.
func ProviderOf(integration string) (string, bool) {
	in := strings.ToLower(integration)
	for p, ids := range integrations {
		if slices.Contains(ids, in) {
			return p, true
		}
	}
	return "", false
}

// IntegrationIDs lists the canonical integration ids.
func IntegrationIDs() []string {
	out := make([]string, 0, len(Providers))
	for _, p := range Providers {
		out = append(out, IntegrationID(p))
	}
	return out
}

// Onboarding is a connector's access policy: Enabled false ("Allow All",
// the default) accepts every sender; true gives unknown senders Message
// on their first interaction and a PENDING access request.
type Onboarding struct {
	Enabled bool   `dynamo:"enabled" json:"enabled"`
	Message string `dynamo:"message" json:"message"`
}

// Flood guard and cooldown defaults and bounds.
const (
	// DefaultFloodLimitPerHour applies to connectors that never set one
	// (and to those saved before the setting existed).
	DefaultFloodLimitPerHour = 100
	MaxFloodLimitPerHour     = 100000
	MaxRejectCooldownSeconds = 365 * 24 * 3600
)

// Connector is an integration config: one bot or number of a provider,
// serving one agent.
type Connector struct {
	ID          string     `dynamo:"id"`
	Provider    string     `dynamo:"provider"`
	AgentID     string     `dynamo:"agentId"`
	DisplayName string     `dynamo:"displayName"`
	Onboarding  Onboarding `dynamo:"onboarding"`
	// ApprovedMessage and RejectedMessage go to a sender when an operator
	// approves or rejects their request; "" sends nothing.
	ApprovedMessage string `dynamo:"approvedMessage,omitempty"`
	RejectedMessage string `dynamo:"rejectedMessage,omitempty"`
	// FloodLimit is the most new PENDING requests per hour; nil means
	// DefaultFloodLimitPerHour, 0 no limit (see FloodLimitPerHour).
	FloodLimit *int `dynamo:"floodLimitPerHour"`
	// RejectCooldownSeconds: after a reject, the sender's messages open no
	// new request for this long (0: the next message does).
	RejectCooldownSeconds int `dynamo:"rejectCooldownSeconds,omitempty"`
	// Credentials are the provider's parameters by name (the API's
	// `parameters`), secrets included; only public ones are rendered.
	Credentials map[string]string `dynamo:"credentials"`
	// Secrets are Credentials decoded (DecodeCredentials); set on every
	// connector this package reads or validates, never stored.
	Secrets Secrets `dynamo:"-"`
	// WebhookKeyHash identifies the bound webhook key (KeyHash); "" while
	// none is bound. The key itself is never stored.
	WebhookKeyHash string `dynamo:"webhookKeyHash,omitempty"`
	// WebhookKeyPrefix is the displayable start of the bound key.
	WebhookKeyPrefix string `dynamo:"webhookKeyPrefix,omitempty"`
	// WebhookKey is the plaintext key, known only to the process that just
	// minted it (or a caller binding its own at Create); never stored.
	WebhookKey string `dynamo:"-"`
	CreatedBy  string `dynamo:"createdBy,omitempty"`
	CreatedAt  int64  `dynamo:"createdAt"`
	ModifiedAt int64  `dynamo:"modifiedAt"`
	// Version guards read-modify-write updates; the key's lookup item
	// carries it too, so resolves notice every change (see Repo.Resolve).
	Version int `dynamo:"version"`
	// RequestExpiryDays is how long a PENDING access request of this
	// connector waits before the expiry sweep rejects it; nil means
	// DefaultRequestExpiryDays, 0 never.
	RequestExpiryDays *int `dynamo:"requestExpiryDays"`
}

// Expiry settings: requestExpiryDays is 0 (never) to MaxRequestExpiryDays.
const (
	DefaultRequestExpiryDays = 30
	MaxRequestExpiryDays     = 3650
)

// ExpiryDays is the connector's requestExpiryDays (0 = never).
func (c Connector) ExpiryDays() int {
	if c.RequestExpiryDays == nil {
		return DefaultRequestExpiryDays
	}
	return *c.RequestExpiryDays
}

// FloodLimitPerHour is the effective flood limit: 0 means none.
func (c Connector) FloodLimitPerHour() int {
	if c.FloodLimit == nil {
		return DefaultFloodLimitPerHour
	}
	return *c.FloodLimit
}

// HasWebhookKey reports whether a webhook key is bound.
func (c Connector) HasWebhookKey() bool { return c.WebhookKeyHash != "" }

// WebhookPath is the inbound path of the connector's plaintext key; only
// meaningful while WebhookKey is known.
func (c Connector) WebhookPath() string { return HookPath(c.Provider, c.WebhookKey) }

// HookPath is the inbound path of a provider's webhook key.
func HookPath(provider, key string) string { return "/v1/hooks/" + Slug(provider) + "/" + key }

// WebhookURLTemplate is the inbound URL of provider on publicBase with the
// key left as a {webhookKey} placeholder: what reads show.
func WebhookURLTemplate(provider, publicBase string) string {
	return strings.TrimRight(publicBase, "/") + HookPath(provider, "{webhookKey}")
}

// View is the API representation (the documented IntegrationConfig plus
// gatehouse's agentId, onboarding and webhook fields). Secrets are never
// rendered: parameters holds the public ones, secretParameters names the
// others that are set.
type View struct {
	ID                  string            `json:"id"`
	IntegrationID       string            `json:"integrationId"`
	DisplayName         string            `json:"displayName"`
	Parameters          map[string]string `json:"parameters"`
	HasAuth             bool              `json:"hasAuth"`
	HasAuthMap          bool              `json:"hasAuthMap"`
	AuthMethodID        *string           `json:"authMethodId"`
	Auth                *struct{}         `json:"auth"`
	AuthMapEntries      []struct{}        `json:"authMapEntries"`
	SandboxMode         string            `json:"sandboxMode"`
	SandboxVariant      *struct{}         `json:"sandboxVariant"`
	PublishedRevisionID *string           `json:"publishedRevisionId"`
	CreatedBy           string            `json:"createdBy"`
	CreatedAt           int64             `json:"createdAt"`
	ModifiedAt          int64             `json:"modifiedAt"`

	AgentID         string     `json:"agentId"`
	Onboarding      Onboarding `json:"onboarding"`
	ApprovedMessage *string    `json:"approvedMessage"`
	RejectedMessage *string    `json:"rejectedMessage"`
	// Flood guard and cooldown (extensions; see pkg/inbound).
	FloodLimitPerHour     int      `json:"floodLimitPerHour"`
	RejectCooldownSeconds int      `json:"rejectCooldownSeconds"`
	SecretParameters      []string `json:"secretParameters"`
	WebhookURLTemplate    string   `json:"webhookUrlTemplate"`
	WebhookKeyPrefix      *string  `json:"webhookKeyPrefix"`
	RequestExpiryDays     int      `json:"requestExpiryDays"`
}

// SandboxNone is the only sandbox mode: gatehouse connectors talk to the
// real provider.
const SandboxNone = "NONE"

// ViewOf renders c; publicBase is the API's public base URL.
func ViewOf(c Connector, publicBase string) View {
	spec := specs[c.Provider]
	v := View{ID: c.ID, IntegrationID: IntegrationID(c.Provider), DisplayName: c.DisplayName,
		Parameters: map[string]string{}, AuthMapEntries: []struct{}{}, SandboxMode: SandboxNone,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, ModifiedAt: c.ModifiedAt,
		AgentID: c.AgentID, Onboarding: c.Onboarding, SecretParameters: []string{},
		FloodLimitPerHour: c.FloodLimitPerHour(), RejectCooldownSeconds: c.RejectCooldownSeconds,
		WebhookURLTemplate: WebhookURLTemplate(c.Provider, publicBase), RequestExpiryDays: c.ExpiryDays()}
	v.HasAuth = true
	for _, k := range spec.required {
		if c.Credentials[k] == "" {
			v.HasAuth = false
		}
	}
	for k, s := range c.Credentials {
		if slices.Contains(spec.public, k) {
			v.Parameters[k] = s
		} else {
			v.SecretParameters = append(v.SecretParameters, k)
		}
	}
	sort.Strings(v.SecretParameters)
	if c.WebhookKeyPrefix != "" {
		v.WebhookKeyPrefix = &c.WebhookKeyPrefix
	}
	if c.ApprovedMessage != "" {
		v.ApprovedMessage = &c.ApprovedMessage
	}
	if c.RejectedMessage != "" {
		v.RejectedMessage = &c.RejectedMessage
	}
	return v
}

// input is the JSON body of create and update: the documented
// IntegrationConfig request plus agentId and onboarding. Pointers and raw
// values tell "absent" and null from a value.
type input struct {
	IntegrationID *string `json:"integrationId"`
	updateInput
}

// updateInput is the PATCH body: the create body minus integrationId.
type updateInput struct {
	DisplayName *string `json:"displayName"`
	AgentID     *string `json:"agentId"`
	Onboarding  *struct {
		Enabled *bool   `json:"enabled"`
		Message *string `json:"message"`
	} `json:"onboarding"`
	// The decision messages: null or absent keeps, "" clears.
	ApprovedMessage *string            `json:"approvedMessage"`
	RejectedMessage *string            `json:"rejectedMessage"`
	Parameters      map[string]*string `json:"parameters"`
	// RequestExpiryDays: null or absent keeps (on create: the default).
	RequestExpiryDays     *int `json:"requestExpiryDays"`
	FloodLimitPerHour     *int `json:"floodLimitPerHour"`
	RejectCooldownSeconds *int `json:"rejectCooldownSeconds"`
	// Documented fields gatehouse refuses unless null (see unsupported).
	Auth               json.RawMessage `json:"auth"`
	AuthMap            json.RawMessage `json:"authMap"`
	SandboxMode        *string         `json:"sandboxMode"`
	SandboxVariant     json.RawMessage `json:"sandboxVariant"`
	OAuthCredentialKey json.RawMessage `json:"oAuthCredentialKey"`
}

func (u updateInput) input() input { return input{updateInput: u} }

func badField(typ, detail string) error { return problem.BadRequest(typ, detail) }

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || strings.TrimSpace(string(raw)) == "null"
}

// unsupported refuses the documented fields gatehouse has no counterpart
// for; null is accepted as "not set".
func (in input) unsupported() error {
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"auth", in.Auth}, {"authMap", in.AuthMap}, {"oAuthCredentialKey", in.OAuthCredentialKey}} {
		if !isNull(f.raw) {
			return badField("unsupported-field", f.name+" is not supported: a gatehouse config keeps its provider credentials in parameters (write-only); send null or leave it out")
		}
	}
	if !isNull(in.SandboxVariant) {
		return badField("unsupported-field", "sandboxVariant is not supported: gatehouse configs have no sandbox; send null or leave it out")
	}
	if in.SandboxMode != nil {
		mode, err := httpapi.Enum("sandboxMode", *in.SandboxMode, SandboxNone, "VENDOR", "SIMULATED", "READ_THROUGH")
		if err != nil {
			return err
		}
		if mode != "" && mode != SandboxNone {
			return badField("unsupported-sandbox-mode", "sandboxMode "+mode+" is not supported: gatehouse configs always talk to the real provider (NONE)")
		}
	}
	return nil
}

// applyExpiryDays sets c's requestExpiryDays from in (nil keeps it).
func applyExpiryDays(c *Connector, in *int) error {
	if in == nil {
		return nil
	}
	if *in < 0 || *in > MaxRequestExpiryDays {
		return badField("invalid-request-expiry-days", "requestExpiryDays must be 0 (never) to "+strconv.Itoa(MaxRequestExpiryDays)+" days")
	}
	d := *in
	c.RequestExpiryDays = &d
	return nil
}

func checkDisplayName(s string) error {
	if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > MaxDisplayName || !utf8.ValidString(s) {
		return badField("invalid-display-name", "displayName must be 1-150 characters")
	}
	return nil
}

func checkMessage(provider, s string) error {
	return checkText(provider, "onboarding.message", "onboarding-message-too-long", s)
}

// checkText caps a message sent to senders at what provider delivers as
// one message.
func checkText(provider, field, typ, s string) error {
	limit := MaxOnboardingMessage(provider)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > limit {
		return badField(typ, field+" must be at most "+strconv.Itoa(limit)+" characters for "+IntegrationID(provider)+" (the longest message it delivers)")
	}
	return nil
}

// applyDecisionMessages sets the approved and rejected messages of c from
// in: null or absent keeps one, "" (after trimming) clears it.
func applyDecisionMessages(c *Connector, in input) error {
	for _, f := range []struct {
		name, typ string
		in        *string
		out       *string
	}{
		{"approvedMessage", "approved-message-too-long", in.ApprovedMessage, &c.ApprovedMessage},
		{"rejectedMessage", "rejected-message-too-long", in.RejectedMessage, &c.RejectedMessage},
	} {
		if f.in == nil {
			continue
		}
		if err := checkText(c.Provider, f.name, f.typ, *f.in); err != nil {
			return err
		}
		*f.out = strings.TrimSpace(*f.in)
	}
	return nil
}

func checkCredential(provider, field, v string) error {
	if v == "" || len(v) > maxCredential || !utf8.ValidString(v) {
		return badField("invalid-parameter", "parameters."+field+" must be 1-4096 characters")
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return badField("invalid-parameter", "parameters."+field+" must not contain spaces or control characters")
		}
	}
	if valid := specs[provider].format[field]; valid != nil && !valid(v) {
		return badField("invalid-parameter", "parameters."+field+" is not a valid "+IntegrationID(provider)+" "+field)
	}
	return nil
}

func (s credentialSpec) allowed(field string) bool {
	return slices.Contains(s.required, field) || slices.Contains(s.optional, field)
}

func (s credentialSpec) fields() []string {
	return append(append([]string(nil), s.required...), s.optional...)
}

// applyParameters merges in into cur (which it returns): a value replaces
// the stored one, null keeps it, "" removes an optional one.
func applyParameters(provider string, cur map[string]string, in map[string]*string) (map[string]string, error) {
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
			return nil, badField("unknown-parameter", "parameters."+k+" is not a "+IntegrationID(provider)+" parameter; expected "+strings.Join(spec.fields(), ", "))
		}
		v := in[k]
		switch {
		case v == nil:
		case *v == "":
			delete(out, k)
		default:
			if err := checkCredential(provider, k, *v); err != nil {
				return nil, err
			}
			out[k] = *v
		}
	}
	for _, k := range spec.required {
		if out[k] == "" {
			return nil, badField("parameter-required", "parameters."+k+" is required for "+IntegrationID(provider)+" (required: "+strings.Join(spec.required, ", ")+")")
		}
	}
	return out, nil
}

// applyGuards sets the flood limit and the reject cooldown from in; null
// or absent keeps the current value.
func applyGuards(c *Connector, in input) error {
	if v := in.FloodLimitPerHour; v != nil {
		if *v < 0 || *v > MaxFloodLimitPerHour {
			return badField("invalid-flood-limit", "floodLimitPerHour must be 0 (no limit) to "+strconv.Itoa(MaxFloodLimitPerHour))
		}
		n := *v
		c.FloodLimit = &n
	}
	if v := in.RejectCooldownSeconds; v != nil {
		if *v < 0 || *v > MaxRejectCooldownSeconds {
			return badField("invalid-reject-cooldown", "rejectCooldownSeconds must be 0 to "+strconv.Itoa(MaxRejectCooldownSeconds)+" (365 days)")
		}
		c.RejectCooldownSeconds = *v
	}
	return nil
}

func applyOnboarding(provider string, cur Onboarding, in *struct {
	Enabled *bool   `json:"enabled"`
	Message *string `json:"message"`
}) (Onboarding, error) {
	out := cur
	if in != nil {
		if in.Enabled != nil {
			out.Enabled = *in.Enabled
		}
		if in.Message != nil {
			if err := checkMessage(provider, *in.Message); err != nil {
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

// newConnector validates a create body for provider (the route's
// integration; a body integrationId is overwritten, as documented).
// Onboarding defaults to off: the documented default is "Allow All".
func newConnector(provider string, in input) (Connector, error) {
	c := Connector{Provider: provider}
	if err := in.unsupported(); err != nil {
		return c, err
	}
	if in.AgentID == nil || !httpapi.ValidAgentID(*in.AgentID) {
		return c, badField("invalid-agent-id", "agentId (the agent this config serves) must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	c.AgentID = *in.AgentID
	if in.DisplayName == nil {
		return c, badField("invalid-display-name", "displayName is required (1-150 characters)")
	}
	if err := checkDisplayName(*in.DisplayName); err != nil {
		return c, err
	}
	c.DisplayName = strings.TrimSpace(*in.DisplayName)
	if err := applyExpiryDays(&c, in.RequestExpiryDays); err != nil {
		return c, err
	}
	var err error
	if c.Onboarding, err = applyOnboarding(provider, Onboarding{}, in.Onboarding); err != nil {
		return c, err
	}
	if err := applyDecisionMessages(&c, in); err != nil {
		return c, err
	}
	if err := applyGuards(&c, in); err != nil {
		return c, err
	}
	if c.Credentials, err = applyParameters(provider, nil, in.Parameters); err != nil {
		return c, err
	}
	c.Secrets = DecodeCredentials(c.Provider, c.Credentials)
	return c, nil
}

// patch applies an update body to cur: null or absent keeps a field.
// agentId is fixed at creation (it keys the authorization).
func patch(cur Connector, in input) (Connector, error) {
	next := cur
	if err := in.unsupported(); err != nil {
		return next, err
	}
	if in.AgentID != nil && *in.AgentID != cur.AgentID {
		return next, badField("immutable-field", "agentId cannot be changed; create a new config")
	}
	if in.DisplayName != nil {
		if err := checkDisplayName(*in.DisplayName); err != nil {
			return next, err
		}
		next.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	if err := applyExpiryDays(&next, in.RequestExpiryDays); err != nil {
		return next, err
	}
	var err error
	if next.Onboarding, err = applyOnboarding(cur.Provider, cur.Onboarding, in.Onboarding); err != nil {
		return next, err
	}
	if err := applyDecisionMessages(&next, in); err != nil {
		return next, err
	}
	if err := applyGuards(&next, in); err != nil {
		return next, err
	}
	if in.Parameters != nil {
		if next.Credentials, err = applyParameters(cur.Provider, cur.Credentials, in.Parameters); err != nil {
			return next, err
		}
		next.Secrets = DecodeCredentials(next.Provider, next.Credentials)
	}
	return next, nil
}

// ParseInput decodes and validates a create body of provider (the fuzz
// target's entry).
func ParseInput(provider string, body []byte) (Connector, error) {
	var in input
	if err := httpapi.UnmarshalStrict(body, &in); err != nil {
		return Connector{}, err
	}
	return newConnector(provider, in)
}

// KeyLen is the length of a webhook key: 32 random bytes, base64url.
const KeyLen = 43

// KeyPrefixLen is how much of a key reads show (48 of its 256 bits).
const KeyPrefixLen = 8

// NewWebhookKey returns a fresh unguessable webhook key (256 bits).
func NewWebhookKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// KeyHash is what the table keeps of a webhook key: its SHA-256. The key
// has 256 random bits, so a plain hash cannot be reversed or guessed.
func KeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// KeyPrefix is the displayable start of a key.
func KeyPrefix(key string) string { return key[:min(KeyPrefixLen, len(key))] }

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
