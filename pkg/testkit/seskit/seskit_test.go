package seskit

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/mail/ses"
)

func start(t *testing.T) (*Server, string) {
	t.Helper()
	dirPath := t.TempDir()
	dir, err := mail.NewDir(dirPath)
	if err != nil {
		t.Fatal(err)
	}
	s := New(dir, nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dirPath
}

func emls(t *testing.T, dir string) [][]byte {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// The SDK's own SendEmail, Simple and Raw, lands as one .eml each.
func TestSendWritesEML(t *testing.T) {
	raw := []byte("From: a@example.org\r\nTo: b@example.com\r\nSubject: raw one\r\n\r\nhello\r\n")
	tests := []struct {
		name string
		in   *sesv2.SendEmailInput
		want string // in the .eml
	}{
		{"simple", &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("no-reply@example.org"),
			Destination:      &types.Destination{ToAddresses: []string{"ann@example.com"}},
			Content: &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("Simple one")},
				Body: &types.Body{Text: &types.Content{Data: aws.String("hi")}}}},
		}, "Subject: Simple one"},
		{"raw", &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: raw}}}, string(raw)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := start(t)
			out, err := s.Client(1).SendEmail(t.Context(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			files := emls(t, dir)
			if len(files) != 1 || !bytes.Contains(files[0], []byte(tt.want)) {
				t.Fatalf("files %q, want one holding %q", files, tt.want)
			}
			if msgs := s.Messages(); len(msgs) != 1 || msgs[0].MessageID != aws.ToString(out.MessageId) {
				t.Errorf("messages %+v, answer %q", msgs, aws.ToString(out.MessageId))
			}
		})
	}
}

// The switches answer as SES does; gatehouse's sender tells retryable from
// permanent by the error type.
func TestSwitches(t *testing.T) {
	tests := []struct {
		name      string
		set       func(s *Server)
		status    int
		errType   string
		rejected  bool
		delivered int // of two sends
	}{
		{"down", func(s *Server) { s.SetDown(true, 0) }, 503, "ServiceUnavailable", false, 0},
		{"fail next 1 with 429", func(s *Server) { s.FailNext(1, 429, "TooManyRequestsException") }, 429, "TooManyRequestsException", false, 1},
		{"fail next 2 rejected", func(s *Server) { s.FailNext(2, 400, "MessageRejected") }, 400, "MessageRejected", true, 0},
		{"reset", func(s *Server) { s.SetDown(true, 0); s.Reset() }, 0, "", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := start(t)
			tt.set(s)
			snd := ses.New(s.Client(1), "no-reply@example.org")
			err := snd.Send(t.Context(), mail.Message{To: "ann@example.com", Subject: "s", Text: "t"})
			_ = snd.Send(t.Context(), mail.Message{To: "ann@example.com", Subject: "s", Text: "t"})
			// A rejection is wrapped as text (ErrRejected), the others keep the API error.
			var apiErr smithy.APIError
			switch {
			case tt.status == 0 && err != nil:
				t.Fatalf("Send = %v", err)
			case tt.status != 0 && !tt.rejected && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.errType):
				t.Fatalf("Send = %v, want %s", err, tt.errType)
			case tt.rejected && (err == nil || !strings.Contains(err.Error(), tt.errType)):
				t.Fatalf("Send = %v, want %s", err, tt.errType)
			}
			if got := errors.Is(err, mail.ErrRejected); got != tt.rejected {
				t.Errorf("rejected = %v, want %v", got, tt.rejected)
			}
			if reqs := s.Requests(); tt.status != 0 && reqs[0].Status != tt.status {
				t.Errorf("status %d, want %d", reqs[0].Status, tt.status)
			}
			if n := len(emls(t, dir)); n != tt.delivered {
				t.Errorf("%d .eml files, want %d", n, tt.delivered)
			}
		})
	}
}

// An outage with a duration ends by itself.
func TestDownFor(t *testing.T) {
	s, _ := start(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	s.SetDown(true, 10*time.Minute)
	if sw := s.Switches(); !sw.Down || sw.DownUntil == nil || !sw.DownUntil.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("switches %+v", sw)
	}
	now = now.Add(10 * time.Minute)
	if sw := s.Switches(); sw.Down || sw.DownUntil != nil {
		t.Errorf("after the outage: %+v", sw)
	}
}

// Unsigned or malformed requests are refused and deliver nothing.
func TestRefused(t *testing.T) {
	s, dir := start(t)
	tests := []struct {
		name, auth, body string
		status           int
	}{
		{"unsigned", "", `{"Content":{"Raw":{"Data":"eA=="}}}`, 403},
		{"no content", "AWS4-HMAC-SHA256 Credential=AK/20261201/us-east-1/ses/aws4_request", `{}`, 400},
		{"simple without subject", "AWS4-HMAC-SHA256 Credential=AK/20261201/us-east-1/ses/aws4_request",
			`{"FromEmailAddress":"a@example.org","Destination":{"ToAddresses":["b@example.com"]},"Content":{"Simple":{"Body":{"Text":{"Data":"x"}}}}}`, 400},
		{"header injection", "AWS4-HMAC-SHA256 Credential=AK/20261201/us-east-1/ses/aws4_request",
			`{"FromEmailAddress":"a@example.org","Destination":{"ToAddresses":["b@example.com"]},"Content":{"Simple":{"Subject":{"Data":"x\r\nBcc: e@example.com"},"Body":{"Text":{"Data":"x"}}}}}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.URL+SendPath, strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("X-Amzn-ErrorType") == "" {
				t.Errorf("%d %q, want %d with an error type", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), tt.status)
			}
		})
	}
	if n := len(emls(t, dir)); n != 0 || len(s.Messages()) != 0 {
		t.Errorf("%d files, %d messages after refusals", n, len(s.Messages()))
	}
}
