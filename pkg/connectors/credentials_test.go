package connectors

import "testing"

// Each provider's stored fields land in its own typed credentials, and
// only there.
func TestDecodeCredentials(t *testing.T) {
	tests := []struct {
		provider string
		stored   map[string]string
		want     Secrets
	}{
		{Slack, map[string]string{"signingSecret": "ss", "botToken": "bt"},
			Secrets{Slack: SlackCredentials{SigningSecret: "ss", BotToken: "bt"}}},
		{Telegram, map[string]string{"botToken": "1:x", "secretToken": "st"},
			Secrets{Telegram: TelegramCredentials{BotToken: "1:x", SecretToken: "st"}}},
		{WhatsApp, map[string]string{"appSecret": "as", "verifyToken": "vt", "accessToken": "at", "phoneNumberId": "1"},
			Secrets{WhatsApp: WhatsAppCredentials{AppSecret: "as", VerifyToken: "vt", AccessToken: "at", PhoneNumberID: "1"}}},
		{TwilioSMS, map[string]string{"accountSid": "AC1", "authToken": "t"},
			Secrets{Twilio: TwilioCredentials{AccountSID: "AC1", AuthToken: "t"}}},
		{Teams, map[string]string{"appId": "a", "appPassword": "p", "tenantId": "tn"},
			Secrets{Teams: TeamsCredentials{AppID: "a", AppPassword: "p", TenantID: "tn"}}},
		{Teams, map[string]string{"appId": "a", "appPassword": "p"}, Secrets{Teams: TeamsCredentials{AppID: "a", AppPassword: "p"}}},
		{"UNKNOWN", map[string]string{"botToken": "bt"}, Secrets{}},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			if got := DecodeCredentials(tt.provider, tt.stored); got != tt.want {
				t.Errorf("DecodeCredentials = %+v, want %+v", got, tt.want)
			}
		})
	}
}
