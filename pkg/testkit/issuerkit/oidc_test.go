package issuerkit_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// oidcEnv is a provider on a loopback server and a browser-like client
// (cookie jar, redirects not followed).
type oidcEnv struct {
	t       *testing.T
	iss     *issuerkit.Issuer
	url     string // issuer URL
	console string // redirect_uri
	client  *http.Client
}

var demoUsers = []issuerkit.User{
	{Claims: issuerkit.Claims{Subject: "alice", Tenants: map[string]string{"demo": "ADMIN"}, Name: "Alice Demo",
		GivenName: "Alice", FamilyName: "Demo", Email: "alice@demo.example"}},
	{Claims: issuerkit.Claims{Subject: "carol", Tenants: map[string]string{"demo": "MEMBER"}, Name: "Carol Demo",
		Email: "carol@demo.example"}, AgentRoles: []string{"support-bot: EDITOR"}},
	{Claims: issuerkit.Claims{Subject: "olivia", Organization: "org-demo", RealmRoles: []string{"admin"}, Name: "Olivia Admin"}},
}

func newOIDC(t *testing.T) *oidcEnv {
	t.Helper()
	iss, err := issuerkit.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	p, err := issuerkit.NewProvider(iss, issuerkit.ProviderConfig{URL: base + "/dev-issuer", Users: demoUsers})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = p
	srv.Start()
	t.Cleanup(srv.Close)
	return &oidcEnv{t: t, iss: iss, url: base + "/dev-issuer", console: base + "/console/callback", client: newBrowser(t)}
}

func newBrowser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authParams is a valid authorization request; set overrides, "" deletes.
func (e *oidcEnv) authParams(set map[string]string) url.Values {
	q := url.Values{"client_id": {issuerkit.DefaultClientID}, "redirect_uri": {e.console}, "response_type": {"code"},
		"scope": {"openid profile email"}, "state": {"st-1"}, "nonce": {"n-1"},
		"code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return q
}

func (e *oidcEnv) do(c *http.Client, req *http.Request) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

func (e *oidcEnv) get(c *http.Client, u string) (*http.Response, string) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(c, req)
}

func (e *oidcEnv) postForm(c *http.Client, u string, form url.Values) (*http.Response, string) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(c, req)
}

// signIn picks sub on the sign-in page and returns the redirect's query.
func (e *oidcEnv) signIn(c *http.Client, sub string, set map[string]string) url.Values {
	e.t.Helper()
	form := e.authParams(set)
	form.Set("user", sub)
	resp, body := e.postForm(c, e.url+"/authorize", form)
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in as %s: status %d, want 303: %s", sub, resp.StatusCode, body)
	}
	return e.location(resp)
}

// location returns the query of a redirect to the console.
func (e *oidcEnv) location(resp *http.Response) url.Values {
	e.t.Helper()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != e.console {
		e.t.Fatalf("redirect to %q, want %q", got, e.console)
	}
	return loc.Query()
}

func (e *oidcEnv) exchange(form url.Values) (int, map[string]any) {
	e.t.Helper()
	resp, body := e.postForm(http.DefaultClient, e.url+"/token", form)
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		e.t.Fatalf("token response %d is not JSON: %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		e.t.Errorf("token response Cache-Control = %q, want no-store", got)
	}
	return resp.StatusCode, m
}

func (e *oidcEnv) codeForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {issuerkit.DefaultClientID},
		"redirect_uri": {e.console}, "code_verifier": {verifier}}
}

func TestDiscovery(t *testing.T) {
	e := newOIDC(t)
	resp, body := e.get(http.DefaultClient, e.url+"/.well-known/openid-configuration")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer": e.url, "authorization_endpoint": e.url + "/authorize", "token_endpoint": e.url + "/token",
		"jwks_uri": e.url + "/jwks.json", "end_session_endpoint": e.url + "/logout",
		"response_types_supported":              []any{"code"},
		"grant_types_supported":                 []any{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":      []any{"S256"},
		"id_token_signing_alg_values_supported": []any{"ES256"},
		"subject_types_supported":               []any{"public"},
	}
	for k, v := range want {
		if !reflect.DeepEqual(doc[k], v) {
			t.Errorf("%s = %v, want %v", k, doc[k], v)
		}
	}
	if scopes, _ := doc["scopes_supported"].([]any); len(scopes) == 0 || scopes[0] != "openid" {
		t.Errorf("scopes_supported = %v, want openid first", doc["scopes_supported"])
	}
	resp, _ = e.get(http.DefaultClient, e.url+"/jwks.json")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("jwks status %d", resp.StatusCode)
	}
}

func TestAuthorizeRequest(t *testing.T) {
	e := newOIDC(t)
	tests := []struct {
		name       string
		set        map[string]string
		wantStatus int
		wantError  string // error= on the redirect (303)
		wantBody   string // in the page (200, 400)
	}{
		{name: "valid shows the users", wantStatus: 200, wantBody: "Sign in as alice"},
		{name: "roles shown", wantStatus: 200, wantBody: "support-bot: EDITOR"},
		{name: "organization shown", wantStatus: 200, wantBody: "org-demo"},
		{name: "prompt login shows the page", set: map[string]string{"prompt": "login"}, wantStatus: 200, wantBody: "Sign in as olivia"},
		{name: "unknown client", set: map[string]string{"client_id": "other"}, wantStatus: 400, wantBody: "Unknown client_id"},
		{name: "no client", set: map[string]string{"client_id": ""}, wantStatus: 400, wantBody: "Unknown client_id"},
		{name: "redirect elsewhere", set: map[string]string{"redirect_uri": "http://evil.example/console/"}, wantStatus: 400, wantBody: "not under"},
		{name: "redirect outside console", set: map[string]string{"redirect_uri": strings.Replace(e.console, "/console/callback", "/v1/x", 1)}, wantStatus: 400, wantBody: "not under"},
		{name: "redirect dot segments", set: map[string]string{"redirect_uri": strings.Replace(e.console, "/console/callback", "/console/../dev-issuer/", 1)}, wantStatus: 400, wantBody: "not under"},
		{name: "redirect with fragment", set: map[string]string{"redirect_uri": e.console + "#x"}, wantStatus: 400, wantBody: "not under"},
		{name: "no challenge", set: map[string]string{"code_challenge": ""}, wantStatus: 303, wantError: "invalid_request"},
		{name: "plain method", set: map[string]string{"code_challenge_method": "plain"}, wantStatus: 303, wantError: "invalid_request"},
		{name: "short challenge", set: map[string]string{"code_challenge": "abc"}, wantStatus: 303, wantError: "invalid_request"},
		{name: "implicit", set: map[string]string{"response_type": "token"}, wantStatus: 303, wantError: "unsupported_response_type"},
		{name: "no openid scope", set: map[string]string{"scope": "profile"}, wantStatus: 303, wantError: "invalid_scope"},
		{name: "no state", set: map[string]string{"state": ""}, wantStatus: 303, wantError: "invalid_request"},
		{name: "fragment mode", set: map[string]string{"response_mode": "fragment"}, wantStatus: 303, wantError: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.get(newBrowser(t), e.url+"/authorize?"+e.authParams(tt.set).Encode())
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantError != "" {
				q := e.location(resp)
				if got := q.Get("error"); got != tt.wantError {
					t.Errorf("error = %q, want %q", got, tt.wantError)
				}
				if got, want := q.Get("state"), e.authParams(tt.set).Get("state"); got != want {
					t.Errorf("state = %q, want %q", got, want)
				}
				return
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("page lacks %q:\n%s", tt.wantBody, body)
			}
			if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}

func TestSignInUnknownUser(t *testing.T) {
	e := newOIDC(t)
	form := e.authParams(nil)
	form.Set("user", "mallory")
	resp, body := e.postForm(newBrowser(t), e.url+"/authorize", form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Sign in as alice") {
		t.Errorf("status %d, want 400 with the users again: %s", resp.StatusCode, body)
	}
}

func TestTokenErrors(t *testing.T) {
	e := newOIDC(t)
	tests := []struct {
		name       string
		change     func(f url.Values)
		twice      bool // exchange the same code again: the second answer counts
		wantStatus int
		wantError  string
	}{
		{name: "PKCE mismatch", change: func(f url.Values) { f.Set("code_verifier", strings.Repeat("x", 43)) }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "no verifier", change: func(f url.Values) { f.Del("code_verifier") }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "reused code", twice: true, wantStatus: 400, wantError: "invalid_grant"},
		{name: "wrong redirect_uri", change: func(f url.Values) { f.Set("redirect_uri", e.console+"x") }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "unknown code", change: func(f url.Values) { f.Set("code", "nope") }, wantStatus: 400, wantError: "invalid_grant"},
		{name: "other client", change: func(f url.Values) { f.Set("client_id", "other") }, wantStatus: 401, wantError: "invalid_client"},
		{name: "password grant", change: func(f url.Values) { f.Set("grant_type", "password") }, wantStatus: 400, wantError: "unsupported_grant_type"},
		{name: "valid", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := e.signIn(newBrowser(t), "carol", nil).Get("code")
			form := e.codeForm(code)
			if tt.change != nil {
				tt.change(form)
			}
			status, body := e.exchange(form)
			if tt.twice {
				status, body = e.exchange(form)
			}
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %v", status, tt.wantStatus, body)
			}
			if tt.wantError != "" && body["error"] != tt.wantError {
				t.Errorf("error = %v, want %q", body["error"], tt.wantError)
			}
			if tt.wantError == "" && body["access_token"] == nil {
				t.Errorf("no access_token: %v", body)
			}
		})
	}
}

// A failed exchange spends the code: it cannot be retried with the right
// verifier.
func TestCodeSpentByFailedExchange(t *testing.T) {
	e := newOIDC(t)
	form := e.codeForm(e.signIn(newBrowser(t), "carol", nil).Get("code"))
	bad := e.codeForm(form.Get("code"))
	bad.Set("code_verifier", strings.Repeat("y", 43))
	if status, _ := e.exchange(bad); status != 400 {
		t.Fatalf("bad verifier status %d, want 400", status)
	}
	if status, body := e.exchange(form); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("retry = %d %v, want 400 invalid_grant", status, body)
	}
}

func TestPromptNone(t *testing.T) {
	e := newOIDC(t)
	signedIn := newBrowser(t)
	e.signIn(signedIn, "carol", nil)
	loggedOut := newBrowser(t)
	e.signIn(loggedOut, "carol", nil)
	if resp, _ := e.get(loggedOut, e.url+"/logout"); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout status %d", resp.StatusCode)
	}
	tests := []struct {
		name      string
		browser   *http.Client
		wantError string // "" = a code
	}{
		{name: "with session", browser: signedIn},
		{name: "without session", browser: newBrowser(t), wantError: "login_required"},
		{name: "after logout", browser: loggedOut, wantError: "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.get(tt.browser, e.url+"/authorize?"+e.authParams(map[string]string{"prompt": "none", "state": "silent"}).Encode())
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d, want 303: %s", resp.StatusCode, body)
			}
			q := e.location(resp)
			if q.Get("state") != "silent" || q.Get("error") != tt.wantError || (tt.wantError == "") != (q.Get("code") != "") {
				t.Fatalf("redirect query %v, want state silent, error %q", q, tt.wantError)
			}
			if tt.wantError != "" {
				return
			}
			if status, body := e.exchange(e.codeForm(q.Get("code"))); status != 200 {
				t.Errorf("silent code exchange %d: %v", status, body)
			}
		})
	}
}

// Refresh tokens rotate: each step uses the token the step named by use
// returned (0 = the code exchange's).
func TestRefresh(t *testing.T) {
	e := newOIDC(t)
	status, first := e.exchange(e.codeForm(e.signIn(newBrowser(t), "alice", nil).Get("code")))
	if status != 200 {
		t.Fatalf("exchange %d: %v", status, first)
	}
	answers := []map[string]any{first}
	steps := []struct {
		name       string
		use        int
		client     string
		wantStatus int
		wantError  string
	}{
		{name: "refresh", use: 0, client: issuerkit.DefaultClientID, wantStatus: 200},
		{name: "rotated token reused", use: 0, client: issuerkit.DefaultClientID, wantStatus: 400, wantError: "invalid_grant"},
		{name: "other client", use: 1, client: "other", wantStatus: 401, wantError: "invalid_client"},
		{name: "refresh again", use: 1, client: issuerkit.DefaultClientID, wantStatus: 200},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.exchange(url.Values{"grant_type": {"refresh_token"},
				"refresh_token": {answers[tt.use]["refresh_token"].(string)}, "client_id": {tt.client}})
			if status != tt.wantStatus || (tt.wantError != "" && body["error"] != tt.wantError) {
				t.Fatalf("got %d %v, want %d %q", status, body, tt.wantStatus, tt.wantError)
			}
			if tt.wantError != "" {
				return
			}
			answers = append(answers, body)
			if body["refresh_token"] == answers[tt.use]["refresh_token"] {
				t.Errorf("refresh token not rotated")
			}
			claims := parseUnverified(t, body["id_token"].(string))
			if _, ok := claims["nonce"]; ok || claims["sub"] != "alice" {
				t.Errorf("refreshed id_token claims %v, want sub alice and no nonce", claims)
			}
			if parseUnverified(t, body["access_token"].(string))["tenants"] == nil {
				t.Errorf("refreshed access token lacks tenants")
			}
		})
	}
}

func parseUnverified(t *testing.T, tok string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// The whole flow as the console runs it; the access token passes the
// API's verifier with the claims `make token` would give the user.
func TestFullFlowTokenAccepted(t *testing.T) {
	e := newOIDC(t)
	browser := newBrowser(t)
	resp, page := e.get(browser, e.url+"/authorize?"+e.authParams(nil).Encode())
	if resp.StatusCode != 200 || !strings.Contains(page, "Sign in as carol") {
		t.Fatalf("authorize page %d: %s", resp.StatusCode, page)
	}
	q := e.signIn(browser, "carol", nil)
	if q.Get("state") != "st-1" {
		t.Errorf("state = %q, want st-1", q.Get("state"))
	}
	status, body := e.exchange(e.codeForm(q.Get("code")))
	if status != 200 {
		t.Fatalf("exchange %d: %v", status, body)
	}
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) || body["refresh_token"] == "" {
		t.Errorf("token response %v", body)
	}

	v, err := auth.NewVerifier(auth.Config{Issuer: e.url, Audience: issuerkit.DefaultAudience, JWKSURL: e.url + "/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(context.Background(), "Bearer "+body["access_token"].(string))
	if err != nil {
		t.Fatalf("API verifier refused the access token: %v", err)
	}
	want := auth.Principal{Subject: "carol", Tenants: map[string]string{"demo": "MEMBER"}, Name: "Carol Demo", Email: "carol@demo.example"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("principal = %+v, want %+v", got, want)
	}

	id := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(body["id_token"].(string), id, func(*jwt.Token) (any, error) {
		return e.iss.PublicKey(), nil
	}, jwt.WithIssuer(e.url), jwt.WithAudience(issuerkit.DefaultClientID), jwt.WithValidMethods([]string{"ES256"}))
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	if id["nonce"] != "n-1" || id["sub"] != "carol" || id["name"] != "Carol Demo" {
		t.Errorf("id_token claims %v", id)
	}
}

func TestLogoutRedirect(t *testing.T) {
	e := newOIDC(t)
	tests := []struct {
		name     string
		target   string
		wantCode int
	}{
		{name: "under console", target: e.console, wantCode: http.StatusSeeOther},
		{name: "elsewhere", target: "http://evil.example/console/", wantCode: http.StatusOK},
		{name: "none", wantCode: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"state": {"bye"}}
			if tt.target != "" {
				q.Set("post_logout_redirect_uri", tt.target)
			}
			resp, body := e.get(newBrowser(t), e.url+"/logout?"+q.Encode())
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, body)
			}
			if tt.wantCode == http.StatusSeeOther && e.location(resp).Get("state") != "bye" {
				t.Errorf("state not returned: %s", resp.Header.Get("Location"))
			}
			if tt.wantCode == http.StatusOK && !strings.Contains(body, "Signed out") {
				t.Errorf("page lacks Signed out: %s", body)
			}
		})
	}
}

func TestWithURL(t *testing.T) {
	iss, err := issuerkit.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		iss  *issuerkit.Issuer
		want string
	}{
		{name: "default", iss: iss, want: issuerkit.DefaultIssuer},
		{name: "other address", iss: iss.WithURL("http://127.0.0.1:4567/dev-issuer"), want: "http://127.0.0.1:4567/dev-issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := tt.iss.Mint(issuerkit.Claims{Subject: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			if got := parseUnverified(t, tok)["iss"]; got != tt.want {
				t.Errorf("iss = %v, want %q", got, tt.want)
			}
		})
	}
}
