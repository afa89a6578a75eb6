package issuerkit_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

func newVerifier(t *testing.T, iss *issuerkit.Issuer) *auth.Verifier {
	t.Helper()
	srv := httptest.NewServer(iss.JWKSHandler())
	t.Cleanup(srv.Close)
	v, err := auth.NewVerifier(auth.Config{
		Issuer:   issuerkit.DefaultIssuer,
		Audience: issuerkit.DefaultAudience,
		JWKSURL:  srv.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMintVerifiesWithAuth(t *testing.T) {
	iss, err := issuerkit.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, iss)

	tests := []struct {
		name    string
		claims  issuerkit.Claims
		want    auth.Principal
		wantErr error
	}{
		{
			name:   "minimal",
			claims: issuerkit.Claims{Subject: "alice"},
			want:   auth.Principal{Subject: "alice", Tenants: map[string]string{}},
		},
		{
			name: "all claims",
			claims: issuerkit.Claims{
				Subject: "bob", Tenants: map[string]string{"demo": "ADMIN", "acme": "MEMBER"},
				Organization: "org-1", RealmRoles: []string{"admin", "producer-admin"},
				Name: "Bob", Email: "bob@example.com", TTL: time.Minute,
			},
			want: auth.Principal{
				Subject: "bob", Tenants: map[string]string{"demo": "ADMIN", "acme": "MEMBER"},
				Organization: "org-1", RealmRoles: []string{"admin", "producer-admin"},
				Name: "Bob", Email: "bob@example.com",
			},
		},
		{name: "expired", claims: issuerkit.Claims{Subject: "alice", TTL: -time.Hour}, wantErr: auth.ErrUnauthenticated},
		{name: "other audience", claims: issuerkit.Claims{Subject: "alice", Audience: "account"}, wantErr: auth.ErrUnauthenticated},
		{name: "other issuer", claims: issuerkit.Claims{Subject: "alice", Issuer: "http://127.0.0.1:9/x"}, wantErr: auth.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := iss.Mint(tt.claims)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(context.Background(), "Bearer "+tok)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Verify() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMintRequiresSubject(t *testing.T) {
	iss, err := issuerkit.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := iss.Mint(issuerkit.Claims{}); err == nil {
		t.Errorf("Mint(no subject) = %q, want error", tok)
	}
}

func TestOtherIssuerKeyRejected(t *testing.T) {
	served, err := issuerkit.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	other, err := issuerkit.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, served)
	tok, err := other.Mint(issuerkit.Claims{Subject: "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), "Bearer "+tok); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Verify(token of another key) error = %v, want %v", err, auth.ErrUnauthenticated)
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "jwt")
	first, err := issuerkit.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, issuerkit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("key file mode = %v, want %v", got, want)
	}
	second, err := issuerkit.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := second.KeyID(), first.KeyID(); got != want {
		t.Errorf("reloaded KeyID = %q, want %q", got, want)
	}
	// A token minted before a restart verifies against the JWKS served after.
	tok, err := first.Mint(issuerkit.Claims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newVerifier(t, second).Verify(context.Background(), "Bearer "+tok); err != nil {
		t.Errorf("Verify(token from first run) error = %v, want nil", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("key dir holds %d entries, want 1 (temporary files left behind?)", len(entries))
	}
}

func TestLoadOrCreateConcurrentFirstRun(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	kids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			iss, err := issuerkit.LoadOrCreate(dir)
			errs[i] = err
			if err == nil {
				kids[i] = iss.KeyID()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreate #%d: %v", i, errs[i])
		}
		if kids[i] != kids[0] {
			t.Errorf("LoadOrCreate #%d KeyID = %q, want %q", i, kids[i], kids[0])
		}
	}
}

func TestLoadOrCreateBadFile(t *testing.T) {
	tests := []struct {
		name, content string
	}{
		{"not PEM", "hello"},
		{"wrong block", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
		{"bad DER", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, issuerkit.KeyFile), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := issuerkit.LoadOrCreate(dir); err == nil {
				t.Error("LoadOrCreate() error = nil, want error")
			}
		})
	}
}

func TestJWKSHandler(t *testing.T) {
	iss, err := issuerkit.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	h := iss.JWKSHandler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/jwks", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET status = %d, want 200", rec.Code)
	}
	if got, want := rec.Header().Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("got %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	for _, f := range []struct{ field, want string }{
		{"kid", iss.KeyID()}, {"alg", "ES256"}, {"use", "sig"}, {"kty", "EC"}, {"crv", "P-256"}, {"d", ""},
	} {
		if got := k[f.field]; got != f.want {
			t.Errorf("key %s = %q, want %q", f.field, got, f.want)
		}
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/jwks", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST status = %d, want 405", rec.Code)
	}
}
