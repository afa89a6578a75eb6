// Package httpapi is the plain net/http layer every Lambda and the dev
// server share: the route type, authentication, body limits, JSON helpers
// and the single place where errors become responses.
package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

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
	// MuxPath, when set, is the ServeMux path registered instead of Path,
	// for API paths the ServeMux refuses side by side because neither is
	// more specific (GET /v1/shares/state/{userId} beside GET
	// /v1/shares/{organizationId}/pending-requests). Routes with the same
	// Method and MuxPath are registered once; a request goes to the first
	// of them, in table order, whose Path matches it segment by segment.
	// Path stays the path API Gateway routes (template.yaml).
	MuxPath string
	// Consumes is the media type a POST, PUT or PATCH body must have
	// (parameters such as charset allowed); "" means application/json and
	// ConsumesAny switches the check off (webhooks parse their own). An
	// empty body passes: the docs send none to verbs like :disable.
	Consumes string
	// MaxBody is the largest body the route accepts; 0 means MaxBody.
	MaxBody int64
}

// ConsumesAny is Route.Consumes for routes that accept any body.
const ConsumesAny = "*/*"

// Authenticator verifies the Authorization header.
type Authenticator interface {
	Verify(ctx context.Context, authorization string) (auth.Principal, error)
}

// Server turns routes into an http.Handler.
type Server struct {
	Auth   Authenticator
	Logger *slog.Logger
	// PublicBase is the configured public base URL (PUBLIC_BASE_URL);
	// empty means each request's own (see PublicBaseURL).
	PublicBase string
	// AuditRetention is how long audit entries are kept (RequestMeta).
	AuditRetention time.Duration
}

// Handler mounts routes on a new ServeMux.
func (s *Server) Handler(routes []Route) http.Handler {
	mux := http.NewServeMux()
	shared := map[string][]Route{}
	var order []string
	for _, rt := range routes {
		if rt.MuxPath == "" {
			mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
			continue
		}
		pattern := rt.Method + " " + rt.MuxPath
		if _, ok := shared[pattern]; !ok {
			order = append(order, pattern)
		}
		shared[pattern] = append(shared[pattern], rt)
	}
	for _, pattern := range order {
		mux.Handle(pattern, s.dispatch(shared[pattern]))
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

// dispatch serves routes registered under one MuxPath: the first whose
// Path matches the request gets it, with its own path values set.
func (s *Server) dispatch(routes []Route) http.Handler {
	handlers := make([]http.Handler, len(routes))
	for i, rt := range routes {
		handlers[i] = s.wrap(rt)
	}
	render := routes[0].Render
	if render == nil {
		render = Problem(s.logger())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i, rt := range routes {
			if vals, ok := matchPath(rt.Path, r.URL.EscapedPath()); ok {
				for k, v := range vals {
					r.SetPathValue(k, v)
				}
				handlers[i].ServeHTTP(w, r)
				return
			}
		}
		render(w, r, problem.NotFound("no route for "+r.Method+" "+r.URL.Path))
	})
}

// matchPath matches an escaped request path against a route path made of
// literal segments and {name} wildcards, returning the unescaped values.
func matchPath(pattern, escaped string) (map[string]string, bool) {
	ps := strings.Split(pattern, "/")
	rs := strings.Split(escaped, "/")
	if len(ps) != len(rs) {
		return nil, false
	}
	vals := map[string]string{}
	for i, p := range ps {
		seg, err := url.PathUnescape(rs[i])
		if err != nil {
			return nil, false
		}
		if name, ok := strings.CutPrefix(p, "{"); ok && strings.HasSuffix(name, "}") {
			if seg == "" {
				return nil, false
			}
			vals[strings.TrimSuffix(name, "}")] = seg
			continue
		}
		if p != seg {
			return nil, false
		}
	}
	return vals, true
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
			limit := rt.MaxBody
			if limit == 0 {
				limit = MaxBody
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		base := s.PublicBase
		if base == "" {
			base = PublicBaseURL(r)
		}
		r = r.WithContext(WithRequestMeta(WithPublicBase(r.Context(), base), requestMeta(r, s.AuditRetention)))
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
		if err := checkMediaType(r, rt.Consumes); err != nil {
			render(w, r, err)
			return
		}
		if err := rt.Handle(w, r); err != nil {
			render(w, r, err)
		}
	})
}

// checkMediaType refuses a POST, PUT or PATCH body whose Content-Type is
// not consumes (default application/json) with 415, before the handler
// reads or writes anything.
func checkMediaType(r *http.Request, consumes string) error {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return nil
	}
	if consumes == ConsumesAny || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	if consumes == "" {
		consumes = "application/json"
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && strings.EqualFold(mt, consumes) {
		return nil
	}
	if ct == "" && r.ContentLength < 0 {
		// A chunked body without a type: it may be empty; peek one byte.
		br := bufio.NewReader(r.Body)
		if _, err := br.Peek(1); err != nil {
			r.Body = io.NopCloser(br)
			return nil
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{br, r.Body}
	}
	return problem.Newf(http.StatusUnsupportedMediaType, "unsupported-media-type", "the request body must be %s, not %q", consumes, ct).With("accepted", consumes)
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
		body := ProblemBody(p, r.URL.Path)
		if p.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(body)
	}
}

// ProblemBody is the RFC 9457 object for p at instance: its extension
// members, then type, title, status and detail.
func ProblemBody(p *problem.Error, instance string) map[string]any {
	body := map[string]any{}
	for k, v := range p.Extra {
		body[k] = v
	}
	body["type"] = problem.TypeBase + p.Type
	body["title"] = p.Title
	body["status"] = p.Status
	body["detail"] = p.Detail
	body["instance"] = instance
	return body
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
