package connectors

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseInput: any body either fails with a 4xx problem or yields a
// connector that satisfies every rule the API promises.
func FuzzParseInput(f *testing.F) {
	f.Add("SLACK", []byte(`{"agentId":"a","displayName":"x","parameters":{"signingSecret":"s","botToken":"t"}}`))
	f.Add("TELEGRAM", []byte(`{"agentId":"a","displayName":"x","onboarding":{"enabled":true,"message":""},"parameters":{"botToken":"1:a","secretToken":"x"}}`))
	f.Add("TEAMS", []byte(`{"integrationId":"slack","agentId":"a.b","displayName":"x","parameters":{"appId":"8e0b6a1c-3f0e-4a55-9d1f-2f7c5e9a1b11","appPassword":"p","tenantId":""}}`))
	f.Add("TWILIO_SMS", []byte(`{"agentId":"a","displayName":"x","sandboxMode":"none","auth":null,"parameters":{"accountSid":"AC0123456789abcdef0123456789abcdef","authToken":"t"}}`))
	f.Add("WHATSAPP", []byte(`{"displayName":"x"}`))
	f.Add("SLACK", []byte(`[]`))
	f.Fuzz(func(t *testing.T, provider string, body []byte) {
		if !ValidProvider(provider) {
			return
		}
		c, err := ParseInput(provider, body)
		if err != nil {
			return
		}
		if c.Provider != provider || c.AgentID == "" || c.HasWebhookKey() || c.WebhookKey != "" {
			t.Fatalf("accepted %+v", c)
		}
		if n := utf8.RuneCountInString(c.DisplayName); n == 0 || n > MaxDisplayName {
			t.Fatalf("display name %q", c.DisplayName)
		}
		if utf8.RuneCountInString(c.Onboarding.Message) > MaxOnboardingMessage(provider) || (c.Onboarding.Enabled && c.Onboarding.Message == "") {
			t.Fatalf("onboarding %+v", c.Onboarding)
		}
		spec := specs[c.Provider]
		for _, k := range spec.required {
			if c.Credentials[k] == "" {
				t.Fatalf("missing %s", k)
			}
		}
		for k, v := range c.Credentials {
			if !spec.allowed(k) || v == "" || len(v) > maxCredential {
				t.Fatalf("credential %s=%q", k, v)
			}
		}
		// No secret reaches the view.
		v := ViewOf(c, "https://x.test")
		for k, s := range v.Parameters {
			if !strings.Contains(strings.Join(spec.public, ","), k) || s != c.Credentials[k] {
				t.Fatalf("view parameters %v", v.Parameters)
			}
		}
	})
}

func TestValidWebhookKey(t *testing.T) {
	for range 100 {
		if k := NewWebhookKey(); !ValidWebhookKey(k) || !ValidWebhookKey(KeyHash(k)) || KeyHash(k) == k {
			t.Fatalf("NewWebhookKey() = %q (hash %q)", k, KeyHash(k))
		}
	}
	for _, k := range []string{"", "short", "../../../../../../../../../../../../../../..", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if ValidWebhookKey(k) {
			t.Errorf("ValidWebhookKey(%q) = true", k)
		}
	}
}

func TestProviderOf(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"slack", Slack, true}, {"Slack", Slack, true}, {"TELEGRAM", Telegram, true}, {"teams", Teams, true},
		{"whatsapp", WhatsApp, true}, {"twilio", TwilioSMS, true}, {"Twilio_SMS", TwilioSMS, true},
		{"signal", "", false}, {"", "", false},
	}
	for _, tt := range tests {
		if got, ok := ProviderOf(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ProviderOf(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
