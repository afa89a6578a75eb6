package httpapi

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// RequestMeta is what an audit entry records of the HTTP request that
// caused a change.
type RequestMeta struct {
	RequestID string
	SourceIP  string
	UserAgent string
	// AuditRetention is how long audit entries written for this request
	// are kept (Server.AuditRetention); 0 means the audit default.
	AuditRetention time.Duration
}

type requestMetaKey struct{}
type requestIDKey struct{}

// WithRequestID records the gateway's request id (lambdahttp) for the
// request the context will serve.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// WithRequestMeta returns ctx carrying m.
func WithRequestMeta(ctx context.Context, m RequestMeta) context.Context {
	return context.WithValue(ctx, requestMetaKey{}, m)
}

// RequestMetaFrom returns the request metadata in ctx (zero outside a
// request: sweeps, the dispatcher).
func RequestMetaFrom(ctx context.Context) (RequestMeta, bool) {
	m, ok := ctx.Value(requestMetaKey{}).(RequestMeta)
	return m, ok
}

// requestMeta reads r's metadata: the gateway's request id when the
// Lambda adapter set it, else the client's X-Request-Id, else a new one.
func requestMeta(r *http.Request, retention time.Duration) RequestMeta {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	if id == "" {
		id = r.Header.Get("X-Request-Id")
	}
	if id == "" || len(id) > 200 {
		id = uuid.NewString()
	}
	ip := r.RemoteAddr
	// The dev server's RemoteAddr has a port; API Gateway's source IP has none.
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return RequestMeta{RequestID: id, SourceIP: ip, UserAgent: ua, AuditRetention: retention}
}
