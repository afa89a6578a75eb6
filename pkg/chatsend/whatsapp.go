package chatsend

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// metaTransient are Graph / Cloud API error codes that clear on their own:
// API unavailable (1, 2), app and account rate limits (4, 17, 341, 80007),
// throughput (130429), pair rate (131056), "something went wrong" (131000),
// service unavailable (131016, 133004).
var metaTransient = map[int]bool{
	1: true, 2: true, 4: true, 17: true, 341: true, 80007: true,
	130429: true, 131000: true, 131016: true, 131056: true, 133004: true,
}

// sendWhatsApp calls the Cloud API's POST /{phone-number-id}/messages.
func (s *Sender) sendWhatsApp(ctx context.Context, creds Credentials, m Outbound) error {
	if creds.WhatsAppAccessToken == "" || creds.WhatsAppPhoneNumberID == "" {
		return permanent(providerWhatsApp, "no access token or phone number id")
	}
	req, err := newJSONRequest(ctx, s.cfg.WhatsAppAPIURL+"/"+url.PathEscape(creds.WhatsAppPhoneNumberID)+"/messages", map[string]any{
		"messaging_product": "whatsapp",
		"recipient_type":    "individual",
		"to":                m.ReplyTo,
		"type":              "text",
		"text":              map[string]any{"preview_url": false, "body": m.Text},
	})
	if err != nil {
		return permanent(providerWhatsApp, "building request: "+err.Error())
	}
	req.Header.Set("Authorization", "Bearer "+creds.WhatsAppAccessToken)
	r, err := s.do(req, providerWhatsApp)
	if err != nil {
		return err
	}
	if r.ok() {
		return nil
	}
	var res struct {
		Error struct {
			Message     string `json:"message"`
			Code        int    `json:"code"`
			IsTransient bool   `json:"is_transient"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &res)
	e := statusError(providerWhatsApp, r, "", res.Error.Message)
	if c := res.Error.Code; c != 0 {
		e.Code = strconv.Itoa(c)
		// Meta reports some throttling as 400: the code decides.
		if metaTransient[c] || res.Error.IsTransient {
			e.Permanent = false
		}
	}
	if r.status == http.StatusUnauthorized {
		e.Permanent = true // expired or revoked access token
	}
	return e
}
