package webhook

import (
	"fmt"
	"net/http"
	"net/url"

	twilioclient "github.com/twilio/twilio-go/client"
)

// TwilioSignatureHeader carries base64 HMAC-SHA1(auth token, URL + sorted params).
const TwilioSignatureHeader = "X-Twilio-Signature"

// VerifyTwilio checks X-Twilio-Signature with twilio-go's RequestValidator.
// publicURL is the webhook URL exactly as configured at Twilio (scheme, host,
// path and query), not as reconstructed behind API Gateway; form holds the
// POST parameters only (r.PostForm, not r.Form, which merges the query).
// The validator accepts the URL with and without the default port.
func VerifyTwilio(header http.Header, publicURL string, form url.Values, authToken string) error {
	if authToken == "" {
		return fmt.Errorf("%w: twilio auth token not configured", ErrUnauthenticated)
	}
	sig := header.Get(TwilioSignatureHeader)
	if sig == "" {
		return fmt.Errorf("%w: twilio signature header missing", ErrUnauthenticated)
	}
	// Twilio's SMS webhooks send each parameter once; the validator takes a
	// map, so a repeated name keeps its first value (as ValidateBody does).
	params := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	v := twilioclient.NewRequestValidator(authToken)
	if !v.Validate(publicURL, params, sig) {
		return fmt.Errorf("%w: twilio signature mismatch", ErrUnauthenticated)
	}
	return nil
}

// ParseTwilio parses an incoming-SMS webhook form. MessageSid is the EventID
// and MessageID; From (E.164) is the sender and the reply target.
func ParseTwilio(form url.Values) (Result, error) {
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsSid") // older accounts still send only this name
	}
	from := form.Get("From")
	if sid == "" || from == "" {
		return Result{}, fmt.Errorf("%w: twilio form without MessageSid or From", ErrMalformed)
	}
	return Result{Messages: []Message{{
		Provider:       ProviderTwilioSMS,
		EventID:        sid,
		SenderAddress:  from,
		ConversationID: from,
		Text:           form.Get("Body"),
		MessageID:      sid,
		ReplyTo:        from,
	}}}, nil
}
