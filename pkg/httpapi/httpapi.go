// Package httpapi is the plain net/http layer every Lambda and the dev
// server share: the route type, authentication, body limits, JSON helpers
// and the single place where errors become responses.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// MaxBody is the largest request body any route accepts.
const MaxBody = 1 << 20

// HandlerFunc handles a request and returns an error instead of writing one.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Renderer writes err as a response. Each API family has one.
type Renderer func(w http.ResponseWriter, r *http.Request, err error)

// Route is one entry of the route table. Function names the Lambda (its
// logical id in template.yaml) that serves it.
type Route struct {
	Function string
	Method   string
	// Path uses API Gateway syntax, which Go's ServeMux shares:
	// /v1/tenants/{tenant}/participantAccessRequests/{idverb}.
	Path   string
	Public bool // no bearer token required
	Handle HandlerFunc
	Render Renderer // nil means problem+json
}

// Authenticator verifies the Authorization header.
type Authenticator interface {
	Verify(ctx context.Context, authorization string) (auth.Principal, error)
}

// Server turns routes into an http.Handler.
type Server struct {
	Auth   Authenticator
	Logger *slog.Logger
}

// Handler mounts routes on a new ServeMux.
func (s *Server) Handler(routes []Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		Problem(s.logger())(w, r, problem.NotFound("no route for "+r.Method+" "+r.URL.Path))
	})
	return mux
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

func (s *Server) wrap(rt Route) http.Handler {
	render := rt.Render
	if render == nil {
		render = Problem(s.logger())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				render(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		}
		if !rt.Public {
			if s.Auth == nil {
				render(w, r, fmt.Errorf("%w: no authenticator configured", auth.ErrUnavailable))
				return
			}
			p, err := s.Auth.Verify(r.Context(), r.Header.Get("Authorization"))
			if err != nil {
				render(w, r, err)
				return
			}
			r = r.WithContext(auth.NewContext(r.Context(), p))
		}
		if err := rt.Handle(w, r); err != nil {
			render(w, r, err)
		}
	})
}

// Problem renders errors as RFC 9457 problem+json. Only *problem.Error
// reaches the client; anything else is logged and answered with a bare 500.
func Problem(log *slog.Logger) Renderer {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		p := Classify(err)
		if p.Status >= 500 {
			log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", err)
		} else {
			log.InfoContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", err)
		}
		body := map[string]any{}
		for k, v := range p.Extra {
			body[k] = v
		}
		body["type"] = problem.TypeBase + p.Type
		body["title"] = p.Title
		body["status"] = p.Status
		body["detail"] = p.Detail
		body["instance"] = r.URL.Path
		if p.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(body)
	}
}

// Classify maps any error to the problem a client may see.
func Classify(err error) *problem.Error {
	if p, ok := problem.As(err); ok {
		if p.Title == "" {
			p.Title = http.StatusText(p.Status)
		}
		return p
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return problem.New(http.StatusBadRequest, "body-too-large", fmt.Sprintf("the request body exceeds %d bytes", MaxBody))
	case errors.Is(err, auth.ErrUnauthenticated):
		return problem.New(http.StatusUnauthorized, "unauthenticated", "a valid bearer token is required")
	case errors.Is(err, auth.ErrUnavailable):
		return problem.New(http.StatusServiceUnavailable, "auth-unavailable", "token keys cannot be fetched; try again later")
	case errors.Is(err, context.DeadlineExceeded):
		return problem.New(http.StatusServiceUnavailable, "timeout", "the request timed out; try again")
	}
	return problem.New(http.StatusInternalServerError, "internal", "an unexpected error occurred")
}

// DecodeJSON reads one JSON object into v, rejecting unknown fields,
// trailing data and oversize bodies. An empty body decodes as {}.
func DecodeJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return problem.Wrap(err, http.StatusBadRequest, "invalid-body", "the request body could not be read")
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	return UnmarshalStrict(data, v)
}

// UnmarshalStrict decodes data into v like DecodeJSON.
func UnmarshalStrict(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var fieldErr *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return problem.Wrap(err, http.StatusBadRequest, "unknown-field", strings.TrimPrefix(err.Error(), "json: "))
		case errors.As(err, &fieldErr):
			return problem.Wrap(err, http.StatusBadRequest, "invalid-field", fmt.Sprintf("field %q must be %s", fieldErr.Field, fieldErr.Type))
		}
		if p, ok := problem.As(err); ok {
			return p
		}
		return problem.Wrap(err, http.StatusBadRequest, "invalid-json", "the request body is not valid JSON")
	}
	if dec.More() {
		return problem.BadRequest("invalid-json", "the request body holds more than one JSON value")
	}
	return nil
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// SplitVerb splits the last path segment of a custom-method route
// ("{id}:approve", or "%3A" escaped) into id and verb.
func SplitVerb(segment string) (id, verb string) {
	if i := strings.LastIndexByte(segment, ':'); i >= 0 {
		return segment[:i], segment[i+1:]
	}
	return segment, ""
}
