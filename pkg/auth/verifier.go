package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

var (
	// ErrUnauthenticated means the request carries no acceptable token (401).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrUnavailable means the token could not be checked because the JWKS
	// could not be fetched (503). The request must not proceed.
	ErrUnavailable = errors.New("token verification unavailable")
)

var (
	errHeaderTooLong = errors.New("authorization header too long")
	errScheme        = errors.New("authorization scheme is not Bearer")
	errNoSubject     = errors.New("token has no sub")
)

const (
	// MaxHeaderBytes caps the Authorization header read by Verify; it bounds
	// parsing work on hostile input (CVE-2025-30204 class).
	MaxHeaderBytes = 8 << 10
	// MaxLeeway caps Config.Leeway.
	MaxLeeway = 60 * time.Second

	defaultHTTPTimeout = 3 * time.Second
	// refreshInterval is how old the cached JWKS may get before the next
	// request refetches it (key rotation and revocation).
	refreshInterval = time.Hour
	// unknownKIDEvery rate-limits refetches triggered by an unknown kid, so
	// that forged kids cannot make us hammer the issuer.
	unknownKIDEvery = 30 * time.Second
	// defaultRetryAfter is how long a failed fetch is remembered; during that
	// time requests fail fast instead of each waiting for a timeout.
	defaultRetryAfter = time.Second
)

// Config configures a Verifier.
type Config struct {
	Issuer   string // required value of iss
	Audience string // value that aud must contain
	// JWKSURL is where the signing keys are published. https, or http for
	// loopback hosts only (the dev issuer).
	JWKSURL string
	// Leeway is the clock skew allowed on exp, nbf and iat; capped at
	// MaxLeeway.
	Leeway time.Duration
	// HTTPTimeout bounds each JWKS fetch; default 3 s.
	HTTPTimeout time.Duration
	// HTTPClient fetches the JWKS; default a client with HTTPTimeout.
	HTTPClient *http.Client
}

// Verifier checks bearer tokens. It is safe for concurrent use. The JWKS
// is fetched on first use, never at construction.
type Verifier struct {
	jwksURL     string
	client      *http.Client
	httpTimeout time.Duration
	parser      *jwt.Parser
	unknownKID  *rate.Limiter
	retryAfter  time.Duration

	fetchMu sync.Mutex // serializes JWKS fetches

	mu        sync.Mutex // guards the fields below
	kf        keyfunc.Keyfunc
	fetchedAt time.Time
	failedAt  time.Time
	failErr   error
}

// NewVerifier validates cfg and returns a Verifier. It does no network I/O.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("auth: issuer is required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("auth: audience is required")
	}
	if err := checkJWKSURL(cfg.JWKSURL); err != nil {
		return nil, err
	}
	if cfg.Leeway < 0 || cfg.HTTPTimeout < 0 {
		return nil, errors.New("auth: negative leeway or timeout")
	}
	leeway := min(cfg.Leeway, MaxLeeway)
	timeout := cfg.HTTPTimeout
	if timeout == 0 {
		timeout = defaultHTTPTimeout
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	return &Verifier{
		jwksURL:     cfg.JWKSURL,
		client:      client,
		httpTimeout: timeout,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{"RS256", "ES256"}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(leeway),
			jwt.WithIssuedAt(),
			// Strict base64 closes signature malleability via padding bits.
			jwt.WithStrictDecoding(),
		),
		unknownKID: rate.NewLimiter(rate.Every(unknownKIDEvery), 1),
		retryAfter: defaultRetryAfter,
	}, nil
}

func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("auth: invalid JWKS URL %q", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("auth: JWKS URL %q must be https (http only on loopback)", raw)
}

// tokenClaims is the payload read from a token.
type tokenClaims struct {
	jwt.RegisteredClaims
	// any, so that an odd entry is ignored instead of failing the token.
	Tenants      map[string]any `json:"tenants"`
	Organization string         `json:"organization"`
	RealmAccess  struct {
		Roles []string `json:"roles"`
	} `json:"realm_access"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
}

// Verify checks the raw Authorization header value and returns the caller.
// Errors match ErrUnauthenticated or ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, authorization string) (Principal, error) {
	if len(authorization) > MaxHeaderBytes {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, errHeaderTooLong)
	}
	const scheme = "Bearer "
	if len(authorization) <= len(scheme) || !strings.EqualFold(authorization[:len(scheme)], scheme) {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, errScheme)
	}
	raw := strings.TrimLeft(authorization[len(scheme):], " ")

	kf, err := v.keys()
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}

	// An unknown kid makes jwkset refetch; if that fetch fails, the token is
	// unverifiable rather than forged, so record it for a 503.
	rec := &refreshFailure{}
	ctx = context.WithValue(ctx, refreshFailureKey{}, rec)

	var c tokenClaims
	if _, err := v.parser.ParseWithClaims(raw, &c, kf.KeyfuncCtx(ctx)); err != nil {
		if ferr := rec.get(); ferr != nil {
			return Principal{}, fmt.Errorf("%w: %w", ErrUnavailable, ferr)
		}
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	if c.Subject == "" {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, errNoSubject)
	}
	p := Principal{
		Subject:      c.Subject,
		Tenants:      make(map[string]string, len(c.Tenants)),
		Organization: c.Organization,
		RealmRoles:   c.RealmAccess.Roles,
		Name:         c.Name,
		Email:        c.Email,
		GivenName:    c.GivenName,
		FamilyName:   c.FamilyName,
	}
	for t, r := range c.Tenants {
		if s, ok := r.(string); ok && (s == TenantAdmin || s == TenantMember) {
			p.Tenants[t] = s
		}
	}
	return p, nil
}

// keys returns the cached key source, fetching the JWKS when there is none or
// it is older than refreshInterval. A stale set is kept if a refetch fails.
func (v *Verifier) keys() (keyfunc.Keyfunc, error) {
	kf, ok, err := v.cached()
	if ok || err != nil {
		return kf, err
	}
	if kf != nil {
		// Stale keys: one caller refetches, the others keep going.
		if !v.fetchMu.TryLock() {
			return kf, nil
		}
	} else {
		v.fetchMu.Lock()
	}
	defer v.fetchMu.Unlock()

	// Another caller may have fetched while we waited for fetchMu.
	kf, ok, err = v.cached()
	if ok || err != nil {
		return kf, err
	}
	fresh, err := v.fetch()
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	if err != nil {
		v.failedAt, v.failErr = now, err
		if v.kf != nil {
			return v.kf, nil
		}
		return nil, err
	}
	v.kf, v.fetchedAt, v.failErr = fresh, now, nil
	return fresh, nil
}

// cached reports the key source and whether it can be used as is; err is set
// when there is no key source and a recent fetch failed.
func (v *Verifier) cached() (kf keyfunc.Keyfunc, ok bool, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	if v.kf != nil && now.Sub(v.fetchedAt) < refreshInterval {
		return v.kf, true, nil
	}
	if v.failErr != nil && now.Sub(v.failedAt) < v.retryAfter {
		if v.kf != nil {
			return v.kf, true, nil
		}
		return nil, false, v.failErr
	}
	return v.kf, false, nil
}

// fetch downloads the JWKS once. No RefreshInterval: we refresh lazily from
// keys, so no goroutine outlives a request (Lambda freezes them anyway).
func (v *Verifier) fetch() (keyfunc.Keyfunc, error) {
	store, err := jwkset.NewStorageFromHTTP(v.jwksURL, jwkset.HTTPClientStorageOptions{
		Client:              v.client,
		Ctx:                 context.Background(),
		HTTPTimeout:         v.httpTimeout,
		RefreshErrorHandler: recordRefreshFailure,
	})
	if err != nil {
		return nil, err
	}
	client, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs: map[string]jwkset.Storage{v.jwksURL: store},
		// Also bounds the refetch itself, so it must cover one HTTP fetch;
		// a longer limiter wait fails at once instead of blocking.
		RateLimitWaitMax:  v.httpTimeout,
		RefreshUnknownKID: v.unknownKID,
	})
	if err != nil {
		return nil, err
	}
	return keyfunc.New(keyfunc.Options{Storage: client})
}

type refreshFailureKey struct{}

type refreshFailure struct {
	mu  sync.Mutex
	err error
}

func (r *refreshFailure) get() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func recordRefreshFailure(ctx context.Context, err error) {
	if r, ok := ctx.Value(refreshFailureKey{}).(*refreshFailure); ok {
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
	}
}
