package issuerkit

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultClientID is the console's OpenID Connect client id.
const DefaultClientID = "gatehouse-console"

// User is a demo user the provider's sign-in page offers.
type User struct {
	// Claims are what the user's access token carries; the provider sets
	// Issuer, Audience and TTL.
	Claims Claims
	// AgentRoles and Note are only shown on the sign-in page, e.g.
	// "support-bot: EDITOR" (agent roles are stored, not token claims).
	AgentRoles []string
	Note       string
}

// ProviderConfig configures a Provider.
type ProviderConfig struct {
	// URL is the issuer, e.g. http://127.0.0.1:3000/dev-issuer; the
	// provider serves under its path.
	URL string
	// ClientID is the one client accepted (default DefaultClientID).
	ClientID string
	// RedirectPath is the path redirect_uri and post_logout_redirect_uri
	// must lie under, on the issuer's own host (default "/console/").
	RedirectPath string
	Users        []User
	// AccessTTL is the lifetime of access and ID tokens (default 1h);
	// RefreshTTL that of refresh tokens (default 12h).
	AccessTTL, RefreshTTL time.Duration
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

// Provider is a small OpenID Connect provider for `make dev`: discovery,
// an authorization page where a developer picks a demo user, a token
// endpoint (authorization code with PKCE S256, refresh token) and logout.
// Its state (codes, refresh tokens, sessions) lives in memory: a restart
// signs everyone out.
type Provider struct {
	iss    *Issuer
	cfg    ProviderConfig
	origin string // scheme://host of URL
	prefix string // path of URL
	users  map[string]User
	mux    *http.ServeMux

	mu       sync.Mutex
	codes    map[string]grant // single-use authorization codes
	refresh  map[string]grant // refresh tokens, rotated on use
	sessions map[string]session
}

// grant is what a code or refresh token stands for.
type grant struct {
	sub, clientID, redirectURI, challenge, nonce, scope string
	authTime, expires                                   time.Time
}

type session struct {
	sub      string
	authTime time.Time
}

const (
	codeTTL       = time.Minute
	sessionTTL    = 12 * time.Hour
	sessionCookie = "gatehouse_dev_session"
	maxParam      = 512 // state, nonce, scope
)

// OAuth 2.0 error codes (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6).
const (
	errInvalidRequest       = "invalid_request"
	errInvalidClient        = "invalid_client"
	errInvalidGrant         = "invalid_grant"
	errUnsupportedGrantType = "unsupported_grant_type"
	errUnsupportedResponse  = "unsupported_response_type"
	errInvalidScope         = "invalid_scope"
	errLoginRequired        = "login_required"
)

// NewProvider returns a provider signing with iss.
func NewProvider(iss *Issuer, cfg ProviderConfig) (*Provider, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("issuerkit: issuer URL %q: want http(s)://host[/path]", cfg.URL)
	}
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.RedirectPath == "" {
		cfg.RedirectPath = "/console/"
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = time.Hour
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Provider{
		iss: iss, cfg: cfg, origin: u.Scheme + "://" + u.Host, prefix: strings.TrimSuffix(u.Path, "/"),
		users: map[string]User{}, codes: map[string]grant{}, refresh: map[string]grant{}, sessions: map[string]session{},
	}
	for _, usr := range cfg.Users {
		if usr.Claims.Subject == "" {
			return nil, errors.New("issuerkit: a user without subject")
		}
		p.users[usr.Claims.Subject] = usr
	}
	p.mux = http.NewServeMux()
	p.mux.HandleFunc("GET "+p.prefix+"/.well-known/openid-configuration", p.discovery)
	p.mux.Handle("GET "+p.prefix+"/jwks.json", cors(iss.JWKSHandler()))
	p.mux.HandleFunc("GET "+p.prefix+"/authorize", p.authorize)
	p.mux.HandleFunc("POST "+p.prefix+"/authorize", p.authorize)
	p.mux.HandleFunc("POST "+p.prefix+"/token", p.token)
	p.mux.HandleFunc("GET "+p.prefix+"/logout", p.logout)
	return p, nil
}

// ServeHTTP serves the provider's endpoints under the issuer URL's path.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

// cors lets a console on another origin of the same machine (localhost
// vs 127.0.0.1) read the provider's public documents and tokens.
func cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	base := p.cfg.URL
	doc := map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"jwks_uri":                              base + "/jwks.json",
		"end_session_endpoint":                  base + "/logout",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":      []string{"S256"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"public"},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"prompt_values_supported":               []string{"none", "login"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "given_name",
			"family_name", "email", "tenants", "organization", "realm_access"},
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, doc)
}

// authRequest is a validated authorization request.
type authRequest struct {
	clientID, redirectURI, state, nonce, scope, challenge, prompt string
}

// authError is an error to send back to a valid redirect_uri.
type authError struct{ code, desc string }

var (
	challengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)       // base64url(SHA-256), unpadded
	verifierRE  = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`) // RFC 7636 §4.1
)

// parseAuthRequest checks the request. A bad client_id or redirect_uri
// returns a message for the user (never a redirect: RFC 6749 §4.1.2.1);
// anything else an authError for the client.
func (p *Provider) parseAuthRequest(r *http.Request) (authRequest, string, *authError) {
	f := r.Form
	a := authRequest{
		clientID: f.Get("client_id"), redirectURI: f.Get("redirect_uri"), state: f.Get("state"), nonce: f.Get("nonce"),
		scope: f.Get("scope"), challenge: f.Get("code_challenge"), prompt: f.Get("prompt"),
	}
	if a.clientID != p.cfg.ClientID {
		return a, fmt.Sprintf("Unknown client_id %q: this dev issuer serves only %q.", a.clientID, p.cfg.ClientID), nil
	}
	if !p.ownURI(r, a.redirectURI) {
		return a, fmt.Sprintf("redirect_uri %q is not under this server's %s.", a.redirectURI, p.cfg.RedirectPath), nil
	}
	switch {
	case f.Get("response_type") != "code":
		return a, "", &authError{errUnsupportedResponse, "response_type must be code"}
	case a.state == "" || len(a.state) > maxParam:
		return a, "", &authError{errInvalidRequest, "state is required (at most 512 characters)"}
	case len(a.nonce) > maxParam || len(a.scope) > maxParam:
		return a, "", &authError{errInvalidRequest, "nonce and scope take at most 512 characters"}
	case !slices.Contains(strings.Fields(a.scope), "openid"):
		return a, "", &authError{errInvalidScope, "scope must include openid"}
	case f.Get("code_challenge_method") != "S256" || !challengeRE.MatchString(a.challenge):
		return a, "", &authError{errInvalidRequest, "PKCE is required: code_challenge (43 base64url characters) with code_challenge_method S256"}
	case f.Get("response_mode") != "" && f.Get("response_mode") != "query":
		return a, "", &authError{errInvalidRequest, "response_mode must be query"}
	case a.prompt != "" && a.prompt != "none" && a.prompt != "login":
		return a, "", &authError{errInvalidRequest, "prompt must be none or login"}
	}
	return a, "", nil
}

// ownURI reports whether raw is an absolute URL under RedirectPath on
// this server: the issuer's host or the host the browser called.
func (p *Provider) ownURI(r *http.Request, raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	origin := u.Scheme + "://" + u.Host
	called := "http://" + r.Host
	if r.TLS != nil {
		called = "https://" + r.Host
	}
	if origin != p.origin && origin != called {
		return false
	}
	// No dot segments: /console/../dev-issuer is not under /console/.
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") {
		clean += "/"
	}
	return clean == u.Path && strings.HasPrefix(u.Path, p.cfg.RedirectPath)
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.page(w, http.StatusBadRequest, pageData{Error: "The request could not be read."})
		return
	}
	a, msg, aerr := p.parseAuthRequest(r)
	if msg != "" {
		p.page(w, http.StatusBadRequest, pageData{Error: msg})
		return
	}
	if aerr != nil {
		redirectError(w, r, a, *aerr)
		return
	}
	now := p.cfg.Now()
	if r.Method == http.MethodPost {
		usr, ok := p.users[r.PostForm.Get("user")]
		if !ok {
			p.page(w, http.StatusBadRequest, p.pageFor(a, "Pick one of the users below."))
			return
		}
		s := session{sub: usr.Claims.Subject, authTime: now}
		id := p.putSession(s)
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: p.prefix + "/", HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: int(sessionTTL / time.Second)})
		p.issueCode(w, r, a, s)
		return
	}
	s, ok := p.session(r)
	switch {
	case a.prompt == "none" && ok:
		p.issueCode(w, r, a, s) // silent renewal
	case a.prompt == "none":
		redirectError(w, r, a, authError{errLoginRequired, "no dev session: sign in first"})
	default:
		p.page(w, http.StatusOK, p.pageFor(a, ""))
	}
}

// putGrant stores g under a fresh random key of m after dropping expired
// grants, and returns the key.
func (p *Provider) putGrant(m map[string]grant, g grant) string {
	id, now := randomToken(), p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, old := range m {
		if now.After(old.expires) {
			delete(m, k)
		}
	}
	m[id] = g
	return id
}

// putSession is putGrant for sessions.
func (p *Provider) putSession(s session) string {
	id, now := randomToken(), p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, old := range p.sessions {
		if now.Sub(old.authTime) > sessionTTL {
			delete(p.sessions, k)
		}
	}
	p.sessions[id] = s
	return id
}

// take removes and returns the grant stored under key: codes and refresh
// tokens are single-use.
func (p *Provider) take(m map[string]grant, key string) (grant, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := m[key]
	delete(m, key)
	if !ok || p.cfg.Now().After(g.expires) {
		return grant{}, false
	}
	return g, true
}

func (p *Provider) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[c.Value]
	if !ok || p.cfg.Now().Sub(s.authTime) > sessionTTL {
		return session{}, false
	}
	if _, known := p.users[s.sub]; !known {
		return session{}, false
	}
	return s, true
}

func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, a authRequest, s session) {
	g := grant{sub: s.sub, clientID: a.clientID, redirectURI: a.redirectURI, challenge: a.challenge, nonce: a.nonce,
		scope: a.scope, authTime: s.authTime, expires: p.cfg.Now().Add(codeTTL)}
	code := p.putGrant(p.codes, g)
	redirect(w, r, a.redirectURI, url.Values{"code": {code}, "state": {a.state}})
}

func redirectError(w http.ResponseWriter, r *http.Request, a authRequest, e authError) {
	q := url.Values{"error": {e.code}, "error_description": {e.desc}}
	if a.state != "" {
		q.Set("state", a.state)
	}
	redirect(w, r, a.redirectURI, q)
}

// redirect sends the browser to target with q added to its query; 303 so
// that a form POST becomes a GET.
func redirect(w http.ResponseWriter, r *http.Request, target string, q url.Values) {
	u, _ := url.Parse(target) // checked by ownURI
	merged := u.Query()
	for k, vs := range q {
		merged[k] = vs
	}
	u.RawQuery = merged.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenResponse is RFC 6749 §5.1 plus OIDC's id_token.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
		oauthError(w, http.StatusBadRequest, errInvalidRequest, "the body must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, errInvalidRequest, "the body could not be read")
		return
	}
	f := r.PostForm
	if f.Get("client_id") != p.cfg.ClientID {
		oauthError(w, http.StatusUnauthorized, errInvalidClient, "unknown client_id")
		return
	}
	var g grant
	switch f.Get("grant_type") {
	case "authorization_code":
		var ok bool
		if g, ok = p.take(p.codes, f.Get("code")); !ok {
			oauthError(w, http.StatusBadRequest, errInvalidGrant, "the code is unknown, used or expired")
			return
		}
		if desc := checkCode(g, f); desc != "" {
			oauthError(w, http.StatusBadRequest, errInvalidGrant, desc)
			return
		}
	case "refresh_token":
		var ok bool
		if g, ok = p.take(p.refresh, f.Get("refresh_token")); !ok || g.clientID != f.Get("client_id") {
			oauthError(w, http.StatusBadRequest, errInvalidGrant, "the refresh token is unknown, used or expired")
			return
		}
		g.nonce = "" // a refreshed ID token carries no nonce (OIDC Core §12.2)
	default:
		oauthError(w, http.StatusBadRequest, errUnsupportedGrantType, "grant_type must be authorization_code or refresh_token")
		return
	}
	resp, err := p.tokens(g)
	if errors.Is(err, errUnknownUser) {
		oauthError(w, http.StatusBadRequest, errInvalidGrant, "the user is no longer offered")
		return
	}
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "could not sign the tokens")
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// checkCode checks the token request against the code's grant and
// returns what is wrong, or "".
func checkCode(g grant, f url.Values) string {
	switch {
	case g.clientID != f.Get("client_id"):
		return "the code was issued to another client"
	case g.redirectURI != f.Get("redirect_uri"):
		return "redirect_uri differs from the authorization request's"
	case !verifierRE.MatchString(f.Get("code_verifier")):
		return "code_verifier is required (43-128 characters)"
	}
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
		return "code_verifier does not match the code_challenge"
	}
	return ""
}

var errUnknownUser = errors.New("issuerkit: unknown user")

// idClaims are the ID token's claims (OIDC Core §2).
type idClaims struct {
	jwt.RegisteredClaims
	AuthTime   int64  `json:"auth_time"`
	Nonce      string `json:"nonce,omitempty"`
	AZP        string `json:"azp"`
	Name       string `json:"name,omitempty"`
	GivenName  string `json:"given_name,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	Email      string `json:"email,omitempty"`
}

// tokens mints the access, ID and (rotated) refresh token for g's user.
func (p *Provider) tokens(g grant) (tokenResponse, error) {
	usr, ok := p.users[g.sub]
	if !ok {
		return tokenResponse{}, errUnknownUser
	}
	c := usr.Claims
	c.Issuer, c.Audience, c.TTL = p.cfg.URL, DefaultAudience, p.cfg.AccessTTL
	access, err := p.iss.Mint(c)
	if err != nil {
		return tokenResponse{}, err
	}
	now := p.cfg.Now()
	id, err := p.iss.sign(idClaims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: p.cfg.URL, Subject: c.Subject, Audience: jwt.ClaimStrings{g.clientID},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(p.cfg.AccessTTL))},
		AuthTime: g.authTime.Unix(), Nonce: g.nonce, AZP: g.clientID,
		Name: c.Name, GivenName: c.GivenName, FamilyName: c.FamilyName, Email: c.Email,
	})
	if err != nil {
		return tokenResponse{}, err
	}
	next := g
	next.nonce, next.challenge, next.expires = "", "", now.Add(p.cfg.RefreshTTL)
	refresh := p.putGrant(p.refresh, next)
	return tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(p.cfg.AccessTTL / time.Second),
		RefreshToken: refresh, IDToken: id, Scope: g.scope}, nil
}

// oauthError writes an RFC 6749 §5.2 error.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// logout is the end_session_endpoint: it forgets the session and returns
// to post_logout_redirect_uri when that is under RedirectPath.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		p.mu.Lock()
		delete(p.sessions, c.Value)
		p.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: p.prefix + "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	q := r.URL.Query()
	if target := q.Get("post_logout_redirect_uri"); target != "" && p.ownURI(r, target) {
		extra := url.Values{}
		if st := q.Get("state"); st != "" && len(st) <= maxParam {
			extra.Set("state", st)
		}
		redirect(w, r, target, extra)
		return
	}
	p.page(w, http.StatusOK, pageData{SignedOut: true})
}
