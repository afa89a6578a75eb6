package connectors

// Typed credentials of each provider. The table and the API keep the
// credentials as a map by field name (see specs); DecodeCredentials is the
// one place that reads that map, so no other package names a field.

// SlackCredentials are a Slack connector's secrets.
type SlackCredentials struct {
	SigningSecret string // v0 request signatures
	BotToken      string // chat.postMessage
}

// TelegramCredentials are a Telegram connector's secrets.
type TelegramCredentials struct {
	BotToken    string
	SecretToken string // the secret_token given to setWebhook
}

// WhatsAppCredentials are a WhatsApp connector's secrets.
type WhatsAppCredentials struct {
	AppSecret     string // X-Hub-Signature-256
	VerifyToken   string // the hub.verify_token of the subscribe handshake
	AccessToken   string
	PhoneNumberID string
}

// TwilioCredentials are a Twilio SMS connector's secrets.
type TwilioCredentials struct {
	AccountSID string
	AuthToken  string
}

// TeamsCredentials are a Teams connector's secrets.
type TeamsCredentials struct {
	AppID       string
	AppPassword string
	TenantID    string // optional: the Entra tenant for Graph (avatars)
}

// Secrets are a connector's credentials decoded by provider: only the
// connector's own provider's field is set.
type Secrets struct {
	Slack    SlackCredentials
	Telegram TelegramCredentials
	WhatsApp WhatsAppCredentials
	Twilio   TwilioCredentials
	Teams    TeamsCredentials
}

// DecodeCredentials decodes the stored credentials of a provider's
// connector; fields of other providers stay empty.
func DecodeCredentials(provider string, stored map[string]string) Secrets {
	var s Secrets
	switch provider {
	case Slack:
		s.Slack = SlackCredentials{SigningSecret: stored["signingSecret"], BotToken: stored["botToken"]}
	case Telegram:
		s.Telegram = TelegramCredentials{BotToken: stored["botToken"], SecretToken: stored["secretToken"]}
	case WhatsApp:
		s.WhatsApp = WhatsAppCredentials{AppSecret: stored["appSecret"], VerifyToken: stored["verifyToken"],
			AccessToken: stored["accessToken"], PhoneNumberID: stored["phoneNumberId"]}
	case TwilioSMS:
		s.Twilio = TwilioCredentials{AccountSID: stored["accountSid"], AuthToken: stored["authToken"]}
	case Teams:
		s.Teams = TeamsCredentials{AppID: stored["appId"], AppPassword: stored["appPassword"], TenantID: stored["tenantId"]}
	}
	return s
}
