package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"testing"
)

const (
	waSecret = "app-secret-123"
	// Shaped like Meta's "messages" webhook reference example, plus a status
	// update in a second change and a second message from another contact.
	waBody = `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[` +
		`{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},` +
		`"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"},{"profile":{"name":"Raj"},"wa_id":"4915112345678"}],` +
		`"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}},` +
		`{"from":"4915112345678","id":"wamid.2","timestamp":"1749416384","type":"image","image":{"id":"m1","mime_type":"image/jpeg","caption":"this one"}},` +
		`{"from":"4915112345678","id":"wamid.3","timestamp":"1749416385","type":"reaction","reaction":{"message_id":"wamid.x","emoji":"👍"}}]},"field":"messages"},` +
		`{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},` +
		`"statuses":[{"id":"wamid.out","status":"delivered","timestamp":"1749416386","recipient_id":"16505551234"}]},"field":"messages"}]}]}`
)

func signWhatsApp(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifyWhatsApp(t *testing.T) {
	body := []byte(waBody)
	flipped := []byte(waBody)
	flipped[len(flipped)-3] ^= 0x01
	sigHeader := func(v string) http.Header {
		h := http.Header{}
		h.Set(WhatsAppSignatureHeader, v)
		return h
	}
	good := signWhatsApp(waSecret, body)
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		secret string
		want   error
	}{
		{"valid", sigHeader(good), body, waSecret, nil},
		{"flipped body byte", sigHeader(good), flipped, waSecret, ErrUnauthenticated},
		{"re-serialised body", sigHeader(good), []byte(waBody + " "), waSecret, ErrUnauthenticated},
		{"missing header", http.Header{}, body, waSecret, ErrUnauthenticated},
		{"wrong secret", sigHeader(good), body, "other-secret", ErrUnauthenticated},
		{"empty secret", sigHeader(signWhatsApp("", body)), body, "", ErrUnauthenticated},
		{"sha1 scheme", sigHeader("sha1=" + good[len("sha256="):]), body, waSecret, ErrUnauthenticated},
		{"bare hex", sigHeader(good[len("sha256="):]), body, waSecret, ErrUnauthenticated},
		{"non-hex", sigHeader("sha256=xyz"), body, waSecret, ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyWhatsApp(tt.header, tt.body, tt.secret)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifyWhatsApp() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyWhatsAppSubscribe(t *testing.T) {
	const token = "verify-me"
	q := func(s string) url.Values {
		v, err := url.ParseQuery(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		query   url.Values
		token   string
		want    string
		wantErr error
	}{
		{"valid", q("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me"), token, "1158201444", nil},
		{"wrong token", q("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope"), token, "", ErrForbidden},
		{"missing token", q("hub.mode=subscribe&hub.challenge=1158201444"), token, "", ErrForbidden},
		{"wrong mode", q("hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=verify-me"), token, "", ErrForbidden},
		{"missing mode", q("hub.challenge=1158201444&hub.verify_token=verify-me"), token, "", ErrForbidden},
		{"no token configured", q("hub.mode=subscribe&hub.challenge=1&hub.verify_token="), "", "", ErrForbidden},
		{"no challenge", q("hub.mode=subscribe&hub.verify_token=verify-me"), token, "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyWhatsAppSubscribe(tt.query, tt.token)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("VerifyWhatsAppSubscribe() = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseWhatsApp(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Result
		wantErr error
	}{
		{
			name: "text and captioned image, reaction and status skipped",
			body: waBody,
			want: Result{Messages: []Message{
				{
					Provider: "WHATSAPP", EventID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", SenderAddress: "16505551234",
					DisplayName: "Sheena Nelson", ConversationID: "16505551234", Text: "Does it come in another color?",
					MessageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", ReplyTo: "16505551234",
				},
				{
					Provider: "WHATSAPP", EventID: "wamid.2", SenderAddress: "4915112345678", DisplayName: "Raj",
					ConversationID: "4915112345678", Text: "this one", MessageID: "wamid.2", ReplyTo: "4915112345678",
				},
			}},
		},
		{
			name: "interactive button reply",
			body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"contacts":[{"profile":{"name":"A"},"wa_id":"111"}],"messages":[{"from":"111","id":"wamid.b","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"yes","title":"Yes"}}}]}}]}]}`,
			want: Result{Messages: []Message{{Provider: "WHATSAPP", EventID: "wamid.b", SenderAddress: "111", DisplayName: "A", ConversationID: "111", Text: "Yes", MessageID: "wamid.b", ReplyTo: "111"}}},
		},
		{
			name: "statuses only",
			body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.o","status":"read","recipient_id":"111"}]}}]}]}`,
			want: Result{Ignored: true},
		},
		{
			name: "other field",
			body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}]}]}`,
			want: Result{Ignored: true},
		},
		{
			name: "system message",
			body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"from":"111","id":"wamid.s","type":"system","system":{"body":"changed number"}}]}}]}]}`,
			want: Result{Ignored: true},
		},
		{name: "wrong object", body: `{"object":"page","entry":[]}`, wantErr: ErrMalformed},
		{name: "message without id", body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"111","type":"text","text":{"body":"x"}}]}}]}]}`, wantErr: ErrMalformed},
		{name: "not json", body: `<xml/>`, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWhatsApp([]byte(tt.body))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func FuzzVerifyWhatsApp(f *testing.F) {
	f.Add([]byte(waBody), signWhatsApp(waSecret, []byte(waBody)))
	f.Add([]byte{}, "sha256=")
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		h := http.Header{}
		h.Set(WhatsAppSignatureHeader, sig)
		err := VerifyWhatsApp(h, body, waSecret)
		if err == nil && sig != signWhatsApp(waSecret, body) {
			t.Fatalf("VerifyWhatsApp accepted %q", sig)
		}
	})
}

func FuzzVerifyWhatsAppSubscribe(f *testing.F) {
	f.Add("hub.mode=subscribe&hub.challenge=1&hub.verify_token=t")
	f.Add("hub.mode=%zz")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		challenge, err := VerifyWhatsAppSubscribe(q, "t")
		if err == nil && (q.Get("hub.verify_token") != "t" || challenge == "") {
			t.Fatalf("VerifyWhatsAppSubscribe accepted %q", rawQuery)
		}
	})
}

func FuzzParseWhatsApp(f *testing.F) {
	f.Add([]byte(waBody))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{}]}}]}]}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseWhatsApp(body)
		checkResultInvariants(t, res, err)
	})
}
