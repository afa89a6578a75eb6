package webhook

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

// Twilio's published request-validation example (twilio-go, twilio-php,
// twilio-csharp request validator tests).
const (
	twilioVectorToken     = "12345"
	twilioVectorURL       = "https://mycompany.com/myapp.php?foo=1&bar=2"
	twilioVectorSignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
)

func twilioVectorForm() url.Values {
	return url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+14158675309"},
		"Digits":  {"1234"},
		"From":    {"+14158675309"},
		"To":      {"+18005551212"},
	}
}

func twilioHeader(sig string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set(TwilioSignatureHeader, sig)
	}
	return h
}

func TestVerifyTwilio(t *testing.T) {
	tampered := twilioVectorForm()
	tampered.Set("Digits", "9999")
	extra := twilioVectorForm()
	extra.Set("Body", "hi")
	missing := twilioVectorForm()
	missing.Del("Caller")
	tests := []struct {
		name   string
		header http.Header
		url    string
		form   url.Values
		token  string
		want   error
	}{
		{"published vector", twilioHeader(twilioVectorSignature), twilioVectorURL, twilioVectorForm(), twilioVectorToken, nil},
		{"explicit default port", twilioHeader(twilioVectorSignature), "https://mycompany.com:443/myapp.php?foo=1&bar=2", twilioVectorForm(), twilioVectorToken, nil},
		{"tampered param", twilioHeader(twilioVectorSignature), twilioVectorURL, tampered, twilioVectorToken, ErrUnauthenticated},
		{"added param", twilioHeader(twilioVectorSignature), twilioVectorURL, extra, twilioVectorToken, ErrUnauthenticated},
		{"dropped param", twilioHeader(twilioVectorSignature), twilioVectorURL, missing, twilioVectorToken, ErrUnauthenticated},
		{"other URL", twilioHeader(twilioVectorSignature), twilioVectorURL + "&baz=3", twilioVectorForm(), twilioVectorToken, ErrUnauthenticated},
		{"http instead of https", twilioHeader(twilioVectorSignature), "http://mycompany.com/myapp.php?foo=1&bar=2", twilioVectorForm(), twilioVectorToken, ErrUnauthenticated},
		{"missing header", twilioHeader(""), twilioVectorURL, twilioVectorForm(), twilioVectorToken, ErrUnauthenticated},
		{"wrong token", twilioHeader(twilioVectorSignature), twilioVectorURL, twilioVectorForm(), "12346", ErrUnauthenticated},
		{"empty token", twilioHeader(twilioVectorSignature), twilioVectorURL, twilioVectorForm(), "", ErrUnauthenticated},
		{"flipped signature byte", twilioHeader("RSOYDt4T1cUTdK1PDd93/VVr8B9="), twilioVectorURL, twilioVectorForm(), twilioVectorToken, ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyTwilio(tt.header, tt.url, tt.form, tt.token)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifyTwilio() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseTwilio(t *testing.T) {
	// The parameters Twilio documents for an incoming-message webhook.
	sms := url.Values{
		"ToCountry": {"US"}, "ToState": {"CA"}, "SmsMessageSid": {"SM1f0e8ae6ade43cb3c0ce4525424e404f"},
		"NumMedia": {"0"}, "ToCity": {"SAN FRANCISCO"}, "FromZip": {"94105"}, "SmsSid": {"SM1f0e8ae6ade43cb3c0ce4525424e404f"},
		"FromState": {"CA"}, "SmsStatus": {"received"}, "FromCity": {"SAN FRANCISCO"}, "Body": {"Hello there"},
		"FromCountry": {"US"}, "To": {"+15017122661"}, "ToZip": {"94105"}, "NumSegments": {"1"},
		"MessageSid": {"SM1f0e8ae6ade43cb3c0ce4525424e404f"}, "AccountSid": {"ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"},
		"From": {"+15558675310"}, "ApiVersion": {"2010-04-01"},
	}
	legacy := url.Values{"SmsSid": {"SM2"}, "From": {"+15558675310"}, "Body": {""}}
	tests := []struct {
		name    string
		form    url.Values
		want    Result
		wantErr error
	}{
		{
			name: "incoming sms",
			form: sms,
			want: Result{Messages: []Message{{
				Provider: "TWILIO_SMS", EventID: "SM1f0e8ae6ade43cb3c0ce4525424e404f", SenderAddress: "+15558675310",
				ConversationID: "+15558675310", Text: "Hello there", MessageID: "SM1f0e8ae6ade43cb3c0ce4525424e404f", ReplyTo: "+15558675310",
			}}},
		},
		{
			name: "SmsSid only",
			form: legacy,
			want: Result{Messages: []Message{{Provider: "TWILIO_SMS", EventID: "SM2", SenderAddress: "+15558675310", ConversationID: "+15558675310", MessageID: "SM2", ReplyTo: "+15558675310"}}},
		},
		{name: "no sid", form: url.Values{"From": {"+1555"}}, wantErr: ErrMalformed},
		{name: "no from", form: url.Values{"MessageSid": {"SM3"}}, wantErr: ErrMalformed},
		{name: "empty", form: url.Values{}, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTwilio(tt.form)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func FuzzVerifyTwilio(f *testing.F) {
	f.Add(twilioVectorURL, twilioVectorForm().Encode(), twilioVectorSignature)
	f.Add("%", "a=%zz", "")
	f.Fuzz(func(t *testing.T, rawURL, rawForm, sig string) {
		form, _ := url.ParseQuery(rawForm)
		err := VerifyTwilio(twilioHeader(sig), rawURL, form, twilioVectorToken)
		if err != nil && !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("VerifyTwilio() = %v, want nil or ErrUnauthenticated", err)
		}
	})
}

func FuzzParseTwilio(f *testing.F) {
	f.Add("MessageSid=SM1&From=%2B15558675310&Body=hi")
	f.Add("SmsSid=&From=")
	f.Fuzz(func(t *testing.T, rawForm string) {
		form, _ := url.ParseQuery(rawForm)
		res, err := ParseTwilio(form)
		checkResultInvariants(t, res, err)
	})
}
