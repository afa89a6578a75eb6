package chatsend

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

var testCreds = Credentials{
	SlackBotToken:         "xoxb-test-token",
	TelegramBotToken:      "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
	WhatsAppAccessToken:   "EAAG-test",
	WhatsAppPhoneNumberID: "106540352242922",
	TwilioAccountSID:      "AC00000000000000000000000000000001",
	TwilioAuthToken:       "twilio-secret",
	TwilioFromNumber:      "+15017122661",
	TeamsAppID:            "8e0b6a1c-3f0e-4a55-9d1f-2f7c5e9a1b11",
	TeamsAppPassword:      "teams-secret",
}

type recorded struct {
	Method, Path, EscapedPath string
	Header                    http.Header
	Body                      []byte
}

func (r recorded) form(t *testing.T) url.Values {
	t.Helper()
	v, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatalf("request body is not a form: %v", err)
	}
	return v
}

func (r recorded) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("request body is not JSON: %v (%s)", err, r.Body)
	}
	return v
}

// standIn plays every provider on one 127.0.0.1 server. Requests to the Bot
// Framework token path get a token unless tokenHandler says otherwise; all
// others go to handler.
type standIn struct {
	srv *httptest.Server

	mu           sync.Mutex
	reqs         []recorded
	handler      http.HandlerFunc
	tokenHandler http.HandlerFunc
}

const tokenPath = "/botframework.com/oauth2/v2.0/token"

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	s := &standIn{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), Header: r.Header.Clone(), Body: body})
		h, th := s.handler, s.tokenHandler
		s.mu.Unlock()
		if r.URL.Path == tokenPath {
			if th == nil {
				th = respond(http.StatusOK, `{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"bf-access-token"}`)
			}
			th(w, r)
			return
		}
		if h == nil {
			h = respond(http.StatusOK, `{"ok":true}`)
		}
		h(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *standIn) config() Config {
	return Config{
		SlackAPIURL:          s.srv.URL + "/api/",
		TelegramAPIURL:       s.srv.URL,
		WhatsAppAPIURL:       s.srv.URL + "/v21.0",
		TwilioAPIURL:         s.srv.URL,
		BotFrameworkTokenURL: s.srv.URL + tokenPath,
		HTTPClient:           s.srv.Client(),
	}
}

func (s *standIn) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func (s *standIn) set(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
}

func (s *standIn) setToken(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenHandler = h
}

func respond(status int, body string, headerKV ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headerKV); i += 2 {
			w.Header().Set(headerKV[i], headerKV[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestSendWireFormat(t *testing.T) {
	const teamsConv = "19:abc@thread.tacv2;messageid=1714557600001"
	tests := []struct {
		name   string
		msg    func(si *standIn) Outbound
		answer http.HandlerFunc
		check  func(t *testing.T, reqs []recorded)
	}{
		{
			name:   "slack chat.postMessage",
			msg:    func(*standIn) Outbound { return Outbound{Provider: "SLACK", ReplyTo: "D024BE91L", Text: "Welcome!"} },
			answer: respond(http.StatusOK, `{"ok":true,"channel":"D024BE91L","ts":"1503435956.000247","message":{"text":"Welcome!"}}`),
			check: func(t *testing.T, reqs []recorded) {
				r := only(t, reqs)
				wantRequest(t, r, http.MethodPost, "/api/chat.postMessage")
				// slack-go sends the token as a form field, which Slack accepts for POSTs.
				f := r.form(t)
				if got := f.Get("token"); got != "xoxb-test-token" {
					t.Errorf("form token = %q, want the bot token", got)
				}
				if f.Get("channel") != "D024BE91L" || f.Get("text") != "Welcome!" {
					t.Errorf("form = %v, want channel D024BE91L and text Welcome!", f)
				}
			},
		},
		{
			name: "telegram sendMessage, numeric chat id",
			msg: func(*standIn) Outbound {
				return Outbound{Provider: "TELEGRAM", ReplyTo: "-1001234567890", Text: "Welcome!"}
			},
			answer: respond(http.StatusOK, `{"ok":true,"result":{"message_id":9,"chat":{"id":-1001234567890,"type":"supergroup"},"date":1,"text":"Welcome!"}}`),
			check: func(t *testing.T, reqs []recorded) {
				r := only(t, reqs)
				wantRequest(t, r, http.MethodPost, "/bot123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11/sendMessage")
				wantHeader(t, r, "Content-Type", "application/json")
				b := r.json(t)
				if b["chat_id"] != float64(-1001234567890) || b["text"] != "Welcome!" {
					t.Errorf("body = %v, want numeric chat_id -1001234567890 and text", b)
				}
			},
		},
		{
			name:   "telegram sendMessage, @channel chat id",
			msg:    func(*standIn) Outbound { return Outbound{Provider: "TELEGRAM", ReplyTo: "@gatehouse", Text: "hi"} },
			answer: respond(http.StatusOK, `{"ok":true,"result":{}}`),
			check: func(t *testing.T, reqs []recorded) {
				if b := only(t, reqs).json(t); b["chat_id"] != "@gatehouse" {
					t.Errorf("chat_id = %v, want the string @gatehouse", b["chat_id"])
				}
			},
		},
		{
			name: "whatsapp cloud messages",
			msg: func(*standIn) Outbound {
				return Outbound{Provider: "WHATSAPP", ReplyTo: "16505551234", Text: "Welcome!"}
			},
			answer: respond(http.StatusOK, `{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.out"}]}`),
			check: func(t *testing.T, reqs []recorded) {
				r := only(t, reqs)
				wantRequest(t, r, http.MethodPost, "/v21.0/106540352242922/messages")
				wantHeader(t, r, "Authorization", "Bearer EAAG-test")
				wantHeader(t, r, "Content-Type", "application/json")
				b := r.json(t)
				text, _ := b["text"].(map[string]any)
				if b["messaging_product"] != "whatsapp" || b["to"] != "16505551234" || b["type"] != "text" || text["body"] != "Welcome!" {
					t.Errorf("body = %v, want messaging_product whatsapp, to, type text, text.body", b)
				}
			},
		},
		{
			name: "twilio messages",
			msg: func(*standIn) Outbound {
				return Outbound{Provider: "TWILIO_SMS", ReplyTo: "+15558675310", Text: "Welcome!"}
			},
			answer: respond(http.StatusCreated, `{"sid":"SM1","status":"queued"}`),
			check: func(t *testing.T, reqs []recorded) {
				r := only(t, reqs)
				wantRequest(t, r, http.MethodPost, "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json")
				req := &http.Request{Header: r.Header}
				if u, p, ok := req.BasicAuth(); !ok || u != testCreds.TwilioAccountSID || p != testCreds.TwilioAuthToken {
					t.Errorf("basic auth = %q, %q, %v; want account sid and auth token", u, p, ok)
				}
				wantHeader(t, r, "Content-Type", "application/x-www-form-urlencoded")
				f := r.form(t)
				if f.Get("To") != "+15558675310" || f.Get("From") != "+15017122661" || f.Get("Body") != "Welcome!" {
					t.Errorf("form = %v, want To, From, Body", f)
				}
			},
		},
		{
			name: "teams token then reply to serviceUrl",
			msg: func(si *standIn) Outbound {
				return Outbound{Provider: "TEAMS", ReplyTo: teamsConv, Text: "Welcome!", ServiceURL: si.srv.URL + "/amer/"}
			},
			answer: respond(http.StatusCreated, `{"id":"1714557600002"}`),
			check: func(t *testing.T, reqs []recorded) {
				if len(reqs) != 2 {
					t.Fatalf("got %d requests, want token + reply", len(reqs))
				}
				tok, r := reqs[0], reqs[1]
				wantRequest(t, tok, http.MethodPost, tokenPath)
				f := tok.form(t)
				if f.Get("grant_type") != "client_credentials" || f.Get("client_id") != testCreds.TeamsAppID ||
					f.Get("client_secret") != testCreds.TeamsAppPassword || f.Get("scope") != "https://api.botframework.com/.default" {
					t.Errorf("token form = %v, want client credentials for the bot with the Bot Framework scope", f)
				}
				wantRequest(t, r, http.MethodPost, "/amer/v3/conversations/"+teamsConv+"/activities")
				if want := "/amer/v3/conversations/19:abc@thread.tacv2%3Bmessageid=1714557600001/activities"; r.EscapedPath != want {
					t.Errorf("escaped path = %s, want %s", r.EscapedPath, want)
				}
				wantHeader(t, r, "Authorization", "Bearer bf-access-token")
				if b := r.json(t); b["type"] != "message" || b["text"] != "Welcome!" {
					t.Errorf("activity = %v, want type message and text", b)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			si := newStandIn(t)
			si.set(tt.answer)
			if err := New(si.config()).Send(context.Background(), testCreds, tt.msg(si)); err != nil {
				t.Fatalf("Send() = %v, want nil", err)
			}
			tt.check(t, si.requests())
		})
	}
}

func only(t *testing.T, reqs []recorded) recorded {
	t.Helper()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

func wantRequest(t *testing.T, r recorded, method, path string) {
	t.Helper()
	if r.Method != method || r.Path != path {
		t.Errorf("request = %s %s, want %s %s", r.Method, r.Path, method, path)
	}
}

func wantHeader(t *testing.T, r recorded, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

func TestSendClassification(t *testing.T) {
	type want struct {
		permanent  bool
		status     int
		code       string
		retryAfter time.Duration
	}
	tests := []struct {
		name     string
		provider string
		answer   http.HandlerFunc
		token    http.HandlerFunc // Teams token endpoint; nil grants one
		want     want
	}{
		{"slack channel_not_found", "SLACK", respond(200, `{"ok":false,"error":"channel_not_found"}`), nil, want{true, 200, "channel_not_found", 0}},
		{"slack invalid_auth", "SLACK", respond(200, `{"ok":false,"error":"invalid_auth"}`), nil, want{true, 200, "invalid_auth", 0}},
		{"slack internal_error", "SLACK", respond(200, `{"ok":false,"error":"internal_error"}`), nil, want{false, 200, "internal_error", 0}},
		{"slack 429", "SLACK", respond(429, `{"ok":false,"error":"ratelimited"}`, "Retry-After", "30"), nil, want{false, 429, "", 30 * time.Second}},
		{"slack 503", "SLACK", respond(503, `<html>`), nil, want{false, 503, "", 0}},
		{"slack 404", "SLACK", respond(404, `<html>`), nil, want{true, 404, "", 0}},

		{"telegram chat not found", "TELEGRAM", respond(400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`), nil, want{true, 400, "400", 0}},
		{"telegram bad token", "TELEGRAM", respond(401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`), nil, want{true, 401, "401", 0}},
		{"telegram blocked by user", "TELEGRAM", respond(403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`), nil, want{true, 403, "403", 0}},
		{"telegram flood wait", "TELEGRAM", respond(429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}`), nil, want{false, 429, "429", 5 * time.Second}},
		{"telegram 502 from proxy", "TELEGRAM", respond(502, `<html>Bad Gateway</html>`), nil, want{false, 502, "", 0}},

		{"whatsapp recipient not allowed", "WHATSAPP", respond(400, `{"error":{"message":"(#131030) Recipient phone number not in allowed list","type":"OAuthException","code":131030,"fbtrace_id":"A"}}`), nil, want{true, 400, "131030", 0}},
		{"whatsapp expired token", "WHATSAPP", respond(401, `{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"fbtrace_id":"A"}}`), nil, want{true, 401, "190", 0}},
		{"whatsapp throughput as 400", "WHATSAPP", respond(400, `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"fbtrace_id":"A"}}`), nil, want{false, 400, "130429", 0}},
		{"whatsapp pair rate", "WHATSAPP", respond(429, `{"error":{"message":"(#131056) pair rate limit hit","code":131056}}`), nil, want{false, 429, "131056", 0}},
		{"whatsapp is_transient", "WHATSAPP", respond(400, `{"error":{"message":"temporary","code":99999,"is_transient":true}}`), nil, want{false, 400, "99999", 0}},
		{"whatsapp 500", "WHATSAPP", respond(500, `{"error":{"message":"unknown","code":1}}`), nil, want{false, 500, "1", 0}},

		{"twilio invalid To", "TWILIO_SMS", respond(400, `{"code":21211,"message":"The 'To' number +1555 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`), nil, want{true, 400, "21211", 0}},
		{"twilio bad credentials", "TWILIO_SMS", respond(401, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`), nil, want{true, 401, "20003", 0}},
		{"twilio too many requests", "TWILIO_SMS", respond(429, `{"code":20429,"message":"Too Many Requests","status":429}`, "Retry-After", "2"), nil, want{false, 429, "20429", 2 * time.Second}},
		{"twilio 503", "TWILIO_SMS", respond(503, ``), nil, want{false, 503, "", 0}},

		{"teams bad app password", "TEAMS", nil, respond(401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}`), want{true, 401, "invalid_client", 0}},
		{"teams token endpoint down", "TEAMS", nil, respond(503, ``), want{false, 503, "", 0}},
		{"teams bot not in conversation", "TEAMS", respond(403, `{"error":{"code":"BotNotInConversationRoster","message":"The bot is not part of the conversation roster."}}`), nil, want{true, 403, "BotNotInConversationRoster", 0}},
		{"teams conversation gone", "TEAMS", respond(404, `{"error":{"code":"ConversationNotFound","message":"Conversation not found."}}`), nil, want{true, 404, "ConversationNotFound", 0}},
		{"teams throttled", "TEAMS", respond(429, `{"error":{"code":"Throttled","message":"slow down"}}`, "Retry-After", "3"), nil, want{false, 429, "Throttled", 3 * time.Second}},
		{"teams 502", "TEAMS", respond(502, ``), nil, want{false, 502, "", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			si := newStandIn(t)
			si.set(tt.answer)
			si.setToken(tt.token)
			err := New(si.config()).Send(context.Background(), testCreds, outboundFor(si, tt.provider))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Send() = %v, want an *Error", err)
			}
			if got := errors.Is(err, ErrPermanent); got != tt.want.permanent {
				t.Errorf("errors.Is(err, ErrPermanent) = %v, want %v (err: %v)", got, tt.want.permanent, err)
			}
			if e.StatusCode != tt.want.status || e.Code != tt.want.code || e.RetryAfter != tt.want.retryAfter {
				t.Errorf("status, code, retryAfter = %d, %q, %v; want %d, %q, %v", e.StatusCode, e.Code, e.RetryAfter, tt.want.status, tt.want.code, tt.want.retryAfter)
			}
			assertNoSecrets(t, err)
		})
	}
}

func outboundFor(si *standIn, provider string) Outbound {
	m := Outbound{Provider: provider, ReplyTo: "C1", Text: "hi"}
	switch provider {
	case "TELEGRAM":
		m.ReplyTo = "4242"
	case "WHATSAPP":
		m.ReplyTo = "16505551234"
	case "TWILIO_SMS":
		m.ReplyTo = "+15558675310"
	case "TEAMS":
		m.ReplyTo, m.ServiceURL = "a:1Kx2", si.srv.URL+"/amer/"
	}
	return m
}

func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	for _, secret := range []string{testCreds.SlackBotToken, testCreds.TelegramBotToken, testCreds.WhatsAppAccessToken, testCreds.TwilioAuthToken, testCreds.TeamsAppPassword, "bf-access-token"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error %q contains a secret", msg)
		}
	}
}

func TestSendNetworkFailureIsTransient(t *testing.T) {
	si := newStandIn(t)
	cfg := si.config()
	si.srv.Close() // connection refused from now on
	for _, p := range []string{"SLACK", "TELEGRAM", "WHATSAPP", "TWILIO_SMS", "TEAMS"} {
		t.Run(p, func(t *testing.T) {
			err := New(cfg).Send(context.Background(), testCreds, outboundFor(si, p))
			if err == nil || errors.Is(err, ErrPermanent) {
				t.Fatalf("Send() to a closed port = %v, want a transient error", err)
			}
			assertNoSecrets(t, err)
		})
	}
}

func TestSendContextCanceled(t *testing.T) {
	si := newStandIn(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New(si.config()).Send(ctx, testCreds, outboundFor(si, "WHATSAPP"))
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrPermanent) {
		t.Fatalf("Send(canceled ctx) = %v, want transient wrapping context.Canceled", err)
	}
}

func TestSendRefusesWithoutCalling(t *testing.T) {
	si := newStandIn(t)
	noSlack := testCreds
	noSlack.SlackBotToken = ""
	badTelegram := testCreds
	badTelegram.TelegramBotToken = "123/../../x"
	noWA := testCreds
	noWA.WhatsAppPhoneNumberID = ""
	noTwilio := testCreds
	noTwilio.TwilioFromNumber = ""
	noTeams := testCreds
	noTeams.TeamsAppPassword = ""
	tests := []struct {
		name  string
		creds Credentials
		msg   Outbound
	}{
		{"unknown provider", testCreds, Outbound{Provider: "FAX", ReplyTo: "1", Text: "x"}},
		{"no recipient", testCreds, Outbound{Provider: "SLACK", Text: "x"}},
		{"slack without token", noSlack, Outbound{Provider: "SLACK", ReplyTo: "C1", Text: "x"}},
		{"telegram token that reshapes the path", badTelegram, Outbound{Provider: "TELEGRAM", ReplyTo: "1", Text: "x"}},
		{"whatsapp without phone number id", noWA, Outbound{Provider: "WHATSAPP", ReplyTo: "1", Text: "x"}},
		{"twilio without from number", noTwilio, Outbound{Provider: "TWILIO_SMS", ReplyTo: "+1", Text: "x"}},
		{"teams without password", noTeams, Outbound{Provider: "TEAMS", ReplyTo: "a:1", Text: "x", ServiceURL: si.srv.URL}},
		{"teams without serviceUrl", testCreds, Outbound{Provider: "TEAMS", ReplyTo: "a:1", Text: "x"}},
		{"teams with a non-http serviceUrl", testCreds, Outbound{Provider: "TEAMS", ReplyTo: "a:1", Text: "x", ServiceURL: "file:///etc/passwd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(si.config()).Send(context.Background(), tt.creds, tt.msg)
			if !errors.Is(err, ErrPermanent) {
				t.Errorf("Send() = %v, want ErrPermanent", err)
			}
		})
	}
	if n := len(si.requests()); n != 0 {
		t.Errorf("stand-in got %d requests, want none for refused sends", n)
	}
}

func TestTeamsTokenCachedAndRenewedOn401(t *testing.T) {
	si := newStandIn(t)
	s := New(si.config())
	m := outboundFor(si, "TEAMS")
	for range 2 {
		if err := s.Send(context.Background(), testCreds, m); err != nil {
			t.Fatalf("Send() = %v", err)
		}
	}
	if n := countPath(si.requests(), tokenPath); n != 1 {
		t.Fatalf("token requests after two sends = %d, want 1 (cached)", n)
	}

	// The connector rejects the cached token once: Send fetches a new one and retries.
	var calls int
	var mu sync.Mutex
	si.set(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			respond(http.StatusUnauthorized, `{"error":{"code":"Unauthorized"}}`)(w, r)
			return
		}
		respond(http.StatusOK, `{"id":"x"}`)(w, r)
	})
	if err := s.Send(context.Background(), testCreds, m); err != nil {
		t.Fatalf("Send() after a revoked token = %v, want nil", err)
	}
	if n := countPath(si.requests(), tokenPath); n != 2 {
		t.Errorf("token requests = %d, want 2 (renewed after 401)", n)
	}

	// A fresh token rejected too is a permanent failure, not a loop.
	si.set(respond(http.StatusUnauthorized, `{"error":{"code":"Unauthorized"}}`))
	err := s.Send(context.Background(), testCreds, m)
	if !errors.Is(err, ErrPermanent) {
		t.Errorf("Send() with every token rejected = %v, want ErrPermanent", err)
	}
}

func countPath(reqs []recorded, path string) int {
	n := 0
	for _, r := range reqs {
		if r.Path == path {
			n++
		}
	}
	return n
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"SLACK_API_URL":          "http://127.0.0.1:9000/slack", // no trailing slash
		"TELEGRAM_API_URL":       "http://127.0.0.1:9000/telegram/",
		"WHATSAPP_API_URL":       "http://127.0.0.1:9000/graph/v21.0",
		"TWILIO_API_URL":         "http://127.0.0.1:9000/twilio",
		"BOTFRAMEWORK_TOKEN_URL": "http://127.0.0.1:9000/token",
	}
	got := ConfigFromEnv(func(k string) string { return env[k] })
	want := Config{
		SlackAPIURL:          "http://127.0.0.1:9000/slack/",
		TelegramAPIURL:       "http://127.0.0.1:9000/telegram",
		WhatsAppAPIURL:       "http://127.0.0.1:9000/graph/v21.0",
		TwilioAPIURL:         "http://127.0.0.1:9000/twilio",
		BotFrameworkTokenURL: "http://127.0.0.1:9000/token",
	}
	if got != want {
		t.Errorf("ConfigFromEnv(set) =\n  %+v\nwant\n  %+v", got, want)
	}
	got = ConfigFromEnv(func(string) string { return "" })
	want = Config{
		SlackAPIURL:          "https://slack.com/api/",
		TelegramAPIURL:       "https://api.telegram.org",
		WhatsAppAPIURL:       "https://graph.facebook.com/v21.0",
		TwilioAPIURL:         "https://api.twilio.com",
		BotFrameworkTokenURL: "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token",
	}
	if got != want {
		t.Errorf("ConfigFromEnv(unset) =\n  %+v\nwant\n  %+v", got, want)
	}
}
