// Package problem carries client-facing API errors (RFC 9457
// application/problem+json) separately from their logged causes.
package problem

import (
	"errors"
	"fmt"
	"net/http"
)

// TypeBase prefixes every problem type URI.
const TypeBase = "https://gatehouse.dev/problems/"

// Error is an error whose Status, Type, Title and Detail may be shown to a
// client. Cause is logged, never rendered.
type Error struct {
	Status int
	Type   string // short slug, rendered as TypeBase+Type
	Title  string
	Detail string
	// Extra members rendered beside the standard ones (RFC 9457 extensions).
	Extra map[string]any
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.Type, e.Detail, e.Cause)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Detail)
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns a problem with the given status, type slug and detail; the
// title is the HTTP status text.
func New(status int, typ, detail string) *Error {
	return &Error{Status: status, Type: typ, Title: http.StatusText(status), Detail: detail}
}

// Newf is New with a formatted detail.
func Newf(status int, typ, format string, args ...any) *Error {
	return New(status, typ, fmt.Sprintf(format, args...))
}

// Wrap returns a problem that logs cause.
func Wrap(cause error, status int, typ, detail string) *Error {
	e := New(status, typ, detail)
	e.Cause = cause
	return e
}

// With adds an extension member.
func (e *Error) With(key string, v any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[key] = v
	return e
}

// Common problems.
func BadRequest(typ, detail string) *Error { return New(http.StatusBadRequest, typ, detail) }
func NotFound(detail string) *Error        { return New(http.StatusNotFound, "not-found", detail) }
func Forbidden(detail string) *Error       { return New(http.StatusForbidden, "forbidden", detail) }
func Conflict(typ, detail string) *Error   { return New(http.StatusConflict, typ, detail) }

// Kind is a sentinel error that carries the problem a client sees for it,
// so that no call site translates it: compare with errors.Is, return it
// (wrapped or not) and the renderer shows its problem.
type Kind struct {
	msg    string
	status int
	typ    string
	detail string
}

// NewKind returns a sentinel whose Error is msg (for logs) and whose
// problem has status, type slug and detail.
func NewKind(msg string, status int, typ, detail string) *Kind {
	return &Kind{msg: msg, status: status, typ: typ, detail: detail}
}

func (k *Kind) Error() string { return k.msg }

// Problem is the problem a client sees.
func (k *Kind) Problem() *Error { return New(k.status, k.typ, k.detail) }

// Carrier is an error that knows the problem a client sees for it.
type Carrier interface {
	error
	Problem() *Error
}

// As reports whether err is or wraps a *Error, or else a Carrier (a Kind,
// or a typed error such as one naming a conflicting resource); the
// returned problem is a fresh value whose Cause is err.
func As(err error) (*Error, bool) {
	var p *Error
	if errors.As(err, &p) {
		cp := *p
		return &cp, true
	}
	var c Carrier
	if errors.As(err, &c) {
		p := c.Problem()
		p.Cause = err
		return p, true
	}
	return nil, false
}
