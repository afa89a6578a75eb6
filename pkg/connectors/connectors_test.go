package connectors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const (
	tenant     = "acme"
	agent      = "agent-1"
	publicBase = "https://hooks.example.test"
)

// Realistic-looking secrets, each long enough to be masked to 4 characters.
var creds = map[string]map[string]string{
	connectors.Slack:     {"signingSecret": "8f742231b10e8888abcd99yyyzzz85a5", "botToken": "xoxb-1111-2222-abcdefghijklmnop"},
	connectors.Telegram:  {"botToken": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "secretToken": "tg_secret-token-0123456789"},
	connectors.WhatsApp:  {"appSecret": "6f1c3c568a4e4e599a530d2f8f3c1a11", "verifyToken": "meta-verify-token-123456", "accessToken": "EAAGm0PX4ZCpsBAabcdefghijklmnop", "phoneNumberId": "106540352242922"},
	connectors.TwilioSMS: {"accountSid": "AC0123456789abcdef0123456789abcdef", "authToken": "0123456789abcdef0123456789abcdef"},
	connectors.Teams:     {"appId": "8e0b6a1c-3f0e-4a55-9d1f-2f7c5e9a1b11", "appPassword": "teams~app~password~0123456789", "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
}

type world struct {
	*apikit.Env
	tokens map[string]string
}

// ourRoutes are the connectors API and the webhooks over one connectors
// repository, as in the dev server.
func ourRoutes(d *routes.Deps) ([]httpapi.Route, error) {
	a, err := connectors.Routes(d.Platform, d.Connectors)
	if err != nil {
		return nil, err
	}
	b, err := inbound.Routes(d.Platform, d.Connectors, d.Config.Inbound)
	return append(a, b...), err
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := apikit.NewWith(t, ourRoutes, routes.Config{
		PublicBaseURL: publicBase})
	w := &world{Env: e, tokens: map[string]string{}}
	e.SeedMember(t, tenant, agent, "agentadmin", authz.RoleAdmin)
	e.SeedMember(t, tenant, agent, "editor", authz.RoleEditor)
	e.SeedMember(t, tenant, agent, "viewer", authz.RoleViewer)
	e.SeedMember(t, tenant, "agent-2", "nobody", authz.RoleAdmin) // a role elsewhere only
	w.tokens["admin"] = e.Token(t, "admin", map[string]string{tenant: "ADMIN"})
	for _, s := range []string{"agentadmin", "editor", "viewer", "nobody"} {
		w.tokens[s] = e.Token(t, s, map[string]string{tenant: "MEMBER"})
	}
	w.tokens["stranger"] = e.Token(t, "stranger", map[string]string{"other": "ADMIN"})
	return w
}

func base() string          { return "/v1/tenants/" + tenant + "/integrationConfigs" }
func path(id string) string { return base() + "/" + id }

func body(provider string, extra map[string]any) string {
	b := map[string]any{"provider": provider, "agentId": agent, "displayName": "Support " + provider,
		"onboarding":  map[string]any{"enabled": true, "message": "Welcome! An operator will let you in soon."},
		"credentials": creds[provider]}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
			continue
		}
		b[k] = v
	}
	out, _ := json.Marshal(b)
	return string(out)
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("body %q: %v", s, err)
	}
	return m
}

// create makes a connector as the tenant ADMIN and returns its view.
func (w *world) create(t *testing.T, provider string) map[string]any {
	t.Helper()
	res := w.Do(t, "POST", base(), w.tokens["admin"], body(provider, nil))
	if res.Status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", provider, res.Status, res.Body)
	}
	return decode(t, res.Body)
}

// items counts every item in the table.
func (w *world) items(t *testing.T) int {
	t.Helper()
	n, err := w.Table.DB.Table(w.Table.Name).Scan().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateShape(t *testing.T) {
	w := newWorld(t)
	for _, p := range connectors.Providers {
		t.Run(p, func(t *testing.T) {
			res := w.Do(t, "POST", base(), w.tokens["agentadmin"], body(p, nil))
			if res.Status != http.StatusCreated {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			got := decode(t, res.Body)
			if loc := res.Header.Get("Location"); loc != path(got["id"].(string)) {
				t.Errorf("Location = %q", loc)
			}
			want := []string{"id", "provider", "agentId", "displayName", "onboarding", "credentials", "webhookUrl", "createdBy", "createdAt", "modifiedAt"}
			if len(got) != len(want) {
				t.Errorf("fields = %v, want %v", got, want)
			}
			for _, k := range want {
				if _, ok := got[k]; !ok {
					t.Errorf("missing %q", k)
				}
			}
			if got["provider"] != p || got["agentId"] != agent || got["createdBy"] != "agentadmin" {
				t.Errorf("got %v", got)
			}
			prefix := publicBase + "/v1/hooks/" + strings.ToLower(p) + "/"
			url, _ := got["webhookUrl"].(string)
			key, ok := strings.CutPrefix(url, prefix)
			if !ok || !connectors.ValidWebhookKey(key) {
				t.Errorf("webhookUrl = %q, want %s + a 43-character key", url, prefix)
			}
			masked := got["credentials"].(map[string]any)
			if len(masked) != len(creds[p]) {
				t.Errorf("credentials = %v, want one prefix per secret", masked)
			}
			for k, secret := range creds[p] {
				m, _ := masked[k].(string)
				shown := strings.TrimSuffix(m, "…")
				if m == shown || !strings.HasPrefix(secret, shown) || len(shown) > 4 || len(shown) < 3 {
					t.Errorf("credentials.%s = %q, want a 3-4 character prefix of the secret and …", k, m)
				}
			}
		})
	}
}

// Secrets never leave the API in full, whatever the call.
func TestSecretsNeverReturned(t *testing.T) {
	w := newWorld(t)
	var bodies []string
	for _, p := range connectors.Providers {
		c := w.create(t, p)
		id := c["id"].(string)
		bodies = append(bodies,
			w.Do(t, "GET", path(id), w.tokens["viewer"], "").Body,
			w.Do(t, "PATCH", path(id), w.tokens["agentadmin"], `{"displayName":"renamed"}`).Body,
			w.Do(t, "POST", path(id)+":rotateWebhook", w.tokens["agentadmin"], "").Body)
	}
	bodies = append(bodies, w.Do(t, "GET", base()+"?agentId="+agent, w.tokens["viewer"], "").Body)
	for _, b := range bodies {
		for _, cs := range creds {
			for k, secret := range cs {
				if strings.Contains(b, secret) || strings.Contains(b, secret[:8]) {
					t.Errorf("response reveals %s: %s", k, b)
				}
			}
		}
	}
}

func TestRoles(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		who                               string
		create, read, list, patch, rotate int
		del                               int
	}{
		{"admin", 201, 200, 200, 200, 200, 204},
		{"agentadmin", 201, 200, 200, 200, 200, 204},
		{"editor", 403, 200, 200, 403, 403, 403},
		{"viewer", 403, 200, 200, 403, 403, 403},
		{"nobody", 404, 404, 404, 404, 404, 404},
		{"stranger", 404, 404, 404, 404, 404, 404},
		{"", 401, 401, 401, 401, 401, 401},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			tok := w.tokens[tt.who]
			id := w.create(t, connectors.Slack)["id"].(string)
			check := func(what string, got apikit.Response, want int) {
				t.Helper()
				if got.Status != want {
					t.Errorf("%s: status %d, want %d: %s", what, got.Status, want, got.Body)
				}
			}
			check("create", w.Do(t, "POST", base(), tok, body(connectors.Telegram, nil)), tt.create)
			check("get", w.Do(t, "GET", path(id), tok, ""), tt.read)
			check("list", w.Do(t, "GET", base()+"?agentId="+agent, tok, ""), tt.list)
			check("patch", w.Do(t, "PATCH", path(id), tok, `{"displayName":"x"}`), tt.patch)
			check("rotate", w.Do(t, "POST", path(id)+":rotateWebhook", tok, ""), tt.rotate)
			check("delete", w.Do(t, "DELETE", path(id), tok, ""), tt.del)
		})
	}
}

func TestValidation(t *testing.T) {
	w := newWorld(t)
	long := strings.Repeat("é", connectors.MaxOnboardingMessage+1)
	tests := []struct {
		name, body string
		want       int
		typ        string
	}{
		{"unknown provider", body("SIGNAL", nil), 400, "invalid-provider"},
		{"lowercase provider", body("slack", nil), 400, "invalid-provider"},
		{"no provider", body(connectors.Slack, map[string]any{"provider": nil}), 400, "invalid-provider"},
		{"no agent", body(connectors.Slack, map[string]any{"agentId": nil}), 400, "invalid-agent-id"},
		{"bad agent", body(connectors.Slack, map[string]any{"agentId": "a b"}), 400, "invalid-agent-id"},
		{"display name too long", body(connectors.Slack, map[string]any{"displayName": strings.Repeat("x", 151)}), 400, "invalid-display-name"},
		{"onboarding message too long", body(connectors.Slack, map[string]any{"onboarding": map[string]any{"enabled": true, "message": long}}), 400, "onboarding-message-too-long"},
		{"onboarding message at the limit", body(connectors.Slack, map[string]any{"onboarding": map[string]any{"enabled": true, "message": long[2:]}}), 201, ""},
		{"unknown field", body(connectors.Slack, map[string]any{"webhookUrl": "https://evil"}), 400, "unknown-field"},
		{"unknown onboarding field", body(connectors.Slack, map[string]any{"onboarding": map[string]any{"mode": "x"}}), 400, "unknown-field"},
		{"no credentials", body(connectors.Slack, map[string]any{"credentials": nil}), 400, "credential-required"},
		{"credential of another provider", body(connectors.Slack, map[string]any{"credentials": map[string]any{"signingSecret": "abcd1234abcd1234", "botToken": "xoxb-1", "authToken": "x"}}), 400, "unknown-credential"},
		{"telegram secret token charset", body(connectors.Telegram, map[string]any{"credentials": map[string]any{"botToken": "1:abc", "secretToken": "no spaces allowed!"}}), 400, "invalid-credential"},
		{"telegram bot token shape", body(connectors.Telegram, map[string]any{"credentials": map[string]any{"botToken": "../../x", "secretToken": "abc"}}), 400, "invalid-credential"},
		{"twilio account sid shape", body(connectors.TwilioSMS, map[string]any{"credentials": map[string]any{"accountSid": "XX123", "authToken": "abc"}}), 400, "invalid-credential"},
		{"teams app id not a GUID", body(connectors.Teams, map[string]any{"credentials": map[string]any{"appId": "bot", "appPassword": "pw"}}), 400, "invalid-credential"},
		{"credential with a space", body(connectors.Slack, map[string]any{"credentials": map[string]any{"signingSecret": "a b", "botToken": "x"}}), 400, "invalid-credential"},
		{"credential not a string", body(connectors.Slack, map[string]any{"credentials": map[string]any{"signingSecret": 5, "botToken": "x"}}), 400, "invalid-field"},
		{"malformed JSON", `{"provider":`, 400, "invalid-json"},
		{"two documents", body(connectors.Slack, nil) + "{}", 400, "invalid-json"},
		{"onboarding defaults to on", body(connectors.Slack, map[string]any{"onboarding": nil}), 201, ""},
	}
	for _, p := range connectors.Providers {
		for k := range creds[p] {
			if k == "tenantId" {
				continue // optional
			}
			cs := map[string]string{}
			for k2, v := range creds[p] {
				if k2 != k {
					cs[k2] = v
				}
			}
			tests = append(tests, struct {
				name, body string
				want       int
				typ        string
			}{fmt.Sprintf("%s without %s", p, k), body(p, map[string]any{"credentials": cs}), 400, "credential-required"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.items(t)
			got := w.Do(t, "POST", base(), w.tokens["admin"], tt.body)
			if got.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", got.Status, tt.want, got.Body)
			}
			if tt.want != 400 {
				return
			}
			if typ := decode(t, got.Body)["type"]; typ != "https://gatehouse.dev/problems/"+tt.typ {
				t.Errorf("type = %v, want %s", typ, tt.typ)
			}
			if after := w.items(t); after != before {
				t.Errorf("items %d → %d: a refused create wrote something", before, after)
			}
		})
	}
}

func TestOnboardingDefaults(t *testing.T) {
	w := newWorld(t)
	res := w.Do(t, "POST", base(), w.tokens["admin"], body(connectors.Slack, map[string]any{"onboarding": nil}))
	got := decode(t, res.Body)["onboarding"].(map[string]any)
	if got["enabled"] != true || got["message"] != connectors.DefaultOnboardingMessage {
		t.Errorf("onboarding = %v, want enabled with the default message", got)
	}
	res = w.Do(t, "POST", base(), w.tokens["admin"], body(connectors.Slack, map[string]any{"onboarding": map[string]any{"enabled": false}}))
	got = decode(t, res.Body)["onboarding"].(map[string]any)
	if got["enabled"] != false || got["message"] != "" {
		t.Errorf("onboarding = %v, want disabled", got)
	}
}

func TestPatch(t *testing.T) {
	w := newWorld(t)
	c := w.create(t, connectors.WhatsApp)
	id := c["id"].(string)
	tests := []struct {
		name, body string
		want       int
		check      func(t *testing.T, got map[string]any)
	}{
		{"rename", `{"displayName":"Sales WhatsApp"}`, 200, func(t *testing.T, got map[string]any) {
			if got["displayName"] != "Sales WhatsApp" {
				t.Errorf("displayName = %v", got["displayName"])
			}
		}},
		{"turn onboarding off keeps the message", `{"onboarding":{"enabled":false}}`, 200, func(t *testing.T, got map[string]any) {
			ob := got["onboarding"].(map[string]any)
			if ob["enabled"] != false || ob["message"] != "Welcome! An operator will let you in soon." {
				t.Errorf("onboarding = %v", ob)
			}
		}},
		{"replace one secret, keep the others", `{"credentials":{"accessToken":"EAAnewtoken0123456789"}}`, 200, func(t *testing.T, got map[string]any) {
			cs := got["credentials"].(map[string]any)
			if cs["accessToken"] != "EAAn…" || cs["appSecret"] != "6f1c…" || len(cs) != 4 {
				t.Errorf("credentials = %v", cs)
			}
		}},
		{"clear a required secret", `{"credentials":{"appSecret":""}}`, 400, nil},
		{"change provider", `{"provider":"SLACK"}`, 400, nil},
		{"change agent", `{"agentId":"agent-2"}`, 400, nil},
		{"same provider is fine", `{"provider":"WHATSAPP"}`, 200, nil},
		{"unknown field", `{"webhookKey":"x"}`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := w.Do(t, "PATCH", path(id), w.tokens["agentadmin"], tt.body)
			if res.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.want, res.Body)
			}
			if tt.check != nil {
				tt.check(t, decode(t, res.Body))
				tt.check(t, decode(t, w.Do(t, "GET", path(id), w.tokens["viewer"], "").Body))
			}
		})
	}
	if got := decode(t, w.Do(t, "GET", path(id), w.tokens["viewer"], "").Body); got["webhookUrl"] != c["webhookUrl"] {
		t.Errorf("webhookUrl changed by PATCH: %v → %v", c["webhookUrl"], got["webhookUrl"])
	}
}

func TestPaths(t *testing.T) {
	w := newWorld(t)
	id := w.create(t, connectors.Slack)["id"].(string)
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", path("not-a-uuid"), 400},
		{"GET", path("00000000-0000-4000-8000-000000000000"), 404},
		{"GET", path(id + ":rotateWebhook"), 404},
		{"POST", path(id), 404},
		{"POST", path(id + ":frobnicate"), 404},
		{"POST", path(id + "%3ArotateWebhook"), 200},
		{"GET", base(), 200},                  // tenant ADMIN may list every agent's
		{"GET", base() + "?foo=1", 400},       // unknown parameter
		{"GET", base() + "?pageSize=0", 400},  // out of range
		{"GET", base() + "?pageToken=x", 400}, // not issued here
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if got := w.Do(t, tt.method, tt.path, w.tokens["admin"], ""); got.Status != tt.want {
				t.Errorf("status %d, want %d: %s", got.Status, tt.want, got.Body)
			}
		})
	}
	if got := w.Do(t, "GET", base(), w.tokens["viewer"], ""); got.Status != 400 {
		t.Errorf("member listing without agentId: %d, want 400", got.Status)
	}
}

func TestListPages(t *testing.T) {
	w := newWorld(t)
	want := map[string]bool{}
	for range 5 {
		want[w.create(t, connectors.Telegram)["id"].(string)] = true
	}
	w.Do(t, "POST", base(), w.tokens["admin"], body(connectors.Slack, map[string]any{"agentId": "agent-2"}))
	got := map[string]bool{}
	tok := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		res := w.Do(t, "GET", base()+"?agentId="+agent+"&pageSize=2&pageToken="+tok, w.tokens["viewer"], "")
		if res.Status != 200 {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		var page connectors.ListResponse
		if err := json.Unmarshal([]byte(res.Body), &page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page.IntegrationConfigs {
			if c.AgentID != agent {
				t.Errorf("listed a connector of %s", c.AgentID)
			}
			got[c.ID] = true
		}
		if tok = page.NextPageToken; tok == "" {
			break
		}
	}
	if len(got) != len(want) {
		t.Errorf("listed %d connectors, want %d", len(got), len(want))
	}
	res := w.Do(t, "GET", base(), w.tokens["admin"], "")
	var all connectors.ListResponse
	_ = json.Unmarshal([]byte(res.Body), &all)
	if len(all.IntegrationConfigs) != 6 {
		t.Errorf("tenant list = %d, want 6", len(all.IntegrationConfigs))
	}
}

// telegramUpdate posts a signed Telegram update to a webhook URL.
func (w *world) telegramUpdate(t *testing.T, webhookURL, secret string, updateID int) int {
	t.Helper()
	p := strings.TrimPrefix(webhookURL, publicBase)
	b := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":1,"from":{"id":4242,"is_bot":false,"first_name":"Fox"},"chat":{"id":4242,"type":"private","first_name":"Fox"},"date":1,"text":"hi"}}`, updateID)
	req := httptest.NewRequest("POST", p, strings.NewReader(b))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	w.Handler.ServeHTTP(rec, req)
	return rec.Code
}

func TestRotateInvalidatesOldURL(t *testing.T) {
	w := newWorld(t)
	c := w.create(t, connectors.Telegram)
	id, oldURL := c["id"].(string), c["webhookUrl"].(string)
	secret := creds[connectors.Telegram]["secretToken"]
	if got := w.telegramUpdate(t, oldURL, secret, 1); got != 200 {
		t.Fatalf("webhook before rotation: %d", got)
	}
	res := w.Do(t, "POST", path(id)+":rotateWebhook", w.tokens["agentadmin"], "")
	if res.Status != 200 {
		t.Fatalf("rotate: %d %s", res.Status, res.Body)
	}
	newURL := decode(t, res.Body)["webhookUrl"].(string)
	if newURL == oldURL {
		t.Fatal("rotation kept the URL")
	}
	if got := w.telegramUpdate(t, oldURL, secret, 2); got != 404 {
		t.Errorf("old URL after rotation: %d, want 404", got)
	}
	if got := w.telegramUpdate(t, newURL, secret, 3); got != 200 {
		t.Errorf("new URL: %d, want 200", got)
	}
	// The old key's lookup item is gone from the table, not just from the cache.
	n, err := w.Table.DB.Table(w.Table.Name).Get("PK", connectors.HookPK(strings.TrimPrefix(oldURL, publicBase+"/v1/hooks/telegram/"))).Count(context.Background())
	if err != nil || n != 0 {
		t.Errorf("old hook items = %d (%v), want 0", n, err)
	}
	if got := w.Do(t, "GET", path(id), w.tokens["viewer"], ""); decode(t, got.Body)["webhookUrl"] != newURL {
		t.Errorf("GET after rotation shows %s", got.Body)
	}
}

func TestDelete(t *testing.T) {
	w := newWorld(t)
	c := w.create(t, connectors.Telegram)
	id, url := c["id"].(string), c["webhookUrl"].(string)
	if got := w.Do(t, "DELETE", path(id), w.tokens["agentadmin"], ""); got.Status != 204 {
		t.Fatalf("delete: %d %s", got.Status, got.Body)
	}
	if got := w.Do(t, "GET", path(id), w.tokens["admin"], ""); got.Status != 404 {
		t.Errorf("get after delete: %d", got.Status)
	}
	if got := w.Do(t, "DELETE", path(id), w.tokens["admin"], ""); got.Status != 404 {
		t.Errorf("second delete: %d", got.Status)
	}
	if got := w.telegramUpdate(t, url, creds[connectors.Telegram]["secretToken"], 1); got != 404 {
		t.Errorf("webhook after delete: %d, want 404", got)
	}
}

// A webhook served from another process's cache sees a rotation within
// the cache TTL; this process forgets at once (tested above). Here the
// Repo with the TTL off always reads.
func TestResolve(t *testing.T) {
	w := newWorld(t)
	c := w.create(t, connectors.Slack)
	key := strings.TrimPrefix(c["webhookUrl"].(string), publicBase+"/v1/hooks/slack/")
	repo := connectors.NewRepo(w.Platform.Store)
	ctx := context.Background()
	tests := []struct {
		name, provider, key string
		found               bool
	}{
		{"right provider", connectors.Slack, key, true},
		{"another provider's route", connectors.Telegram, key, false},
		{"unknown key", connectors.Slack, strings.Repeat("A", connectors.KeyLen), false},
		{"malformed key", connectors.Slack, "short", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.Table.Counter.Calls()
			res, err := repo.Resolve(ctx, tt.provider, tt.key)
			if tt.found != (err == nil) {
				t.Fatalf("Resolve = %v", err)
			}
			if tt.found && (res.Tenant != tenant || res.Connector.ID != c["id"] || res.Connector.Credentials["botToken"] == "") {
				t.Errorf("resolved %+v", res)
			}
			if tt.name == "malformed key" && w.Table.Counter.Calls() != before {
				t.Errorf("a malformed key cost %d reads", w.Table.Counter.Calls()-before)
			}
		})
	}
	before := w.Table.Counter.Calls()
	if _, err := repo.Resolve(ctx, connectors.Slack, key); err != nil {
		t.Fatal(err)
	}
	if n := w.Table.Counter.Calls() - before; n != 0 {
		t.Errorf("a cached resolve cost %d calls, want 0", n)
	}
}
