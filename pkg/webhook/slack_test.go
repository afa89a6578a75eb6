package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"
	"time"
)

// Slack's published example (docs "Verifying requests from Slack", also used
// by python-slack-sdk's signature tests): a slash-command form body.
const (
	slackVectorSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	slackVectorTimestamp = "1531420618"
	slackVectorBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackVectorSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

var slackVectorTime = time.Unix(1531420618, 0)

func slackHeader(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set("X-Slack-Request-Timestamp", ts)
	}
	if sig != "" {
		h.Set("X-Slack-Signature", sig)
	}
	return h
}

// signSlack signs like Slack does, for payloads other than the vector.
func signSlack(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifySlackPublishedVector(t *testing.T) {
	h := slackHeader(slackVectorTimestamp, slackVectorSignature)
	if err := VerifySlack(h, []byte(slackVectorBody), slackVectorSecret, slackVectorTime); err != nil {
		t.Fatalf("VerifySlack(published vector) = %v, want nil", err)
	}
	// Our test signer must agree with Slack's vector, or the other tests prove nothing.
	if got := signSlack(slackVectorSecret, slackVectorTimestamp, []byte(slackVectorBody)); got != slackVectorSignature {
		t.Fatalf("signSlack(vector) = %s, want %s", got, slackVectorSignature)
	}
}

func TestVerifySlackTamper(t *testing.T) {
	body := []byte(slackVectorBody)
	flipped := []byte(slackVectorBody)
	flipped[10] ^= 0x01
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		secret string
		now    time.Time
		want   error
	}{
		{"valid", slackHeader(slackVectorTimestamp, slackVectorSignature), body, slackVectorSecret, slackVectorTime, nil},
		{"300 s late still valid", slackHeader(slackVectorTimestamp, slackVectorSignature), body, slackVectorSecret, slackVectorTime.Add(300 * time.Second), nil},
		{"300 s early still valid", slackHeader(slackVectorTimestamp, slackVectorSignature), body, slackVectorSecret, slackVectorTime.Add(-300 * time.Second), nil},
		{"flipped body byte", slackHeader(slackVectorTimestamp, slackVectorSignature), flipped, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"extra trailing byte", slackHeader(slackVectorTimestamp, slackVectorSignature), append([]byte(slackVectorBody), '\n'), slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"missing signature header", slackHeader(slackVectorTimestamp, ""), body, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"missing timestamp header", slackHeader("", slackVectorSignature), body, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"wrong secret", slackHeader(slackVectorTimestamp, slackVectorSignature), body, "8f742231b10e8888abcd99yyyzzz85a6", slackVectorTime, ErrUnauthenticated},
		{"empty secret", slackHeader(slackVectorTimestamp, slackVectorSignature), body, "", slackVectorTime, ErrUnauthenticated},
		{"stale timestamp", slackHeader(slackVectorTimestamp, slackVectorSignature), body, slackVectorSecret, slackVectorTime.Add(301 * time.Second), ErrUnauthenticated},
		{"future timestamp", slackHeader(slackVectorTimestamp, slackVectorSignature), body, slackVectorSecret, slackVectorTime.Add(-301 * time.Second), ErrUnauthenticated},
		{"timestamp changed, signature kept", slackHeader("1531420619", slackVectorSignature), body, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"non-numeric timestamp", slackHeader("soon", slackVectorSignature), body, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"huge timestamp", slackHeader("-9223372036854775808", slackVectorSignature), body, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"no v0= prefix", slackHeader(slackVectorTimestamp, slackVectorSignature[3:]), body, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"v1 scheme", slackHeader(slackVectorTimestamp, "v1="+slackVectorSignature[3:]), body, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"non-hex signature", slackHeader(slackVectorTimestamp, "v0=zz"+slackVectorSignature[5:]), body, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
		{"truncated signature", slackHeader(slackVectorTimestamp, slackVectorSignature[:len(slackVectorSignature)-2]), body, slackVectorSecret, slackVectorTime, ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySlack(tt.header, tt.body, tt.secret, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifySlack() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseSlack(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Result
		wantErr error
	}{
		{
			name: "url_verification",
			body: `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`,
			want: Result{Challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
		},
		{
			name: "user message",
			body: `{"token":"x","team_id":"T061EG9R6","api_app_id":"A0PNCHHK2","event":{"type":"message","channel":"D024BE91L","user":"U2147483697","text":"Hello hello can you hear me?","ts":"1355517523.000005","event_ts":"1355517523.000005","channel_type":"im"},"type":"event_callback","event_id":"Ev0PV52K21","event_time":1355517523}`,
			want: Result{Messages: []Message{{
				Provider: "SLACK", EventID: "Ev0PV52K21", SenderAddress: "U2147483697", ConversationID: "D024BE91L",
				Text: "Hello hello can you hear me?", MessageID: "1355517523.000005", ReplyTo: "D024BE91L",
			}}},
		},
		{
			name: "file share from a user counts",
			body: `{"type":"event_callback","event_id":"Ev2","event":{"type":"message","subtype":"file_share","channel":"C1","user":"U1","text":"see file","ts":"2.0"}}`,
			want: Result{Messages: []Message{{Provider: "SLACK", EventID: "Ev2", SenderAddress: "U1", ConversationID: "C1", Text: "see file", MessageID: "2.0", ReplyTo: "C1"}}},
		},
		{name: "bot message", body: `{"type":"event_callback","event_id":"Ev3","event":{"type":"message","bot_id":"B1","user":"U1","channel":"C1","text":"hi","ts":"1.0"}}`, want: Result{Ignored: true}},
		{name: "bot_message subtype", body: `{"type":"event_callback","event_id":"Ev3","event":{"type":"message","subtype":"bot_message","channel":"C1","text":"hi","ts":"1.0"}}`, want: Result{Ignored: true}},
		{name: "edit", body: `{"type":"event_callback","event_id":"Ev4","event":{"type":"message","subtype":"message_changed","channel":"C1","message":{"user":"U1","text":"x"},"ts":"1.0"}}`, want: Result{Ignored: true}},
		{name: "join", body: `{"type":"event_callback","event_id":"Ev5","event":{"type":"message","subtype":"channel_join","user":"U1","channel":"C1","text":"<@U1> has joined","ts":"1.0"}}`, want: Result{Ignored: true}},
		{name: "app_mention is not a message event", body: `{"type":"event_callback","event_id":"Ev6","event":{"type":"app_mention","user":"U1","channel":"C1","text":"<@U0> hi","ts":"1.0"}}`, want: Result{Ignored: true}},
		{name: "app_rate_limited", body: `{"token":"x","type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}`, want: Result{Ignored: true}},
		{name: "not json", body: `token=x&team_id=T1`, wantErr: ErrMalformed},
		{name: "no type", body: `{}`, wantErr: ErrMalformed},
		{name: "url_verification without challenge", body: `{"type":"url_verification"}`, wantErr: ErrMalformed},
		{name: "event_callback without event_id", body: `{"type":"event_callback","event":{"type":"message","user":"U1","channel":"C1","ts":"1"}}`, wantErr: ErrMalformed},
		{name: "event_callback without event", body: `{"type":"event_callback","event_id":"Ev7"}`, wantErr: ErrMalformed},
		{name: "message without channel", body: `{"type":"event_callback","event_id":"Ev8","event":{"type":"message","user":"U1","ts":"1"}}`, wantErr: ErrMalformed},
		{name: "wrong field type", body: `{"type":"event_callback","event_id":7}`, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSlack([]byte(tt.body))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func FuzzVerifySlack(f *testing.F) {
	f.Add([]byte(slackVectorBody), slackVectorTimestamp, slackVectorSignature)
	f.Add([]byte(""), "", "v0=")
	f.Add([]byte("{}"), "-1", "v0=00")
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		err := VerifySlack(slackHeader(ts, sig), body, slackVectorSecret, slackVectorTime)
		if err == nil && sig != signSlack(slackVectorSecret, ts, body) {
			t.Fatalf("VerifySlack accepted signature %q that is not the HMAC of the input", sig)
		}
		if err != nil && !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("VerifySlack() = %v, want nil or ErrUnauthenticated", err)
		}
	})
}

func FuzzParseSlack(f *testing.F) {
	f.Add([]byte(`{"type":"url_verification","challenge":"c"}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel":"C1","user":"U1","text":"hi","ts":"1.0"}}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"Ev1","event":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseSlack(body)
		checkResultInvariants(t, res, err)
	})
}

// checkParse compares a parser's result with the expected one.
func checkParse(t *testing.T, got Result, err error, want Result, wantErr error) {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("error = %v, want %v", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("error = %v, want nil", err)
	}
	if got.Challenge != want.Challenge || got.Ignored != want.Ignored || len(got.Messages) != len(want.Messages) {
		t.Fatalf("result = %+v, want %+v", got, want)
	}
	for i := range want.Messages {
		if got.Messages[i] != want.Messages[i] {
			t.Errorf("message %d =\n  %+v\nwant\n  %+v", i, got.Messages[i], want.Messages[i])
		}
	}
}

// checkResultInvariants holds for every parser and every input: an error is
// ErrMalformed, and a success is exactly one of challenge, messages, ignored,
// with every message carrying what a handler needs to dedupe and reply.
func checkResultInvariants(t *testing.T, res Result, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		return
	}
	kinds := 0
	for _, b := range []bool{res.Challenge != "", len(res.Messages) > 0, res.Ignored} {
		if b {
			kinds++
		}
	}
	if kinds != 1 {
		t.Fatalf("result %+v is not exactly one of challenge, messages, ignored", res)
	}
	for i, m := range res.Messages {
		if m.Provider == "" || m.EventID == "" || m.SenderAddress == "" || m.ReplyTo == "" {
			t.Fatalf("message %d lacks provider, event id, sender or reply target: %+v", i, m)
		}
	}
}
