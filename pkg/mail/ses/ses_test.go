package ses_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/mail/ses"
)

// sesStub speaks the SES v2 SendEmail wire format on 127.0.0.1.
type sesStub struct {
	srv      *httptest.Server
	requests atomic.Int32
	bodies   chan map[string]any
	status   int    // answer status; 0 means 200
	errType  string // X-Amzn-ErrorType for errors
}

func newSESStub(t *testing.T) (*sesStub, *sesv2.Client) {
	t.Helper()
	s := &sesStub{bodies: make(chan map[string]any, 10)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
			t.Errorf("request %s %s, want POST /v2/email/outbound-emails", r.Method, r.URL.Path)
		}
		if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/us-east-1/ses/aws4_request") {
			t.Errorf("Authorization = %q, want a SigV4 signature for ses in us-east-1", auth)
		}
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("body is not JSON: %v: %s", err, raw)
		}
		s.bodies <- body
		w.Header().Set("Content-Type", "application/json")
		if s.status != 0 {
			w.Header().Set("X-Amzn-ErrorType", s.errType)
			w.WriteHeader(s.status)
			io.WriteString(w, `{"message":"stub error"}`)
			return
		}
		io.WriteString(w, `{"MessageId":"0100018f-stub"}`)
	}))
	t.Cleanup(s.srv.Close)
	client := sesv2.New(sesv2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:       s.srv.Client(),
		RetryMaxAttempts: 1, // error tests must not back off
	})
	return s, client
}

func TestSESSend(t *testing.T) {
	tests := []struct {
		name string
		msg  mail.Message
		want string // JSON of the expected request body
	}{
		{
			name: "text and html",
			msg:  mail.Message{To: "ann@example.com", Subject: "Grüße", Text: "hi", HTML: "<p>hi</p>"},
			want: `{"FromEmailAddress":"no-reply@example.org",
				"Destination":{"ToAddresses":["ann@example.com"]},
				"Content":{"Simple":{
					"Subject":{"Data":"Grüße","Charset":"UTF-8"},
					"Body":{"Text":{"Data":"hi","Charset":"UTF-8"},"Html":{"Data":"<p>hi</p>","Charset":"UTF-8"}}}}}`,
		},
		{
			name: "text only, own From, display names",
			msg:  mail.Message{To: "Ann <ann@example.com>", From: "Shares <shares@example.org>", Subject: "s", Text: "t"},
			want: `{"FromEmailAddress":"\"Shares\" <shares@example.org>",
				"Destination":{"ToAddresses":["\"Ann\" <ann@example.com>"]},
				"Content":{"Simple":{
					"Subject":{"Data":"s","Charset":"UTF-8"},
					"Body":{"Text":{"Data":"t","Charset":"UTF-8"}}}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub, client := newSESStub(t)
			s := ses.New(client, "no-reply@example.org")
			if err := s.Send(t.Context(), tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if got := <-stub.bodies; !reflect.DeepEqual(got, want) {
				gotJSON, _ := json.Marshal(got)
				t.Errorf("request body\n got %s\nwant %s", gotJSON, tt.want)
			}
		})
	}
}

func TestSESErrors(t *testing.T) {
	tests := []struct {
		status       int
		errType      string
		wantRejected bool
	}{
		{400, "MessageRejected", true},
		{400, "MailFromDomainNotVerifiedException", true},
		{400, "BadRequestException", true},
		{429, "TooManyRequestsException", false},
		{400, "SendingPausedException", false},
		{500, "InternalFailure", false},
	}
	for _, tt := range tests {
		t.Run(tt.errType, func(t *testing.T) {
			stub, client := newSESStub(t)
			stub.status, stub.errType = tt.status, tt.errType
			err := ses.New(client, "no-reply@example.org").
				Send(t.Context(), mail.Message{To: "ann@example.com", Subject: "s", Text: "t"})
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, mail.ErrRejected); got != tt.wantRejected {
				t.Errorf("errors.Is(%v, ErrRejected) = %v, want %v", err, got, tt.wantRejected)
			}
		})
	}
}

// An invalid message never reaches SES.
func TestSESRefusesInvalid(t *testing.T) {
	tests := []struct {
		name string
		msg  mail.Message
	}{
		{"no recipient", mail.Message{Subject: "s", Text: "t"}},
		{"header injection", mail.Message{To: "ann@example.com", Subject: "s\r\nBcc: eve@example.com", Text: "t"}},
		{"no body", mail.Message{To: "ann@example.com", Subject: "s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub, client := newSESStub(t)
			if err := ses.New(client, "no-reply@example.org").Send(t.Context(), tt.msg); !errors.Is(err, mail.ErrInvalid) {
				t.Errorf("Send = %v, want ErrInvalid", err)
			}
			if n := stub.requests.Load(); n != 0 {
				t.Errorf("SES got %d requests, want 0", n)
			}
		})
	}
}
