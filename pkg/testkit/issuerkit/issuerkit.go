// Package issuerkit stands in for the JWT issuer: an ES256 key pair, its
// JWKS, and a minter for tokens carrying the claims pkg/auth reads. It is
// for `make dev` (the dev issuer), `make token` and tests; production uses
// a real issuer.
package issuerkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	DefaultIssuer   = "http://127.0.0.1:3000/dev-issuer"
	DefaultAudience = "gatehouse"
	DefaultTTL      = 12 * time.Hour

	// KeyFile is the name of the PEM (PKCS #8) private key in the key dir.
	KeyFile = "signing-key.pem"
)

// Issuer signs dev tokens with one P-256 key.
type Issuer struct {
	key  *ecdsa.PrivateKey
	kid  string
	jwks []byte
	url  string // iss of tokens whose Claims leave it empty
}

// NewEphemeral returns an Issuer with a fresh in-memory key, for tests.
func NewEphemeral() (*Issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return newIssuer(key)
}

// LoadOrCreate returns the Issuer whose key is stored in dir, creating the
// key (mode 0600, dir 0700) on first use. Concurrent first runs agree on one
// key: it is written to a temporary file and linked into place.
func LoadOrCreate(dir string) (*Issuer, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = create(dir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("issuerkit: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("issuerkit: %s: no PRIVATE KEY PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("issuerkit: %s: %w", path, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("issuerkit: %s: not a P-256 key", path)
	}
	return newIssuer(key)
}

func create(dir, path string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tmp, err := os.CreateTemp(dir, KeyFile+".*") // mode 0600
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	switch err := os.Link(tmp.Name(), path); {
	case errors.Is(err, fs.ErrExist): // another process won the race
		return os.ReadFile(path)
	case err != nil:
		return nil, err
	}
	return b, nil
}

func newIssuer(key *ecdsa.PrivateKey) (*Issuer, error) {
	pub, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	x := base64.RawURLEncoding.EncodeToString(pub[1:33])
	y := base64.RawURLEncoding.EncodeToString(pub[33:])
	// RFC 7638 thumbprint: stable across restarts for the same key.
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	kid := base64.RawURLEncoding.EncodeToString(sum[:])
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "x": x, "y": y,
		"kid": kid, "alg": "ES256", "use": "sig",
	}}})
	if err != nil {
		return nil, err
	}
	return &Issuer{key: key, kid: kid, jwks: jwks, url: DefaultIssuer}, nil
}

// KeyID returns the kid of the signing key.
func (i *Issuer) KeyID() string { return i.kid }

// PublicKey is the verification key, for tests.
func (i *Issuer) PublicKey() *ecdsa.PublicKey { return &i.key.PublicKey }

// URL is the iss of tokens whose Claims leave Issuer empty.
func (i *Issuer) URL() string { return i.url }

// WithURL returns an Issuer with the same key whose tokens default to iss
// url: the dev server on another address is its own issuer.
func (i *Issuer) WithURL(url string) *Issuer {
	c := *i
	c.url = url
	return &c
}

// JWKSHandler serves the public JWK set.
func (i *Issuer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write(i.jwks)
	})
}

// Claims describes a dev token. Zero Issuer, Audience and TTL take the
// defaults (Issuer: the Issuer's URL); a negative TTL mints an already expired token (for tests).
type Claims struct {
	Subject      string
	Tenants      map[string]string // tenant id -> "ADMIN" | "MEMBER"
	Organization string
	RealmRoles   []string
	Name, Email  string
	GivenName    string // given_name
	FamilyName   string // family_name
	Issuer       string
	Audience     string
	TTL          time.Duration
}

type realmAccess struct {
	Roles []string `json:"roles"`
}

// tokenClaims is the payload pkg/auth reads.
type tokenClaims struct {
	jwt.RegisteredClaims
	Tenants      map[string]string `json:"tenants,omitempty"`
	Organization string            `json:"organization,omitempty"`
	RealmAccess  *realmAccess      `json:"realm_access,omitempty"`
	Name         string            `json:"name,omitempty"`
	Email        string            `json:"email,omitempty"`
	GivenName    string            `json:"given_name,omitempty"`
	FamilyName   string            `json:"family_name,omitempty"`
}

// Mint returns a signed ES256 token for c.
func (i *Issuer) Mint(c Claims) (string, error) {
	if c.Subject == "" {
		return "", errors.New("issuerkit: subject is required")
	}
	if c.Issuer == "" {
		c.Issuer = i.url
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	now := time.Now()
	iat := now
	if c.TTL < 0 {
		iat = now.Add(c.TTL - time.Minute) // keep iat before exp
	}
	tc := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    c.Issuer,
			Subject:   c.Subject,
			Audience:  jwt.ClaimStrings{c.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(c.TTL)),
			IssuedAt:  jwt.NewNumericDate(iat),
		},
		Tenants:      c.Tenants,
		Organization: c.Organization,
		Name:         c.Name,
		Email:        c.Email,
		GivenName:    c.GivenName,
		FamilyName:   c.FamilyName,
	}
	if len(c.RealmRoles) > 0 {
		tc.RealmAccess = &realmAccess{Roles: c.RealmRoles}
	}
	return i.sign(tc)
}

func (i *Issuer) sign(c jwt.Claims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	tok.Header["kid"] = i.kid
	return tok.SignedString(i.key)
}
