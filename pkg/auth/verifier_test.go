package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://issuer.test/realms/gatehouse"
	testAudience = "gatehouse"
	rsaKID       = "rsa-1"
	ecKID        = "ec-1"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
	evilKey  *ecdsa.PrivateKey
)

func testKeys(tb testing.TB) {
	tb.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if evilKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

// jwksServer serves the public RSA and EC keys on 127.0.0.1 and counts
// fetches; status other than 200 makes it answer that status.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int32
	status  atomic.Int32
}

func newJWKSServer(tb testing.TB) *jwksServer {
	tb.Helper()
	testKeys(tb)
	store := jwkset.NewMemoryStorage()
	for _, k := range []struct {
		pub any
		kid string
		alg jwkset.ALG
	}{
		{&rsaKey.PublicKey, rsaKID, jwkset.AlgRS256},
		{&ecKey.PublicKey, ecKID, jwkset.AlgES256},
	} {
		jwk, err := jwkset.NewJWKFromKey(k.pub, jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: k.alg, USE: jwkset.UseSig},
		})
		if err != nil {
			tb.Fatal(err)
		}
		if err := store.KeyWrite(context.Background(), jwk); err != nil {
			tb.Fatal(err)
		}
	}
	body, err := store.JSONPublic(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	s := &jwksServer{}
	s.status.Store(http.StatusOK)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		if st := int(s.status.Load()); st != http.StatusOK {
			http.Error(w, "boom", st)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	tb.Cleanup(s.Close)
	return s
}

func newTestVerifier(tb testing.TB, jwksURL string) *Verifier {
	tb.Helper()
	v, err := NewVerifier(Config{
		Issuer:      testIssuer,
		Audience:    testAudience,
		JWKSURL:     jwksURL,
		Leeway:      30 * time.Second,
		HTTPTimeout: 2 * time.Second,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func validClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss":          testIssuer,
		"aud":          testAudience,
		"sub":          "alice",
		"exp":          now.Add(time.Hour).Unix(),
		"iat":          now.Unix(),
		"tenants":      map[string]any{"demo": "ADMIN", "other": "MEMBER", "odd": "OWNER", "num": 5},
		"organization": "org-1",
		"realm_access": map[string]any{"roles": []string{"admin", "producer-admin"}},
		"name":         "Alice",
		"email":        "alice@example.com",
	}
}

func with(c jwt.MapClaims, edit func(jwt.MapClaims)) jwt.MapClaims {
	edit(c)
	return c
}

func sign(tb testing.TB, m jwt.SigningMethod, key any, kid string, c jwt.Claims, hdr map[string]any) string {
	tb.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	for k, v := range hdr {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func b64(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// flip changes one character in the middle of segment seg of a JWT.
func flip(tok string, seg int) string {
	parts := strings.Split(tok, ".")
	b := []byte(parts[seg])
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	parts[seg] = string(b)
	return strings.Join(parts, ".")
}

func TestVerify(t *testing.T) {
	srv := newJWKSServer(t)
	v := newTestVerifier(t, srv.URL)
	now := time.Now()

	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustMarshalPKIX(t, &rsaKey.PublicKey)})
	wantAlice := Principal{
		Subject:      "alice",
		Tenants:      map[string]string{"demo": "ADMIN", "other": "MEMBER"},
		Organization: "org-1",
		RealmRoles:   []string{"admin", "producer-admin"},
		Name:         "Alice",
		Email:        "alice@example.com",
	}
	validES := sign(t, jwt.SigningMethodES256, ecKey, ecKID, validClaims(), nil)
	// Payload says ADMIN of "victim", signature is from the original.
	escalated := func() string {
		p := strings.Split(validES, ".")
		p[1] = b64(t, with(validClaims(), func(c jwt.MapClaims) { c["tenants"] = map[string]any{"victim": "ADMIN"} }))
		return strings.Join(p, ".")
	}()

	tests := []struct {
		name      string
		header    string
		want      Principal
		wantErr   error // nil means success
		wantCause error // further error in the chain, when set
	}{
		{name: "RS256 valid", header: "Bearer " + sign(t, jwt.SigningMethodRS256, rsaKey, rsaKID, validClaims(), nil), want: wantAlice},
		{name: "ES256 valid", header: "Bearer " + validES, want: wantAlice},
		{name: "scheme is case-insensitive", header: "bearer " + validES, want: wantAlice},
		{
			name:   "expired within leeway",
			header: "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() }), nil),
			want:   wantAlice,
		},
		{
			name:      "alg none",
			header:    "Bearer " + b64(t, map[string]any{"alg": "none", "typ": "JWT", "kid": ecKID}) + "." + b64(t, validClaims()) + ".",
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenSignatureInvalid,
		},
		{
			name:      "HS256 keyed with the RSA public key (key confusion)",
			header:    "Bearer " + sign(t, jwt.SigningMethodHS256, rsaPubPEM, rsaKID, validClaims(), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenSignatureInvalid,
		},
		{
			name:      "ES256 header with the RSA key's kid",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, rsaKID, validClaims(), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenUnverifiable,
		},
		{
			name:      "wrong iss",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) { c["iss"] = "https://evil.test" }), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenInvalidIssuer,
		},
		{
			name:      "wrong aud",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) { c["aud"] = []string{"account", "other"} }), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenInvalidAudience,
		},
		{
			name:      "missing aud",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) { delete(c, "aud") }), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenRequiredClaimMissing,
		},
		{
			name:      "expired beyond leeway",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() }), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenExpired,
		},
		{
			name:      "missing exp",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) { delete(c, "exp") }), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenRequiredClaimMissing,
		},
		{
			name:      "not yet valid",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) { c["nbf"] = now.Add(10 * time.Minute).Unix() }), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenNotValidYet,
		},
		{
			name:      "issued in the future",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) { c["iat"] = now.Add(10 * time.Minute).Unix() }), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenUsedBeforeIssued,
		},
		{
			name:      "missing sub",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) { delete(c, "sub") }), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: errNoSubject,
		},
		{
			name:      "unknown kid",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, "rotated-away", validClaims(), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwkset.ErrKeyNotFound,
		},
		{
			name: "attacker key offered in jwk and jku headers",
			header: "Bearer " + sign(t, jwt.SigningMethodES256, evilKey, "evil", validClaims(), map[string]any{
				"jwk": map[string]any{"kty": "EC", "crv": "P-256", "kid": "evil",
					"x": base64.RawURLEncoding.EncodeToString(evilKey.X.FillBytes(make([]byte, 32))),
					"y": base64.RawURLEncoding.EncodeToString(evilKey.Y.FillBytes(make([]byte, 32)))},
				"jku": srv.URL + "/evil",
				"x5u": srv.URL + "/evil.pem",
			}),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenUnverifiable,
		},
		{
			name:      "attacker key under a known kid",
			header:    "Bearer " + sign(t, jwt.SigningMethodES256, evilKey, ecKID, validClaims(), nil),
			wantErr:   ErrUnauthenticated,
			wantCause: jwt.ErrTokenSignatureInvalid,
		},
		{name: "tampered signature", header: "Bearer " + flip(validES, 2), wantErr: ErrUnauthenticated, wantCause: jwt.ErrTokenSignatureInvalid},
		{name: "tampered payload", header: "Bearer " + escalated, wantErr: ErrUnauthenticated, wantCause: jwt.ErrTokenSignatureInvalid},
		{name: "oversize header", header: "Bearer " + validES + strings.Repeat("A", MaxHeaderBytes), wantErr: ErrUnauthenticated, wantCause: errHeaderTooLong},
		{name: "many dots", header: "Bearer " + strings.Repeat(".", MaxHeaderBytes-10), wantErr: ErrUnauthenticated, wantCause: jwt.ErrTokenMalformed},
		{name: "empty header", header: "", wantErr: ErrUnauthenticated, wantCause: errScheme},
		{name: "scheme only", header: "Bearer ", wantErr: ErrUnauthenticated, wantCause: errScheme},
		{name: "no space", header: "Bearer" + validES, wantErr: ErrUnauthenticated, wantCause: errScheme},
		{name: "Basic scheme", header: "Basic YWxpY2U6c2VjcmV0", wantErr: ErrUnauthenticated, wantCause: errScheme},
		{name: "bare token", header: validES, wantErr: ErrUnauthenticated, wantCause: errScheme},
		{name: "garbage token", header: "Bearer not-a-jwt", wantErr: ErrUnauthenticated, wantCause: jwt.ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.header)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify() error = %v, want nil", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("Verify() = %+v, want %+v", got, tt.want)
				}
				return
			}
			t.Logf("Verify() error = %v", err)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("Verify() error = %v, want cause %v", err, tt.wantCause)
			}
			if !reflect.DeepEqual(got, Principal{}) {
				t.Errorf("Verify() returned principal %+v with an error", got)
			}
		})
	}
}

func mustMarshalPKIX(tb testing.TB, pub any) []byte {
	tb.Helper()
	b, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestVerifyUnknownKIDRefetchesRateLimited(t *testing.T) {
	srv := newJWKSServer(t)
	v := newTestVerifier(t, srv.URL)
	ctx := context.Background()
	unknown := "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, "new-kid", validClaims(), nil)

	steps := []struct {
		name        string
		header      string
		wantErr     error
		wantFetches int32
	}{
		{"known kid fetches once", "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, validClaims(), nil), nil, 1},
		{"unknown kid refetches", unknown, ErrUnauthenticated, 2},
		{"unknown kid again is rate-limited", unknown, ErrUnauthenticated, 2},
	}
	for _, s := range steps {
		start := time.Now()
		_, err := v.Verify(ctx, s.header)
		if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
			t.Errorf("%s: Verify() error = %v, want %v", s.name, err, s.wantErr)
		}
		if got := srv.fetches.Load(); got != s.wantFetches {
			t.Errorf("%s: JWKS fetches = %d, want %d", s.name, got, s.wantFetches)
		}
		// A rate-limited refetch must fail at once, not wait for the limiter.
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v", s.name, d)
		}
	}
}

func TestVerifyJWKSUnavailableFailsClosed(t *testing.T) {
	testKeys(t)
	token := "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, validClaims(), nil)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }))
	t.Cleanup(garbage.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	failing := newJWKSServer(t)
	failing.status.Store(http.StatusInternalServerError)
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hanging.Close)

	tests := []struct {
		name string
		url  string
	}{
		{"server down", down.URL},
		{"status 500", failing.URL},
		{"not JSON", garbage.URL},
		{"times out", hanging.URL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: tt.url, HTTPTimeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 { // the second call hits the remembered failure
				got, err := v.Verify(context.Background(), token)
				if !errors.Is(err, ErrUnavailable) {
					t.Errorf("call %d: Verify() error = %v, want %v", i, err, ErrUnavailable)
				}
				if !reflect.DeepEqual(got, Principal{}) {
					t.Errorf("call %d: Verify() = %+v, want zero Principal", i, got)
				}
			}
		})
	}
}

func TestVerifyRecoversAfterOutage(t *testing.T) {
	srv := newJWKSServer(t)
	srv.status.Store(http.StatusInternalServerError)
	v := newTestVerifier(t, srv.URL)
	v.retryAfter = time.Hour
	token := "Bearer " + sign(t, jwt.SigningMethodES256, ecKey, ecKID, validClaims(), nil)
	ctx := context.Background()

	if _, err := v.Verify(ctx, token); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("during outage: Verify() error = %v, want %v", err, ErrUnavailable)
	}
	srv.status.Store(http.StatusOK)
	if _, err := v.Verify(ctx, token); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("within retryAfter: Verify() error = %v, want %v", err, ErrUnavailable)
	}
	if got, want := srv.fetches.Load(), int32(1); got != want {
		t.Fatalf("fetches within retryAfter = %d, want %d", got, want)
	}
	v.mu.Lock()
	v.retryAfter = 0
	v.mu.Unlock()
	if _, err := v.Verify(ctx, token); err != nil {
		t.Fatalf("after recovery: Verify() error = %v, want nil", err)
	}
}

func TestVerifyUnknownKIDDuringOutage(t *testing.T) {
	srv := newJWKSServer(t)
	v := newTestVerifier(t, srv.URL)
	ctx := context.Background()
	if _, err := v.Verify(ctx, "Bearer "+sign(t, jwt.SigningMethodES256, ecKey, ecKID, validClaims(), nil)); err != nil {
		t.Fatal(err)
	}
	srv.status.Store(http.StatusInternalServerError)

	_, err := v.Verify(ctx, "Bearer "+sign(t, jwt.SigningMethodES256, ecKey, "new-kid", validClaims(), nil))
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("unknown kid, JWKS down: Verify() error = %v, want %v", err, ErrUnavailable)
	}
	// Known keys stay usable while the issuer is down.
	if _, err := v.Verify(ctx, "Bearer "+sign(t, jwt.SigningMethodES256, ecKey, ecKID, validClaims(), nil)); err != nil {
		t.Errorf("known kid, JWKS down: Verify() error = %v, want nil", err)
	}
}

func TestNewVerifier(t *testing.T) {
	srv := newJWKSServer(t)
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"ok", Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL}, false},
		{"https", Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: "https://id.example.com/certs"}, false},
		{"http localhost", Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: "http://localhost:3000/jwks"}, false},
		{"no issuer", Config{Audience: testAudience, JWKSURL: srv.URL}, true},
		{"no audience", Config{Issuer: testIssuer, JWKSURL: srv.URL}, true},
		{"no JWKS URL", Config{Issuer: testIssuer, Audience: testAudience}, true},
		{"relative JWKS URL", Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: "/jwks"}, true},
		{"plain http off loopback", Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: "http://id.example.com/certs"}, true},
		{"file URL", Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: "file:///etc/jwks"}, true},
		{"negative leeway", Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL, Leeway: -time.Second}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(tt.cfg)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("NewVerifier() error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	if got := srv.fetches.Load(); got != 0 {
		t.Errorf("NewVerifier fetched the JWKS %d times, want 0", got)
	}
}

func TestLeewayIsCapped(t *testing.T) {
	srv := newJWKSServer(t)
	v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL, Leeway: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	expired := sign(t, jwt.SigningMethodES256, ecKey, ecKID, with(validClaims(), func(c jwt.MapClaims) {
		c["exp"] = time.Now().Add(-MaxLeeway - 30*time.Second).Unix()
	}), nil)
	if _, err := v.Verify(context.Background(), "Bearer "+expired); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("Verify() error = %v, want %v", err, jwt.ErrTokenExpired)
	}
}

func TestPrincipal(t *testing.T) {
	p := Principal{Subject: "alice", Tenants: map[string]string{"demo": TenantAdmin}, RealmRoles: []string{"admin"}}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"TenantRole member of", roleOK(p.TenantRole("demo")), "ADMIN true"},
		{"TenantRole not member", roleOK(p.TenantRole("acme")), " false"},
		{"HasRealmRole one of", p.HasRealmRole("producer-admin", "admin"), true},
		{"HasRealmRole none", p.HasRealmRole("producer-admin"), false},
		{"HasRealmRole no args", p.HasRealmRole(), false},
		{"zero Principal", roleOK(Principal{}.TenantRole("demo")), " false"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func roleOK(r string, ok bool) string {
	if ok {
		return r + " true"
	}
	return r + " false"
}

func TestContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Error("FromContext(empty) ok = true, want false")
	}
	want := Principal{Subject: "alice"}
	got, ok := FromContext(NewContext(context.Background(), want))
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("FromContext() = %+v, %v, want %+v, true", got, ok, want)
	}
}

func FuzzVerify(f *testing.F) {
	srv := newJWKSServer(f)
	v := newTestVerifier(f, srv.URL)
	valid := map[string]bool{
		sign(f, jwt.SigningMethodES256, ecKey, ecKID, validClaims(), nil):   true,
		sign(f, jwt.SigningMethodRS256, rsaKey, rsaKID, validClaims(), nil): true,
	}
	for tok := range valid {
		f.Add("Bearer " + tok)
		f.Add("Bearer " + flip(tok, 2))
		f.Add("Bearer " + flip(tok, 1))
	}
	f.Add("Bearer " + b64(f, map[string]any{"alg": "none"}) + "." + b64(f, validClaims()) + ".")
	f.Add("Bearer a.b.c")
	f.Add("Bearer ....")
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		p, err := v.Verify(context.Background(), header)
		if err == nil {
			tok := strings.TrimLeft(header[len("Bearer "):], " ")
			if !valid[tok] {
				t.Fatalf("Verify(%q) accepted a token that was never signed: %+v", header, p)
			}
			return
		}
		if !errors.Is(err, ErrUnauthenticated) && !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Verify(%q) error = %v, want a sentinel", header, err)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	srv := newJWKSServer(b)
	v := newTestVerifier(b, srv.URL)
	ctx := context.Background()
	for _, bm := range []struct {
		name   string
		header string
	}{
		{"ES256", "Bearer " + sign(b, jwt.SigningMethodES256, ecKey, ecKID, validClaims(), nil)},
		{"RS256", "Bearer " + sign(b, jwt.SigningMethodRS256, rsaKey, rsaKID, validClaims(), nil)},
	} {
		b.Run(bm.name, func(b *testing.B) {
			if _, err := v.Verify(ctx, bm.header); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, bm.header); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
