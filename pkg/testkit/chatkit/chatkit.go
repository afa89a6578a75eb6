// Package chatkit is a stand-in for the messaging providers' send
// APIs on 127.0.0.1: Slack chat.postMessage, Telegram sendMessage (and
// setWebhook / getWebhookInfo, keeping each bot's webhook), WhatsApp
// Cloud /messages, Twilio Messages, and Bot Framework (token endpoint and
// Teams conversation activities), each speaking the documented wire format.
// It also plays Bot Framework's OpenID metadata and JWKS and mints the
// tokens Bot Framework would send with a Teams activity.
//
// The dev server points chatsend at it (Env) and tests count deliveries.
package chatkit

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Delivery is one message a provider API accepted.
type Delivery struct {
	Provider string // SLACK, TELEGRAM, WHATSAPP, TWILIO_SMS, TEAMS
	To       string
	From     string // Twilio only
	Text     string
	// Credential is what authenticated the call: the bot token, the
	// access token, the account SID, or the Bot Framework access token.
	Credential string
	At         time.Time
}

// Server is the stand-in.
type Server struct {
	URL string

	srv   *http.Server
	log   *slog.Logger
	key   *rsa.PrivateKey
	mu    sync.Mutex
	sent  []Delivery
	fail  map[string][]int // provider → statuses to answer next
	calls map[string]int
	hooks map[string]TelegramWebhook // bot token → its webhook
}

// TelegramWebhook is what the stand-in's Bot API holds of a bot's
// webhook (setWebhook, and what getWebhookInfo reports).
type TelegramWebhook struct {
	URL                string
	SecretToken        string
	PendingUpdateCount int
	LastErrorDate      int64 // Unix seconds; 0 when none
	LastErrorMessage   string
}

// Start listens on 127.0.0.1 (an ephemeral port) and serves until Close.
// A nil logger logs nothing.
func Start(log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("chatkit: %w", err)
	}
	key, err := botFrameworkKey()
	if err != nil {
		ln.Close()
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{URL: "http://" + ln.Addr().String(), log: log, key: key, fail: map[string][]int{}, calls: map[string]int{}, hooks: map[string]TelegramWebhook{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/api/chat.postMessage", s.slack)
	mux.HandleFunc("POST /telegram/{bot}/sendMessage", s.telegram)
	mux.HandleFunc("/telegram/{bot}/setWebhook", s.telegramSetWebhook)
	mux.HandleFunc("/telegram/{bot}/getWebhookInfo", s.telegramWebhookInfo)
	mux.HandleFunc("POST /whatsapp/v21.0/{phone}/messages", s.whatsapp)
	mux.HandleFunc("POST /twilio/2010-04-01/Accounts/{sid}/Messages.json", s.twilio)
	mux.HandleFunc("POST /botframework/token", s.token)
	mux.HandleFunc("GET /botframework/openidconfiguration", s.openid)
	mux.HandleFunc("GET /botframework/keys", s.jwks)
	mux.HandleFunc("POST /teams/v3/conversations/{conv}/activities", s.teams)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { _ = s.srv.Close() }

// Env is the configuration that points pkg/chatsend (and the Teams
// webhook verifier) at the stand-in.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"SLACK_API_URL":             s.URL + "/slack/api/",
		"TELEGRAM_API_URL":          s.URL + "/telegram",
		"WHATSAPP_API_URL":          s.URL + "/whatsapp/v21.0",
		"TWILIO_API_URL":            s.URL + "/twilio",
		"BOTFRAMEWORK_TOKEN_URL":    s.URL + "/botframework/token",
		"TEAMS_OPENID_METADATA_URL": s.URL + "/botframework/openidconfiguration",
	}
}

// TeamsServiceURL is the serviceUrl to put in Teams activities so that
// replies reach the stand-in.
func (s *Server) TeamsServiceURL() string { return s.URL + "/teams/" }

// Deliveries returns the messages accepted so far.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.sent...)
}

// Calls returns how many send calls a provider received, failed ones included.
func (s *Server) Calls(provider string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[provider]
}

// FailNext makes the provider's next len(statuses) send calls fail with
// those HTTP statuses (each answered in the provider's error format).
func (s *Server) FailNext(provider string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[provider] = append(s.fail[provider], statuses...)
}

// Failing returns the statuses FailNext has queued, per provider.
func (s *Server) Failing() map[string][]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]int{}
	for p, q := range s.fail {
		if len(q) > 0 {
			out[p] = append([]int(nil), q...)
		}
	}
	return out
}

// ClearFailures drops every queued failure.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.fail)
}

// failure returns the status to fail this call with, or 0.
func (s *Server) failure(provider string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[provider]++
	q := s.fail[provider]
	if len(q) == 0 {
		return 0
	}
	s.fail[provider] = q[1:]
	return q[0]
}

func (s *Server) record(d Delivery) {
	d.At = time.Now()
	s.mu.Lock()
	s.sent = append(s.sent, d)
	s.mu.Unlock()
	s.log.Info("provider stand-in: message delivered", "provider", d.Provider, "to", d.To, "text", d.Text)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

func (s *Server) slack(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		token = bearer(r)
	}
	if st := s.failure("SLACK"); st != 0 {
		code := "internal_error"
		if st < 500 {
			code = "channel_not_found"
		}
		// Slack answers API errors with 200 and ok=false.
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	if token == "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "not_authed"})
		return
	}
	ch := r.PostForm.Get("channel")
	s.record(Delivery{Provider: "SLACK", To: ch, Text: r.PostForm.Get("text"), Credential: token})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": ch, "ts": fmt.Sprintf("%d.000100", time.Now().Unix())})
}

func (s *Server) telegram(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.PathValue("bot"), "bot")
	var body struct {
		ChatID any    `json:"chat_id"`
		Text   string `json:"text"`
	}
	if !ok || json.NewDecoder(r.Body).Decode(&body) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: invalid request"})
		return
	}
	if st := s.failure("TELEGRAM"); st != 0 {
		desc := "Internal Server Error"
		if st < 500 {
			desc = "Bad Request: chat not found"
		}
		writeJSON(w, st, map[string]any{"ok": false, "error_code": st, "description": desc})
		return
	}
	to := fmt.Sprint(body.ChatID)
	if f, isNum := body.ChatID.(float64); isNum {
		to = fmt.Sprintf("%.0f", f)
	}
	s.record(Delivery{Provider: "TELEGRAM", To: to, Text: body.Text, Credential: token})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": map[string]any{"message_id": time.Now().UnixNano() % 1e6, "date": time.Now().Unix(), "text": body.Text}})
}

// TelegramWebhookOf returns the webhook the stand-in holds for a bot.
func (s *Server) TelegramWebhookOf(botToken string) TelegramWebhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hooks[botToken]
}

// SetTelegramWebhook sets what the stand-in holds for a bot, e.g. a
// delivery error that getWebhookInfo then reports.
func (s *Server) SetTelegramWebhook(botToken string, h TelegramWebhook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[botToken] = h
}

// telegramParams reads a Bot API call's parameters: JSON, form or query,
// as the Bot API accepts them.
func telegramParams(r *http.Request) (map[string]string, bool) {
	out := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, false
		}
		for k, v := range m {
			out[k] = fmt.Sprint(v)
		}
		return out, true
	}
	if err := r.ParseForm(); err != nil {
		return nil, false
	}
	for k := range r.Form {
		out[k] = r.Form.Get(k)
	}
	return out, true
}

// telegramRefusal answers a failure queued with FailNext in the Bot API's
// error format.
func telegramRefusal(w http.ResponseWriter, st int) {
	desc := map[int]string{401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests: retry after 5"}[st]
	switch {
	case desc != "":
	case st < 500:
		desc = "Bad Request: bad webhook: Failed to resolve host: Name or service not known"
	default:
		desc = "Internal Server Error"
	}
	writeJSON(w, st, map[string]any{"ok": false, "error_code": st, "description": desc})
}

// telegramSetWebhook is setWebhook: an HTTPS URL (plain HTTP only to
// loopback, a stand-in liberty so that make dev can register itself) and
// an optional secret_token of 1-256 [A-Za-z0-9_-]; an empty url removes
// the webhook.
func (s *Server) telegramSetWebhook(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.PathValue("bot"), "bot")
	params, okParams := telegramParams(r)
	if !ok || !okParams {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: invalid request"})
		return
	}
	if st := s.failure("TELEGRAM"); st != 0 {
		telegramRefusal(w, st)
		return
	}
	raw, secret := params["url"], params["secret_token"]
	bad := func(desc string) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: " + desc})
	}
	if raw != "" {
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "":
			bad("bad webhook: Failed to resolve host: Name or service not known")
			return
		case u.Scheme != "https" && !(u.Scheme == "http" && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost")):
			bad("bad webhook: An HTTPS URL must be provided for webhook")
			return
		}
	}
	if len(secret) > 256 || strings.IndexFunc(secret, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')
	}) >= 0 {
		bad("secret token contains unallowed characters")
		return
	}
	s.mu.Lock()
	prev := s.hooks[token]
	s.hooks[token] = TelegramWebhook{URL: raw, SecretToken: secret}
	s.mu.Unlock()
	desc := "Webhook was set"
	switch {
	case raw == "" && prev.URL == "":
		desc = "Webhook is already deleted"
	case raw == "":
		desc = "Webhook was deleted"
	case raw == prev.URL:
		desc = "Webhook is already set"
	}
	s.log.Info("provider stand-in: telegram setWebhook", "url", raw)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": true, "description": desc})
}

// telegramWebhookInfo is getWebhookInfo.
func (s *Server) telegramWebhookInfo(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.PathValue("bot"), "bot")
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
		return
	}
	if st := s.failure("TELEGRAM"); st != 0 {
		telegramRefusal(w, st)
		return
	}
	h := s.TelegramWebhookOf(token)
	info := map[string]any{"url": h.URL, "has_custom_certificate": false, "pending_update_count": h.PendingUpdateCount}
	if h.URL != "" {
		info["max_connections"] = 40
	}
	if h.LastErrorDate != 0 {
		info["last_error_date"], info["last_error_message"] = h.LastErrorDate, h.LastErrorMessage
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": info})
}

func (s *Server) whatsapp(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MessagingProduct string `json:"messaging_product"`
		To               string `json:"to"`
		Type             string `json:"type"`
		Text             struct {
			Body string `json:"body"`
		} `json:"text"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || body.MessagingProduct != "whatsapp" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": "Invalid parameter", "type": "OAuthException", "code": 100}})
		return
	}
	if st := s.failure("WHATSAPP"); st != 0 {
		writeJSON(w, st, map[string]any{"error": map[string]any{"message": "stand-in failure", "type": "OAuthException", "code": 131000}})
		return
	}
	s.record(Delivery{Provider: "WHATSAPP", To: body.To, Text: body.Text.Body, Credential: bearer(r)})
	writeJSON(w, http.StatusOK, map[string]any{"messaging_product": "whatsapp",
		"contacts": []any{map[string]any{"input": body.To, "wa_id": body.To}},
		"messages": []any{map[string]any{"id": fmt.Sprintf("wamid.standin%d", time.Now().UnixNano())}}})
}

func (s *Server) twilio(w http.ResponseWriter, r *http.Request) {
	sid, _, _ := r.BasicAuth()
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 21601, "message": "invalid form", "status": 400})
		return
	}
	if st := s.failure("TWILIO_SMS"); st != 0 {
		writeJSON(w, st, map[string]any{"code": 20500, "message": "stand-in failure", "status": st})
		return
	}
	f := r.PostForm
	s.record(Delivery{Provider: "TWILIO_SMS", To: f.Get("To"), From: f.Get("From"), Text: f.Get("Body"), Credential: sid})
	writeJSON(w, http.StatusCreated, map[string]any{"sid": fmt.Sprintf("SM%032d", time.Now().UnixNano()%1e9), "status": "queued",
		"to": f.Get("To"), "from": f.Get("From"), "body": f.Get("Body"), "account_sid": r.PathValue("sid")})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
		"access_token": "standin-bf-token-" + url.QueryEscape(r.PostForm.Get("client_id"))})
}

func (s *Server) teams(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || !strings.HasPrefix(bearer(r), "standin-bf-token-") {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": "Unauthorized", "message": "bad token"}})
		return
	}
	if st := s.failure("TEAMS"); st != 0 {
		writeJSON(w, st, map[string]any{"error": map[string]any{"code": "ServiceError", "message": "stand-in failure"}})
		return
	}
	s.record(Delivery{Provider: "TEAMS", To: r.PathValue("conv"), Text: body.Text, Credential: bearer(r)})
	writeJSON(w, http.StatusCreated, map[string]any{"id": fmt.Sprintf("1%d", time.Now().UnixNano())})
}

// botFrameworkPEM is the stand-in's Bot Framework signing key. It is fixed
// and public (a test key, worthless anywhere else) so that a token in a
// sample event (events/teamswebhook-message.json) verifies against any
// running stand-in.
const botFrameworkPEM = `-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEA7qD48nvFuH45qobbTBnM5trnm4a6xubqqUY9nly+87RyytWG
nFkeB4C8nQ1dL6W7VslaekhoiimDpxufxqHWo8sFt2vuUmDTYUs5WqVDsalCHUzU
cn34gRR23iVCukfLmX5vLuaxkw/E/9XP2V+G9HOKQr6Xl3LkzcVJesaLKXsoj9LG
hBbGqMGBCaVmbVL9cksAqlR6/t3mAmq5x4zwoCXXcH2wesBrQCINX8RpQ+vclIY9
rFM7DO237S5qABs8eITRU1Vc4yEh13EBirRVSUpqADfIshfey6DHaKwOtcOFzJze
y9lQWinW7jg6E00r8jV+pqmHSOMnWE2MEPdOvwIDAQABAoIBAAgwq4VcYijhjDEi
InILi1DRFT9CnIkpxnFmNm8yV7Ydl2MGznFHTb821+0RVwVvoW0VHsSGVQWI7zp+
ZDl5DIOKpaOUp2qvEBI4IWZ5uEe8u3GDVYyobi21T28dxZsxzkxyXnaJocaeX/CN
R25P17NEKUFT2/gYEBT6lHm2SXMe9LSqB5zenHsRoEQXZ8mdF6Z0Ys1UgZtL8RiI
LSHutTMCe+dYbn+yvni98gqaWIRjpFJAapaK4IBQu0bhq/2/e4Mf9TrmVZfJYGd/
OmxofDBG12iN0rC8k/S8dzLrdmr1zxRZbosxdHG6ezB1ZYJFvCXmdsl+f56p2hL+
R9c8aoECgYEA+LsJfj3DShdTbCFnpkLnOuNwTSz5uxd7oObyZy1AhxTT03L7HzUG
c5wlWSaIEWShgKb9JFNWrwbf7kHrTjiaXvhw82oUUgQOZG7NSj5Pwo0Ddac1wNuC
TbH42ty6u8wvisZOcSqD8D5DxJ3FmeJWheRidT1UsWKyJrLfXQ7FHPECgYEA9Zpa
7fUw4s6mADnEhGmZmJNAOs5QtBcCKxq33h+NTsrwacHVqucygyf2A4aVXjzmuymL
R5kCbBi6+rpUO4+Raga9LY61rl3mjy1/1iUP+zQeBKdSZEPtMt3RqYsvPKIUILdW
v6e1BLKOQaD1qhe1HwoJb7HfaDRThGtsCkO45q8CgYEAu+pK9MZiyZIv44ylSzZW
jeYRDS2Civfl3h09W/gTPTreAm1nDh+4fRWmHeF/gWx+m70NmSkhX2CZQ98nkFQx
RLj8VNp6+a+40+XmUUYcakaxK20lrkvo+RwRgACtT36nGHhUASl2vsW720q7ZFRc
vBFc1Wh9mPqQz63qFNs4znECgYB9tDYMCu2teEUgYnDBsObLX7qFHqnRsuEKPM+U
4aNKi7YG+w2oPlLtLBvPbCexJwyVCMtfpuHFf9bbk1ifb3jmwnI7CgrVJvxllc0T
Rr7qPJ+MlDMoXFfgLAYud62CpBYXNJ8y0txkfhsvXfm+yAmMzG9N+sU0qWuBoBWZ
H1ZYwwKBgQDP8s2YmiBRWUObY+HY/cvZ5lIPr+Ab3UZ4XJ6nH5ZDl1XgCoLpBFjf
RxfHIkhPLzODnT5CCVXNXj66zFTOJivl1B7EWLrduxhvVnp7HAQw5GTc8XAH537l
hLsIGkv+MgQSdlwyG6/nXBnus7B0+xr3i6XFBUDgyGJqa39u0REvZA==
-----END RSA PRIVATE KEY-----`

func botFrameworkKey() (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(botFrameworkPEM))
	if b == nil {
		return nil, fmt.Errorf("chatkit: bad key")
	}
	return x509.ParsePKCS1PrivateKey(b.Bytes)
}

// BotFrameworkIssuer is the iss of Bot Framework tokens.
const BotFrameworkIssuer = "https://api.botframework.com"

func (s *Server) openid(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": BotFrameworkIssuer, "jwks_uri": s.URL + "/botframework/keys",
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

const kid = "standin-key"

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	pub := s.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "use": "sig", "kid": kid,
		"n":            base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"endorsements": []string{"msteams"},
	}}})
}

// TeamsToken mints the bearer token Bot Framework sends with an activity
// for the bot appID; claims override or add claims (e.g. "iss", "aud",
// "exp"; a nil value deletes the claim).
func (s *Server) TeamsToken(appID, serviceURL string, claims map[string]any) string {
	now := time.Now()
	c := jwt.MapClaims{"iss": BotFrameworkIssuer, "aud": appID, "serviceurl": serviceURL,
		"nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	t.Header["kid"] = kid
	signed, err := t.SignedString(s.key)
	if err != nil {
		panic(err) // an in-memory RSA key cannot fail to sign
	}
	return signed
}

// SignWith signs claims with another key (a forged token).
func SignWith(key *rsa.PrivateKey, claims map[string]any) string {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(claims))
	t.Header["kid"] = kid
	signed, err := t.SignedString(key)
	if err != nil {
		panic(err)
	}
	return signed
}
