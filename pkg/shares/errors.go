package shares

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// Error codes of the shares envelope. The first seven are the docs'; the
// others cover the statuses the docs do not show.
const (
	CodeBadRequest           = "BadRequest"
	CodeUnsupportedMediaType = "UnsupportedMediaType"
	CodeUnauthorized         = "Unauthorized"
	CodeNoPermission         = "NoPermission"
	CodeNotFound             = "NotFound"
	CodeConflict             = "Conflict"
	CodeUnprocessableEntity  = "UnprocessableEntity"
	CodeInternal             = "InternalServerError"
	CodeBadGateway           = "BadGateway"
	CodeServiceUnavailable   = "ServiceUnavailable"
)

// statuses and messages of the codes; a message never carries detail of
// the case at hand (that goes into extension or the log).
var codes = map[string]struct {
	status  int
	message string
}{
	CodeBadRequest:           {http.StatusBadRequest, "The request payload is invalid."},
	CodeUnauthorized:         {http.StatusUnauthorized, "Authentication is required to access this resource."},
	CodeNoPermission:         {http.StatusForbidden, "You do not have permission to access this resource."},
	CodeNotFound:             {http.StatusNotFound, "The requested resource was not found."},
	CodeConflict:             {http.StatusConflict, "A conflict occurred due to duplicate data or resource state issues."},
	CodeUnsupportedMediaType: {http.StatusUnsupportedMediaType, "The request content type is not supported."},
	CodeUnprocessableEntity:  {http.StatusUnprocessableEntity, "Operation not allowed for this entity type."},
	CodeInternal:             {http.StatusInternalServerError, "An unexpected error occurred. See logs for further details or create a support ticket."},
	CodeBadGateway:           {http.StatusBadGateway, "An upstream service failed. Nothing was changed; retry the request."},
	CodeServiceUnavailable:   {http.StatusServiceUnavailable, "The service is temporarily unavailable. Retry the request later."},
}

// Error is an error of the shares API: Code and Extension reach the
// client, Cause only the log.
type Error struct {
	Code      string
	Extension map[string]any
	Cause     error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s %v: %v", e.Code, e.Extension, e.Cause)
	}
	return fmt.Sprintf("%s %v", e.Code, e.Extension)
}

func (e *Error) Unwrap() error { return e.Cause }

// Status is the HTTP status of the error's code.
func (e *Error) Status() int {
	if c, ok := codes[e.Code]; ok {
		return c.status
	}
	return http.StatusInternalServerError
}

// fail returns an Error with code; kv are extension members as key, value
// pairs.
func fail(code string, kv ...any) *Error {
	e := &Error{Code: code, Extension: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Extension[kv[i].(string)] = kv[i+1]
	}
	return e
}

// failWith is fail with a logged cause.
func failWith(cause error, code string, kv ...any) *Error {
	e := fail(code, kv...)
	e.Cause = cause
	return e
}

// badField is a 400 naming the field at fault.
func badField(field string) *Error { return fail(CodeBadRequest, "field", field) }

// Envelope is the error body: {"errors":[{"errorCode","message","extension"}]}.
type Envelope struct {
	Errors []EnvelopeError `json:"errors"`
}

// EnvelopeError is one entry of an Envelope.
type EnvelopeError struct {
	ErrorCode string         `json:"errorCode"`
	Message   string         `json:"message"`
	Extension map[string]any `json:"extension"`
}

// The InternalServerError message of the document pages; the share pages
// use the one in codes.
const documentsInternalMessage = "An unexpected internal server error occurred."

// Render writes errors in the shares envelope. It is every share route's
// Renderer, so authentication failures, oversize bodies, refused content
// types and unmatched paths come out in the envelope too. Only *Error
// codes and extensions reach the client; causes and unknown errors are
// logged.
func Render(log *slog.Logger) httpapi.Renderer { return render(log, codes[CodeInternal].message) }

// RenderDocuments is Render with the document pages' InternalServerError
// message: every document route's Renderer.
func RenderDocuments(log *slog.Logger) httpapi.Renderer { return render(log, documentsInternalMessage) }

func render(log *slog.Logger, internal string) httpapi.Renderer {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		e := classify(err)
		status := e.Status()
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status, "err", err}
		if status >= 500 {
			log.ErrorContext(r.Context(), "request failed", attrs...)
		} else {
			log.InfoContext(r.Context(), "request refused", attrs...)
		}
		ext := e.Extension
		if ext == nil {
			ext = map[string]any{}
		}
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		msg := codes[e.Code].message
		if e.Code == CodeInternal {
			msg = internal
		}
		_ = json.NewEncoder(w).Encode(Envelope{Errors: []EnvelopeError{{ErrorCode: e.Code, Message: msg, Extension: ext}}})
	}
}

// classify maps any error to an *Error a client may see.
func classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if _, ok := codes[e.Code]; ok {
			return e
		}
		return fail(CodeInternal)
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fail(CodeBadRequest)
	case errors.Is(err, auth.ErrUnauthenticated):
		return fail(CodeUnauthorized)
	case errors.Is(err, auth.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return fail(CodeServiceUnavailable)
	}
	// Problems come from shared helpers (httpapi.DecodeJSON, unmatched
	// paths); keep their status, drop their wording.
	if p, ok := problem.As(err); ok {
		switch p.Status {
		case http.StatusBadRequest:
			return fail(CodeBadRequest)
		case http.StatusUnauthorized:
			return fail(CodeUnauthorized)
		case http.StatusForbidden:
			return fail(CodeNoPermission)
		case http.StatusNotFound:
			return fail(CodeNotFound)
		case http.StatusConflict:
			return fail(CodeConflict)
		case http.StatusUnsupportedMediaType:
			return fail(CodeUnsupportedMediaType)
		case http.StatusServiceUnavailable:
			return fail(CodeServiceUnavailable)
		}
	}
	return fail(CodeInternal)
}
