package httpapi

import (
	"context"
	"net/http"
	"strings"
)

type publicBaseKey struct{}

// WithPublicBase records the base URL the client called (scheme, host and
// any stage prefix, no trailing slash); pkg/lambdahttp sets it from API
// Gateway's request context.
func WithPublicBase(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, publicBaseKey{}, strings.TrimRight(base, "/"))
}

// PublicBase is the base URL Server.Handler resolved for this request
// (see PublicBaseURL); "" outside a request.
func PublicBase(ctx context.Context) string {
	b, _ := ctx.Value(publicBaseKey{}).(string)
	return b
}

// PublicBaseURL is the API's public base URL for r, the one rule for every
// URL that must be reproduced exactly (webhook URLs, Twilio's signature,
// the Slack OAuth redirect): the configured PUBLIC_BASE_URL (Server.PublicBase)
// when set, else the API Gateway domain and stage the request came through,
// else the request's own scheme and Host (dev server, tests).
func PublicBaseURL(r *http.Request) string {
	if b := PublicBase(r.Context()); b != "" {
		return b
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
