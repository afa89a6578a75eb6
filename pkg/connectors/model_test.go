package connectors

import (
	"testing"
	"unicode/utf8"
)

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"xoxb-1111-2222-abcdefghijklmnop", "xoxb…"},
		{"0123456789abcdef", "0123…"},
		{"106540352242922", "106…"},
		{"abcd", "a…"},
		{"abc", "…"},
		{"", "…"},
		{"ééééééééééééééééé", "éééé…"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseInput: any body either fails with a 4xx problem or yields a
// connector that satisfies every rule the API promises.
func FuzzParseInput(f *testing.F) {
	f.Add([]byte(`{"provider":"SLACK","agentId":"a","credentials":{"signingSecret":"s","botToken":"t"}}`))
	f.Add([]byte(`{"provider":"TELEGRAM","agentId":"a","onboarding":{"enabled":true,"message":""},"credentials":{"botToken":"1:a","secretToken":"x"}}`))
	f.Add([]byte(`{"provider":"TEAMS","agentId":"a.b","displayName":"x","credentials":{"appId":"8e0b6a1c-3f0e-4a55-9d1f-2f7c5e9a1b11","appPassword":"p","tenantId":""}}`))
	f.Add([]byte(`{"provider":"TWILIO_SMS","agentId":"a","credentials":{"accountSid":"AC0123456789abcdef0123456789abcdef","authToken":"t"}}`))
	f.Add([]byte(`{"provider":"WHATSAPP"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseInput(body)
		if err != nil {
			return
		}
		if !ValidProvider(c.Provider) || c.AgentID == "" {
			t.Fatalf("accepted %+v", c)
		}
		if n := utf8.RuneCountInString(c.DisplayName); n == 0 || n > MaxDisplayName {
			t.Fatalf("display name %q", c.DisplayName)
		}
		if utf8.RuneCountInString(c.Onboarding.Message) > MaxOnboardingMessage || (c.Onboarding.Enabled && c.Onboarding.Message == "") {
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
			if m := Mask(v); len(m) >= len(v)+len("…") && len(v) > 0 {
				t.Fatalf("Mask(%q) = %q reveals it", v, m)
			}
		}
	})
}

func TestValidWebhookKey(t *testing.T) {
	for range 100 {
		if k := NewWebhookKey(); !ValidWebhookKey(k) {
			t.Fatalf("NewWebhookKey() = %q is not valid", k)
		}
	}
	for _, k := range []string{"", "short", "../../../../../../../../../../../../../../..", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if ValidWebhookKey(k) {
			t.Errorf("ValidWebhookKey(%q) = true", k)
		}
	}
}
