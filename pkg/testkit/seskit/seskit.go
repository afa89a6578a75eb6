// Package seskit is a stand-in for Amazon SES v2's SendEmail on 127.0.0.1:
// POST /v2/email/outbound-emails in SES's REST-JSON wire format (Simple
// and Raw content), SigV4-signed requests only, errors with the
// X-Amzn-ErrorType header SES clients branch on. Each accepted message is
// kept and, with a folder, written there as an .eml file (what `make dev`
// shows). Switches make it fail: FailNext for the next calls, SetDown for
// an outage (a retryable 503 until it ends).
package seskit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/gatehouse/gatehouse/pkg/mail"
)

// SendPath is SendEmail's path.
const SendPath = "/v2/email/outbound-emails"

// Message is one e-mail the stand-in accepted.
type Message struct {
	MessageID string // what SES answered
	From      string
	To        []string
	Subject   string
	Text      string
	HTML      string
	Raw       []byte // Raw content, decoded
	At        time.Time
}

// Request is one SendEmail call as received, accepted or not.
type Request struct {
	Body          json.RawMessage
	Authorization string
	Status        int
}

// Switches are the stand-in's failure settings.
type Switches struct {
	// Down answers every call 503 ServiceUnavailable (retryable).
	Down bool `json:"down"`
	// DownUntil, when set, is when an outage started with a duration ends.
	DownUntil *time.Time `json:"downUntil,omitempty"`
	// FailNext calls answer FailStatus (with FailType) before any other.
	FailNext   int    `json:"failNext"`
	FailStatus int    `json:"status,omitempty"`
	FailType   string `json:"errorType,omitempty"`
}

// Server is the stand-in.
type Server struct {
	URL string

	srv *http.Server
	dir *mail.Dir // nil: keep messages in memory only
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	sw       Switches
	accepted []Message
	requests []Request
}

// New returns an unstarted stand-in writing accepted messages into dir
// (none when nil). A nil logger logs nothing.
func New(dir *mail.Dir, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{dir: dir, log: log, now: time.Now}
}

// Start listens on 127.0.0.1 (an ephemeral port) and serves until Close.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("seskit: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// Close stops the server.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Handler serves SendEmail.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SendPath, s.send)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NotFoundException", "seskit serves only POST "+SendPath)
	})
	return mux
}

// Client returns an SES v2 client for the stand-in with static
// credentials; retries is the SDK's attempt count (1 = no SDK retry).
func (s *Server) Client(retries int) *sesv2.Client {
	return sesv2.New(sesv2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDSESKIT", "seskit", ""),
		RetryMaxAttempts: retries,
	})
}

// FailNext makes the next n calls answer status with the AWS error type
// errType (e.g. 400 MessageRejected, 429 TooManyRequestsException).
func (s *Server) FailNext(n, status int, errType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sw.FailNext, s.sw.FailStatus, s.sw.FailType = n, status, errType
}

// SetDown starts (down) or ends an outage; for > 0 ends it after that long.
func (s *Server) SetDown(down bool, for_ time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sw.Down, s.sw.DownUntil = down, nil
	if down && for_ > 0 {
		until := s.now().Add(for_)
		s.sw.DownUntil = &until
	}
}

// Reset clears every switch.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sw = Switches{}
}

// Switches returns the current switches (an outage past its end is over).
func (s *Server) Switches() Switches {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	return s.sw
}

func (s *Server) expire() {
	if s.sw.DownUntil != nil && !s.now().Before(*s.sw.DownUntil) {
		s.sw.Down, s.sw.DownUntil = false, nil
	}
}

// Messages returns the accepted messages in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.accepted...)
}

// Requests returns every SendEmail call received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// sendInput is SendEmailInput's wire form (the fields the stand-in reads).
type sendInput struct {
	FromEmailAddress *string
	Destination      *struct{ ToAddresses, CcAddresses, BccAddresses []string }
	Content          *struct {
		Simple *struct {
			Subject *content
			Body    *struct{ Text, Html *content }
		}
		Raw *struct {
			Data []byte // base64 in JSON, as the SDK sends a blob
		}
		Template *json.RawMessage
	}
}

type content struct {
	Data    *string
	Charset *string
}

func (c *content) text() string {
	if c == nil || c.Data == nil {
		return ""
	}
	return *c.Data
}

func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 40<<20)) // SES's message limit is 40 MB
	auth := r.Header.Get("Authorization")
	status, errType, msg := s.answer(auth, raw, err)
	var m Message
	if status == http.StatusOK {
		m, status, errType, msg = s.accept(r.Context(), raw)
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Body: raw, Authorization: auth, Status: status})
	if status == http.StatusOK {
		s.accepted = append(s.accepted, m)
	}
	s.mu.Unlock()
	if status != http.StatusOK {
		s.log.Info("SES stand-in: SendEmail refused", "status", status, "errorType", errType)
		writeError(w, status, errType, msg)
		return
	}
	s.log.Info("SES stand-in: SendEmail accepted", "messageId", m.MessageID, "to", strings.Join(m.To, ","), "subject", m.Subject)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": m.MessageID})
}

// answer applies the signature check and the switches: 200 goes on.
func (s *Server) answer(auth string, raw []byte, readErr error) (int, string, string) {
	if readErr != nil {
		return http.StatusBadRequest, "BadRequestException", "unreadable body"
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=") || !strings.Contains(auth, "/ses/aws4_request") {
		return http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	if s.sw.FailNext > 0 {
		s.sw.FailNext--
		return s.sw.FailStatus, s.sw.FailType, "seskit: failure switched on"
	}
	if s.sw.Down {
		return http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable. Please try again later."
	}
	return http.StatusOK, "", ""
}

// accept validates the request as SES does and delivers it to the folder.
func (s *Server) accept(ctx context.Context, raw []byte) (Message, int, string, string) {
	bad := func(msg string) (Message, int, string, string) {
		return Message{}, http.StatusBadRequest, "BadRequestException", msg
	}
	var in sendInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return bad("body is not a SendEmail request: " + err.Error())
	}
	if in.Content == nil {
		return bad("Content is required")
	}
	m := Message{MessageID: messageID(s.now()), At: s.now()}
	if in.FromEmailAddress != nil {
		m.From = *in.FromEmailAddress
	}
	if in.Destination != nil {
		m.To = in.Destination.ToAddresses
	}
	switch c := in.Content; {
	case c.Simple != nil:
		if c.Simple.Subject == nil || c.Simple.Body == nil {
			return bad("Simple content needs Subject and Body")
		}
		if m.From == "" {
			return bad("FromEmailAddress is required with Simple content")
		}
		if len(m.To) == 0 && (in.Destination == nil || len(in.Destination.CcAddresses)+len(in.Destination.BccAddresses) == 0) {
			return bad("Destination is required with Simple content")
		}
		m.Subject, m.Text, m.HTML = c.Simple.Subject.text(), c.Simple.Body.Text.text(), c.Simple.Body.Html.text()
		if s.dir != nil {
			for _, to := range m.To {
				err := s.dir.Send(ctx, mail.Message{To: to, From: m.From, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
				if errors.Is(err, mail.ErrInvalid) {
					return Message{}, http.StatusBadRequest, "MessageRejected", err.Error()
				}
				if err != nil {
					return Message{}, http.StatusInternalServerError, "InternalFailure", err.Error()
				}
			}
		}
	case c.Raw != nil:
		if len(c.Raw.Data) == 0 {
			return bad("Raw content needs Data")
		}
		m.Raw = c.Raw.Data
		if s.dir != nil {
			if err := s.dir.WriteRaw(ctx, m.Raw); err != nil {
				return Message{}, http.StatusInternalServerError, "InternalFailure", err.Error()
			}
		}
	default:
		return bad("the stand-in takes Simple or Raw content")
	}
	return m, http.StatusOK, "", ""
}

// messageID looks like SES's ids (0100 + ms + random).
func messageID(now time.Time) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("0100%013x-%s-000000", now.UnixMilli(), hex.EncodeToString(b))
}

// writeError answers in SES v2's error format: the type in X-Amzn-ErrorType
// (what the SDK reads first), a JSON body with message.
func writeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", errType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
