package ses_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/mail/ses"
	"github.com/gatehouse/gatehouse/pkg/testkit/seskit"
)

// newSESStub is the SES stand-in and a client for it that does not retry
// (error tests must not back off).
func newSESStub(t *testing.T) (*seskit.Server, *sesv2.Client) {
	t.Helper()
	s := seskit.New(nil, nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, s.Client(1)
}

// lastBody is the JSON body of the stand-in's last request.
func lastBody(t *testing.T, s *seskit.Server) map[string]any {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		t.Fatal("SES got no request")
	}
	r := reqs[len(reqs)-1]
	if !strings.Contains(r.Authorization, "/us-east-1/ses/aws4_request") {
		t.Errorf("Authorization = %q, want a SigV4 signature for ses in us-east-1", r.Authorization)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	return body
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
			if got := lastBody(t, stub); !reflect.DeepEqual(got, want) {
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
			stub.FailNext(1, tt.status, tt.errType)
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
			if n := len(stub.Requests()); n != 0 {
				t.Errorf("SES got %d requests, want 0", n)
			}
		})
	}
}
