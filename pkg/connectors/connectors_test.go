package connectors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/chatkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const (
	tenant     = "acme"
	agent      = "agent-1"
	publicBase = "https://hooks.example.test"
)

// Realistic-looking parameters; every secret is long and distinctive.
var creds = map[string]map[string]string{
	connectors.Slack:     {"signingSecret": "8f742231b10e8888abcd99yyyzzz85a5", "botToken": "xoxb-1111-2222-abcdefghijklmnop"},
	connectors.Telegram:  {"botToken": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "secretToken": "tg_secret-token-0123456789"},
	connectors.WhatsApp:  {"appSecret": "6f1c3c568a4e4e599a530d2f8f3c1a11", "verifyToken": "meta-verify-token-123456", "accessToken": "EAAGm0PX4ZCpsBAabcdefghijklmnop", "phoneNumberId": "106540352242922"},
	connectors.TwilioSMS: {"accountSid": "ACa1b2c3d4e5f60718293a4b5c6d7e8f90", "authToken": "f00dfeedauthtoken0123456789abcdef"},
	connectors.Teams:     {"appId": "8e0b6a1c-3f0e-4a55-9d1f-2f7c5e9a1b11", "appPassword": "teams~app~password~0123456789", "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
}

// secrets are the parameters responses must never show.
var secrets = []string{"signingSecret", "botToken", "secretToken", "appSecret", "verifyToken", "accessToken", "authToken", "appPassword"}

type world struct {
	*apikit.Env
	standIn *chatkit.Server
	tokens  map[string]string
}

// ourRoutes are the configs API and the webhooks over one connectors
// repository, as in the dev server.
func ourRoutes(d *routes.Deps) ([]httpapi.Route, error) {
	a, err := connectors.Routes(d.Platform, d.Connectors, d.Config.Connectors)
	if err != nil {
		return nil, err
	}
	b, err := inbound.Routes(d.Platform, d.Connectors, d.Config.Inbound)
	return append(a, b...), err
}

func newWorld(t *testing.T) *world {
	t.Helper()
	si, err := chatkit.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(si.Close)
	e := apikit.NewWith(t, ourRoutes, routes.Config{PublicBaseURL: publicBase,
		Connectors: connectors.Config{TelegramAPIURL: si.Env()["TELEGRAM_API_URL"]}})
	w := &world{Env: e, standIn: si, tokens: map[string]string{}}
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

func base(provider string) string {
	return "/v1/tenants/" + tenant + "/integrations/" + connectors.IntegrationID(provider) + "/configs"
}
func path(provider, id string) string { return base(provider) + "/" + id }

func body(provider string, extra map[string]any) string {
	b := map[string]any{"agentId": agent, "displayName": "Support " + provider,
		"onboarding": map[string]any{"enabled": true, "message": "Welcome! An operator will let you in soon."},
		"parameters": creds[provider]}
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

func problemType(t *testing.T, s string) string {
	t.Helper()
	typ, _ := decode(t, s)["type"].(string)
	return strings.TrimPrefix(typ, "https://gatehouse.dev/problems/")
}

// create makes a config as the tenant ADMIN and returns its view.
func (w *world) create(t *testing.T, provider string) map[string]any {
	t.Helper()
	res := w.Do(t, "POST", base(provider), w.tokens["admin"], body(provider, nil))
	if res.Status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", provider, res.Status, res.Body)
	}
	return decode(t, res.Body)
}

// generate mints the config's webhook URL and returns it.
func (w *world) generate(t *testing.T, provider, id string) string {
	t.Helper()
	res := w.Do(t, "POST", path(provider, id)+":generateWebhookUrl", w.tokens["admin"], "")
	if res.Status != http.StatusOK {
		t.Fatalf("generate: %d %s", res.Status, res.Body)
	}
	return decode(t, res.Body)["webhookUrl"].(string)
}

// items returns every item in the table, as JSON.
func (w *world) items(t *testing.T) []string {
	t.Helper()
	var all []map[string]any
	if err := w.Table.DB.Table(w.Table.Name).Scan().All(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(all))
	for _, it := range all {
		b, _ := json.Marshal(it)
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

func TestCreateShape(t *testing.T) {
	w := newWorld(t)
	for _, p := range connectors.Providers {
		t.Run(p, func(t *testing.T) {
			res := w.Do(t, "POST", base(p), w.tokens["agentadmin"], body(p, map[string]any{"integrationId": "something-else"}))
			if res.Status != http.StatusCreated {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			got := decode(t, res.Body)
			if loc := res.Header.Get("Location"); loc != path(p, got["id"].(string)) {
				t.Errorf("Location = %q", loc)
			}
			want := map[string]any{"integrationId": connectors.IntegrationID(p), "displayName": "Support " + p, "hasAuth": true,
				"hasAuthMap": false, "authMethodId": nil, "auth": nil, "authMapEntries": []any{}, "sandboxMode": "NONE",
				"sandboxVariant": nil, "publishedRevisionId": nil, "createdBy": "agentadmin", "agentId": agent,
				"webhookUrlTemplate": publicBase + "/v1/hooks/" + strings.ToLower(p) + "/{webhookKey}", "webhookKeyPrefix": nil}
			for k, v := range want {
				if g, _ := json.Marshal(got[k]); string(g) != mustJSON(v) {
					t.Errorf("%s = %s, want %s", k, g, mustJSON(v))
				}
			}
			var secretNames, publicNames []string
			for k := range creds[p] {
				if slices.Contains(secrets, k) {
					secretNames = append(secretNames, k)
				} else {
					publicNames = append(publicNames, k)
				}
			}
			sort.Strings(secretNames)
			if g, _ := json.Marshal(got["secretParameters"]); string(g) != mustJSON(secretNames) {
				t.Errorf("secretParameters = %s, want %v", g, secretNames)
			}
			params := got["parameters"].(map[string]any)
			if len(params) != len(publicNames) {
				t.Errorf("parameters = %v, want only %v", params, publicNames)
			}
			for _, k := range publicNames {
				if params[k] != creds[p][k] {
					t.Errorf("parameters.%s = %v, want %s", k, params[k], creds[p][k])
				}
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Secrets and webhook keys never leave the API after they were given or
// shown, whatever the call; the table holds no plaintext key.
func TestSecretsNeverReturned(t *testing.T) {
	w := newWorld(t)
	var bodies, keys []string
	for _, p := range connectors.Providers {
		id := w.create(t, p)["id"].(string)
		first := w.generate(t, p, id)
		rotated := w.Do(t, "POST", path(p, id)+"/webhook:rotate", w.tokens["agentadmin"], "")
		second := decode(t, rotated.Body)["webhookUrl"].(string)
		keys = append(keys, first[len(first)-connectors.KeyLen:], second[len(second)-connectors.KeyLen:])
		bodies = append(bodies,
			w.Do(t, "GET", path(p, id), w.tokens["viewer"], "").Body,
			w.Do(t, "PATCH", path(p, id), w.tokens["agentadmin"], `{"displayName":"renamed"}`).Body,
			w.Do(t, "GET", base(p)+"?agentId="+agent, w.tokens["viewer"], "").Body)
	}
	for _, b := range bodies {
		for _, cs := range creds {
			for k, secret := range cs {
				if slices.Contains(secrets, k) && (strings.Contains(b, secret) || strings.Contains(b, secret[:8])) {
					t.Errorf("response reveals %s: %s", k, b)
				}
			}
		}
		for _, k := range keys {
			if strings.Contains(b, k) {
				t.Errorf("a read reveals a webhook key: %s", b)
			}
		}
	}
	for _, it := range w.items(t) {
		for _, k := range keys {
			if strings.Contains(it, k) {
				t.Errorf("the table holds a plaintext webhook key: %s", it)
			}
		}
	}
}

func TestRoles(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		who                                         string
		create, read, list, patch, gen, rotate, del int
	}{
		{"admin", 201, 200, 200, 200, 200, 200, 204},
		{"agentadmin", 201, 200, 200, 200, 200, 200, 204},
		{"editor", 403, 200, 200, 403, 403, 403, 403},
		{"viewer", 403, 200, 200, 403, 403, 403, 403},
		{"nobody", 404, 404, 404, 404, 404, 404, 404},
		{"stranger", 404, 404, 404, 404, 404, 404, 404},
		{"", 401, 401, 401, 401, 401, 401, 401},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			tok := w.tokens[tt.who]
			id := w.create(t, connectors.Slack)["id"].(string)
			bound := w.create(t, connectors.Slack)["id"].(string)
			w.generate(t, connectors.Slack, bound)
			check := func(what string, got apikit.Response, want int) {
				t.Helper()
				if got.Status != want {
					t.Errorf("%s: status %d, want %d: %s", what, got.Status, want, got.Body)
				}
			}
			check("create", w.Do(t, "POST", base(connectors.Telegram), tok, body(connectors.Telegram, nil)), tt.create)
			check("get", w.Do(t, "GET", path(connectors.Slack, id), tok, ""), tt.read)
			check("list", w.Do(t, "GET", base(connectors.Slack)+"?agentId="+agent, tok, ""), tt.list)
			check("patch", w.Do(t, "PATCH", path(connectors.Slack, id), tok, `{"displayName":"x"}`), tt.patch)
			check("generate", w.Do(t, "POST", path(connectors.Slack, id)+":generateWebhookUrl", tok, ""), tt.gen)
			check("rotate", w.Do(t, "POST", path(connectors.Slack, bound)+"/webhook:rotate", tok, ""), tt.rotate)
			check("delete", w.Do(t, "DELETE", path(connectors.Slack, id), tok, ""), tt.del)
		})
	}
}

func TestValidation(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name, provider, body string
		want                 int
		typ                  string
	}{
		{"no agent", connectors.Slack, body(connectors.Slack, map[string]any{"agentId": nil}), 400, "invalid-agent-id"},
		{"bad agent", connectors.Slack, body(connectors.Slack, map[string]any{"agentId": "a b"}), 400, "invalid-agent-id"},
		{"no display name", connectors.Slack, body(connectors.Slack, map[string]any{"displayName": nil}), 400, "invalid-display-name"},
		{"display name too long", connectors.Slack, body(connectors.Slack, map[string]any{"displayName": strings.Repeat("x", 151)}), 400, "invalid-display-name"},
		{"sms onboarding message over 1600", connectors.TwilioSMS, body(connectors.TwilioSMS, map[string]any{"onboarding": map[string]any{"enabled": true, "message": strings.Repeat("é", 1601)}}), 400, "onboarding-message-too-long"},
		{"sms onboarding message at 1600", connectors.TwilioSMS, body(connectors.TwilioSMS, map[string]any{"onboarding": map[string]any{"enabled": true, "message": strings.Repeat("é", 1600)}}), 201, ""},
		{"telegram message at 4096", connectors.Telegram, body(connectors.Telegram, map[string]any{"onboarding": map[string]any{"enabled": true, "message": strings.Repeat("é", 4096)}}), 201, ""},
		{"telegram message over 4096", connectors.Telegram, body(connectors.Telegram, map[string]any{"onboarding": map[string]any{"enabled": true, "message": strings.Repeat("é", 4097)}}), 400, "onboarding-message-too-long"},
		{"unknown field", connectors.Slack, body(connectors.Slack, map[string]any{"webhookUrl": "https://evil"}), 400, "unknown-field"},
		{"old credentials field", connectors.Slack, body(connectors.Slack, map[string]any{"credentials": creds[connectors.Slack]}), 400, "unknown-field"},
		{"sms approved message over 1600", connectors.TwilioSMS, body(connectors.TwilioSMS, map[string]any{"approvedMessage": strings.Repeat("é", 1601)}), 400, "approved-message-too-long"},
		{"sms rejected message at 1600", connectors.TwilioSMS, body(connectors.TwilioSMS, map[string]any{"rejectedMessage": strings.Repeat("é", 1600)}), 201, ""},
		{"slack rejected message over 4000", connectors.Slack, body(connectors.Slack, map[string]any{"rejectedMessage": strings.Repeat("x", 4001)}), 400, "rejected-message-too-long"},
		{"unknown onboarding field", connectors.Slack, body(connectors.Slack, map[string]any{"onboarding": map[string]any{"mode": "x"}}), 400, "unknown-field"},
		{"auth object", connectors.Slack, body(connectors.Slack, map[string]any{"auth": map[string]any{"authMethodId": "x"}}), 400, "unsupported-field"},
		{"authMap", connectors.Slack, body(connectors.Slack, map[string]any{"authMap": []any{}}), 400, "unsupported-field"},
		{"oAuthCredentialKey", connectors.Slack, body(connectors.Slack, map[string]any{"oAuthCredentialKey": "k"}), 400, "unsupported-field"},
		{"sandboxVariant", connectors.Slack, body(connectors.Slack, map[string]any{"sandboxVariant": map[string]any{}}), 400, "unsupported-field"},
		{"documented nulls", connectors.Slack, `{"integrationId":null,"displayName":"x","agentId":"agent-1","auth":null,"authMap":null,"sandboxVariant":null,"oAuthCredentialKey":null,"sandboxMode":"UNSPECIFIED","parameters":{"signingSecret":"abcd1234abcd1234","botToken":"xoxb-1"}}`, 201, ""},
		{"sandbox NONE any case", connectors.Slack, body(connectors.Slack, map[string]any{"sandboxMode": "none"}), 201, ""},
		{"sandbox SIMULATED", connectors.Slack, body(connectors.Slack, map[string]any{"sandboxMode": "SIMULATED"}), 400, "unsupported-sandbox-mode"},
		{"sandbox unknown", connectors.Slack, body(connectors.Slack, map[string]any{"sandboxMode": "LIVE"}), 400, "invalid-sandbox-mode"},
		{"no parameters", connectors.Slack, body(connectors.Slack, map[string]any{"parameters": nil}), 400, "parameter-required"},
		{"parameter of another provider", connectors.Slack, body(connectors.Slack, map[string]any{"parameters": map[string]any{"signingSecret": "abcd1234abcd1234", "botToken": "xoxb-1", "authToken": "x"}}), 400, "unknown-parameter"},
		{"telegram secret token charset", connectors.Telegram, body(connectors.Telegram, map[string]any{"parameters": map[string]any{"botToken": "1:abc", "secretToken": "no spaces allowed!"}}), 400, "invalid-parameter"},
		{"telegram bot token shape", connectors.Telegram, body(connectors.Telegram, map[string]any{"parameters": map[string]any{"botToken": "../../x", "secretToken": "abc"}}), 400, "invalid-parameter"},
		{"twilio account sid shape", connectors.TwilioSMS, body(connectors.TwilioSMS, map[string]any{"parameters": map[string]any{"accountSid": "XX123", "authToken": "abc"}}), 400, "invalid-parameter"},
		{"teams app id not a GUID", connectors.Teams, body(connectors.Teams, map[string]any{"parameters": map[string]any{"appId": "bot", "appPassword": "pw"}}), 400, "invalid-parameter"},
		{"parameter with a space", connectors.Slack, body(connectors.Slack, map[string]any{"parameters": map[string]any{"signingSecret": "a b", "botToken": "x"}}), 400, "invalid-parameter"},
		{"parameter not a string", connectors.Slack, body(connectors.Slack, map[string]any{"parameters": map[string]any{"signingSecret": 5, "botToken": "x"}}), 400, "invalid-field"},
		{"malformed JSON", connectors.Slack, `{"displayName":`, 400, "invalid-json"},
		{"two documents", connectors.Slack, body(connectors.Slack, nil) + "{}", 400, "invalid-json"},
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
				name, provider, body string
				want                 int
				typ                  string
			}{fmt.Sprintf("%s without %s", p, k), p, body(p, map[string]any{"parameters": cs}), 400, "parameter-required"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(w.items(t))
			got := w.Do(t, "POST", base(tt.provider), w.tokens["admin"], tt.body)
			if got.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", got.Status, tt.want, got.Body)
			}
			if tt.want != 400 {
				return
			}
			if typ := problemType(t, got.Body); typ != tt.typ {
				t.Errorf("type = %v, want %s", typ, tt.typ)
			}
			if after := len(w.items(t)); after != before {
				t.Errorf("items %d → %d: a refused create wrote something", before, after)
			}
		})
	}
}

// Onboarding is off ("Allow All") unless asked for, as documented.
func TestOnboardingDefaults(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name       string
		onboarding any
		want       connectors.Onboarding
	}{
		{"absent: allow all", nil, connectors.Onboarding{}},
		{"enabled without a message", map[string]any{"enabled": true}, connectors.Onboarding{Enabled: true, Message: connectors.DefaultOnboardingMessage}},
		{"enabled with a message", map[string]any{"enabled": true, "message": " Hi "}, connectors.Onboarding{Enabled: true, Message: "Hi"}},
		{"disabled with a message", map[string]any{"enabled": false, "message": "Hi"}, connectors.Onboarding{Message: "Hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := map[string]any{"onboarding": tt.onboarding}
			res := w.Do(t, "POST", base(connectors.Slack), w.tokens["admin"], body(connectors.Slack, b))
			var got struct{ Onboarding connectors.Onboarding }
			if err := json.Unmarshal([]byte(res.Body), &got); err != nil || got.Onboarding != tt.want {
				t.Errorf("onboarding = %+v (%v), want %+v", got.Onboarding, err, tt.want)
			}
		})
	}
}

func TestPatch(t *testing.T) {
	w := newWorld(t)
	c := w.create(t, connectors.WhatsApp)
	id := c["id"].(string)
	url := w.generate(t, connectors.WhatsApp, id)
	repo := connectors.NewRepo(w.Platform.Store)
	stored := func(t *testing.T) connectors.Connector {
		got, err := repo.Get(context.Background(), tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	tests := []struct {
		name, body string
		want       int
		check      func(t *testing.T, got map[string]any, c connectors.Connector)
	}{
		{"rename", `{"displayName":"Sales WhatsApp"}`, 200, func(t *testing.T, got map[string]any, _ connectors.Connector) {
			if got["displayName"] != "Sales WhatsApp" {
				t.Errorf("displayName = %v", got["displayName"])
			}
		}},
		{"nulls keep everything", `{"displayName":null,"onboarding":null,"parameters":null,"agentId":null}`, 200, func(t *testing.T, got map[string]any, _ connectors.Connector) {
			if got["displayName"] != "Sales WhatsApp" {
				t.Errorf("displayName = %v", got["displayName"])
			}
		}},
		{"turn onboarding off keeps the message", `{"onboarding":{"enabled":false}}`, 200, func(t *testing.T, got map[string]any, _ connectors.Connector) {
			ob := got["onboarding"].(map[string]any)
			if ob["enabled"] != false || ob["message"] != "Welcome! An operator will let you in soon." {
				t.Errorf("onboarding = %v", ob)
			}
		}},
		{"set the decision messages", `{"approvedMessage":" You're in! ","rejectedMessage":"Not now."}`, 200, func(t *testing.T, got map[string]any, c connectors.Connector) {
			if got["approvedMessage"] != "You're in!" || got["rejectedMessage"] != "Not now." || c.ApprovedMessage != "You're in!" || c.RejectedMessage != "Not now." {
				t.Errorf("view %v / %v, stored %q / %q", got["approvedMessage"], got["rejectedMessage"], c.ApprovedMessage, c.RejectedMessage)
			}
		}},
		{"null keeps a decision message, empty clears one", `{"approvedMessage":null,"rejectedMessage":""}`, 200, func(t *testing.T, got map[string]any, c connectors.Connector) {
			if got["approvedMessage"] != "You're in!" || got["rejectedMessage"] != nil || c.RejectedMessage != "" {
				t.Errorf("view %v / %v, stored %q", got["approvedMessage"], got["rejectedMessage"], c.RejectedMessage)
			}
		}},
		{"replace one secret, keep the others", `{"parameters":{"accessToken":"EAAnewtoken0123456789","appSecret":null}}`, 200, func(t *testing.T, got map[string]any, c connectors.Connector) {
			if c.Secrets.WhatsApp.AccessToken != "EAAnewtoken0123456789" || c.Secrets.WhatsApp.AppSecret != creds[connectors.WhatsApp]["appSecret"] || len(c.Credentials) != 4 {
				t.Errorf("stored %+v", c.Secrets.WhatsApp)
			}
		}},
		{"replace a public parameter", `{"parameters":{"phoneNumberId":"106540352242999"}}`, 200, func(t *testing.T, got map[string]any, _ connectors.Connector) {
			if got["parameters"].(map[string]any)["phoneNumberId"] != "106540352242999" {
				t.Errorf("parameters = %v", got["parameters"])
			}
		}},
		{"clear a required secret", `{"parameters":{"appSecret":""}}`, 400, nil},
		{"change agent", `{"agentId":"agent-2"}`, 400, nil},
		{"same agent is fine", `{"agentId":"agent-1"}`, 200, nil},
		{"integrationId is not a PATCH field", `{"integrationId":"whatsapp"}`, 400, nil},
		{"unknown field", `{"webhookKey":"x"}`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := w.Do(t, "PATCH", path(connectors.WhatsApp, id), w.tokens["agentadmin"], tt.body)
			if res.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.want, res.Body)
			}
			if tt.check != nil {
				tt.check(t, decode(t, res.Body), stored(t))
				tt.check(t, decode(t, w.Do(t, "GET", path(connectors.WhatsApp, id), w.tokens["viewer"], "").Body), stored(t))
			}
		})
	}
	// PATCH keeps the webhook URL working, with the new secret at once.
	got := decode(t, w.Do(t, "GET", path(connectors.WhatsApp, id), w.tokens["viewer"], "").Body)
	if got["webhookKeyPrefix"] != url[len(url)-connectors.KeyLen:][:connectors.KeyPrefixLen] {
		t.Errorf("webhookKeyPrefix = %v", got["webhookKeyPrefix"])
	}
	res, err := repo.Resolve(context.Background(), connectors.WhatsApp, url[len(url)-connectors.KeyLen:])
	if err != nil || res.Connector.Secrets.WhatsApp.AccessToken != "EAAnewtoken0123456789" {
		t.Errorf("resolve after PATCH = %+v, %v", res.Connector.Secrets.WhatsApp, err)
	}
}

func TestPaths(t *testing.T) {
	w := newWorld(t)
	id := w.create(t, connectors.Slack)["id"].(string)
	tg := w.create(t, connectors.Telegram)["id"].(string)
	slack := "/v1/tenants/" + tenant + "/integrations/Slack/configs/"
	tests := []struct {
		method, path string
		want         int
		typ          string
	}{
		{"GET", slack + id, 200, ""},                             // integration matched case-insensitively
		{"GET", path(connectors.Telegram, id), 404, "not-found"}, // a Slack config under telegram
		{"GET", "/v1/tenants/" + tenant + "/integrations/signal/configs", 404, "not-found"},
		{"GET", path(connectors.Slack, "not-a-uuid"), 400, "invalid-id"},
		{"GET", path(connectors.Slack, "00000000-0000-4000-8000-000000000000"), 404, "not-found"},
		{"GET", path(connectors.Slack, id+":generateWebhookUrl"), 404, "not-found"},
		{"POST", path(connectors.Slack, id), 404, "not-found"},
		{"POST", path(connectors.Slack, id+":frobnicate"), 404, "not-found"},
		{"POST", path(connectors.Slack, id+":publish"), 400, "unsupported-action"},
		{"POST", path(connectors.Slack, id+":rollback"), 400, "unsupported-action"},
		{"POST", path(connectors.Slack, id+":verifyConfig"), 400, "unsupported-action"},
		{"POST", path(connectors.Slack, id+"/webhook:frobnicate"), 404, "not-found"},
		{"POST", path(connectors.Slack, id+"%3AgenerateWebhookUrl"), 200, ""},
		{"POST", path(connectors.Slack, id+"/webhook%3Arotate"), 200, ""},
		{"POST", path(connectors.Telegram, tg+"/webhook:rotate"), 400, "no-webhook-key"},
		{"GET", base(connectors.Slack), 200, ""}, // tenant ADMIN may list every agent's
		{"GET", base(connectors.Slack) + "?foo=1", 400, "unknown-parameter"},
		{"GET", base(connectors.Slack) + "?pageSize=0", 400, "invalid-page-size"},
		{"GET", base(connectors.Slack) + "?pageToken=x", 400, "invalid-page-token"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			got := w.Do(t, tt.method, tt.path, w.tokens["admin"], "")
			if got.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", got.Status, tt.want, got.Body)
			}
			if tt.typ != "" && problemType(t, got.Body) != tt.typ {
				t.Errorf("type = %s, want %s", problemType(t, got.Body), tt.typ)
			}
		})
	}
	if got := w.Do(t, "GET", base(connectors.Slack), w.tokens["viewer"], ""); got.Status != 400 {
		t.Errorf("member listing without agentId: %d, want 400", got.Status)
	}
}

// A list is a bare array of one integration's configs, paged with Link.
func TestListPages(t *testing.T) {
	w := newWorld(t)
	want := map[string]bool{}
	for range 5 {
		want[w.create(t, connectors.Telegram)["id"].(string)] = true
	}
	w.create(t, connectors.Slack) // another integration
	w.Do(t, "POST", base(connectors.Telegram), w.tokens["admin"], body(connectors.Telegram, map[string]any{"agentId": "agent-2"}))
	got := map[string]bool{}
	next := base(connectors.Telegram) + "?AgentId=" + agent + "&pageSize=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		res := w.Do(t, "GET", strings.TrimPrefix(next, publicBase), w.tokens["viewer"], "")
		if res.Status != 200 {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		var page []connectors.View
		if err := json.Unmarshal([]byte(res.Body), &page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			if c.AgentID != agent || c.IntegrationID != "telegram" {
				t.Errorf("listed %s's %s config", c.AgentID, c.IntegrationID)
			}
			got[c.ID] = true
		}
		next = ""
		if link := res.Header.Get("Link"); link != "" {
			u, ok := strings.CutSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
			if !ok {
				t.Fatalf("Link = %q", link)
			}
			next = u
		}
	}
	if len(got) != len(want) {
		t.Errorf("listed %d configs, want %d", len(got), len(want))
	}
	var all []connectors.View
	_ = json.Unmarshal([]byte(w.Do(t, "GET", base(connectors.Telegram), w.tokens["admin"], "").Body), &all)
	if len(all) != 6 {
		t.Errorf("tenant list = %d, want 6 (both agents' telegram configs)", len(all))
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

// The documented lifecycle: no URL at create, one shown once by
// :generateWebhookUrl, replaced by /webhook:rotate; reads show the
// template and prefix only.
func TestWebhookLifecycle(t *testing.T) {
	w := newWorld(t)
	secret := creds[connectors.Telegram]["secretToken"]
	c := w.create(t, connectors.Telegram)
	id := c["id"].(string)
	if c["webhookKeyPrefix"] != nil {
		t.Fatalf("create bound a key: %v", c)
	}
	if res := w.Do(t, "POST", path(connectors.Telegram, id)+"/webhook:rotate", w.tokens["admin"], ""); res.Status != 400 || problemType(t, res.Body) != "no-webhook-key" {
		t.Errorf("rotate before generate: %d %s", res.Status, res.Body)
	}
	res := w.Do(t, "POST", path(connectors.Telegram, id)+":generateWebhookUrl", w.tokens["agentadmin"], "{}")
	gen := decode(t, res.Body)
	oldURL, _ := gen["webhookUrl"].(string)
	key, ok := strings.CutPrefix(oldURL, publicBase+"/v1/hooks/telegram/")
	if res.Status != 200 || !ok || !connectors.ValidWebhookKey(key) || gen["webhookKeyPrefix"] != key[:connectors.KeyPrefixLen] {
		t.Fatalf("generate: %d %s", res.Status, res.Body)
	}
	if got := decode(t, w.Do(t, "GET", path(connectors.Telegram, id), w.tokens["viewer"], "").Body); got["webhookKeyPrefix"] != gen["webhookKeyPrefix"] {
		t.Errorf("GET webhookKeyPrefix = %v, want %v", got["webhookKeyPrefix"], gen["webhookKeyPrefix"])
	}
	if res := w.Do(t, "POST", path(connectors.Telegram, id)+":generateWebhookUrl", w.tokens["admin"], ""); res.Status != 400 || problemType(t, res.Body) != "webhook-key-bound" {
		t.Errorf("second generate: %d %s", res.Status, res.Body)
	}
	if got := w.telegramUpdate(t, oldURL, secret, 1); got != 200 {
		t.Fatalf("webhook before rotation: %d", got)
	}
	res = w.Do(t, "POST", path(connectors.Telegram, id)+"/webhook:rotate", w.tokens["agentadmin"], "")
	newURL, _ := decode(t, res.Body)["webhookUrl"].(string)
	if res.Status != 200 || newURL == oldURL || !strings.HasPrefix(newURL, publicBase+"/v1/hooks/telegram/") {
		t.Fatalf("rotate: %d %s", res.Status, res.Body)
	}
	if got := w.telegramUpdate(t, oldURL, secret, 2); got != 404 {
		t.Errorf("old URL after rotation: %d, want 404", got)
	}
	if got := w.telegramUpdate(t, newURL, secret, 3); got != 200 {
		t.Errorf("new URL: %d, want 200", got)
	}
	if got := w.Do(t, "DELETE", path(connectors.Telegram, id), w.tokens["agentadmin"], ""); got.Status != 204 {
		t.Fatalf("delete: %d %s", got.Status, got.Body)
	}
	if got := w.telegramUpdate(t, newURL, secret, 4); got != 404 {
		t.Errorf("webhook after delete: %d, want 404", got)
	}
	for _, it := range w.items(t) {
		if strings.Contains(it, "HOOK#") || strings.Contains(it, `"PK":"T#`+tenant+`#CFG#`+id) {
			t.Errorf("left after delete: %s", it)
		}
	}
}

// Another warm process (its own Repo, cache filled) sees a rotation, a
// deletion and a secret change at once: every resolve reads the key item.
func TestResolveAcrossProcesses(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := w.create(t, connectors.Slack)["id"].(string)
	url := w.generate(t, connectors.Slack, id)
	key := url[len(url)-connectors.KeyLen:]
	other := connectors.NewRepo(w.Platform.Store)
	if _, err := other.Resolve(ctx, connectors.Slack, key); err != nil {
		t.Fatal(err)
	}
	before := w.Table.Counter.Calls()
	if _, err := other.Resolve(ctx, connectors.Slack, key); err != nil {
		t.Fatal(err)
	}
	if n := w.Table.Counter.Calls() - before; n != 1 {
		t.Errorf("a warm resolve cost %d calls, want 1 (the key item)", n)
	}

	w.Do(t, "PATCH", path(connectors.Slack, id), w.tokens["admin"], `{"parameters":{"signingSecret":"new-signing-secret-0123456789"}}`)
	res, err := other.Resolve(ctx, connectors.Slack, key)
	if err != nil || res.Connector.Secrets.Slack.SigningSecret != "new-signing-secret-0123456789" {
		t.Errorf("after PATCH the other process resolves %+v, %v", res.Connector.Secrets.Slack, err)
	}
	rot := decode(t, w.Do(t, "POST", path(connectors.Slack, id)+"/webhook:rotate", w.tokens["admin"], "").Body)["webhookUrl"].(string)
	newKey := rot[len(rot)-connectors.KeyLen:]
	tests := []struct {
		name, provider, key string
		found               bool
	}{
		{"rotated-away key", connectors.Slack, key, false},
		{"new key", connectors.Slack, newKey, true},
		{"another provider's route", connectors.Telegram, newKey, false},
		{"unknown key", connectors.Slack, strings.Repeat("A", connectors.KeyLen), false},
		{"the key's hash is no key", connectors.Slack, connectors.KeyHash(newKey), false},
		{"malformed key", connectors.Slack, "short", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.Table.Counter.Calls()
			res, err := other.Resolve(ctx, tt.provider, tt.key)
			if tt.found != (err == nil) || (err != nil && err != store.ErrNotFound) {
				t.Fatalf("Resolve = %v", err)
			}
			if tt.found && (res.Tenant != tenant || res.Connector.ID != id || res.Connector.WebhookKey != tt.key) {
				t.Errorf("resolved %+v", res)
			}
			if tt.name == "malformed key" && w.Table.Counter.Calls() != before {
				t.Errorf("a malformed key cost %d reads", w.Table.Counter.Calls()-before)
			}
		})
	}
	w.Do(t, "DELETE", path(connectors.Slack, id), w.tokens["admin"], "")
	if _, err := other.Resolve(ctx, connectors.Slack, newKey); err != store.ErrNotFound {
		t.Errorf("after delete the other process resolves: %v", err)
	}
}

func TestApplyWebhookToProvider(t *testing.T) {
	w := newWorld(t)
	tg := w.create(t, connectors.Telegram)["id"].(string)
	unbound := w.create(t, connectors.Telegram)["id"].(string)
	url := w.generate(t, connectors.Telegram, tg)
	apply := func(p, id string) string { return path(p, id) + ":applyWebhookToProvider" }
	others := map[string]string{connectors.Slack: "Event Subscriptions", connectors.TwilioSMS: "Messaging Configuration",
		connectors.WhatsApp: "Verify token", connectors.Teams: "Messaging endpoint"}
	type want struct {
		status  int
		typ     string
		applied bool
		errMsg  string
	}
	tests := []struct {
		name, path, body string
		fail             int // stand-in answers this status
		want             want
	}{
		{"registers the URL", apply(connectors.Telegram, tg), `{"webhookUrl":"` + url + `"}`, 0, want{200, "", true, ""}},
		{"again: already set", apply(connectors.Telegram, tg), `{"webhookUrl":"` + url + `"}`, 0, want{200, "", true, ""}},
		{"telegram refuses the token", apply(connectors.Telegram, tg), `{"webhookUrl":"` + url + `"}`, 401, want{200, "", false, "Unauthorized"}},
		{"telegram fails", apply(connectors.Telegram, tg), `{"webhookUrl":"` + url + `"}`, 500, want{200, "", false, "Internal Server Error"}},
		{"not the current URL", apply(connectors.Telegram, tg), `{"webhookUrl":"` + publicBase + "/v1/hooks/telegram/" + strings.Repeat("A", connectors.KeyLen) + `"}`, 0, want{400, "webhook-url-mismatch", false, ""}},
		{"no URL", apply(connectors.Telegram, tg), `{"webhookUrl":null}`, 0, want{400, "webhook-url-mismatch", false, ""}},
		{"no key yet", apply(connectors.Telegram, unbound), `{"webhookUrl":"` + url + `"}`, 0, want{400, "no-webhook-key", false, ""}},
		{"unknown field", apply(connectors.Telegram, tg), `{"url":"x"}`, 0, want{400, "unknown-field", false, ""}},
	}
	for p := range others {
		id := w.create(t, p)["id"].(string)
		tests = append(tests, struct {
			name, path, body string
			fail             int
			want             want
		}{"no registration API: " + p, apply(p, id), `{"webhookUrl":"` + w.generate(t, p, id) + `"}`, 0, want{400, "no-webhook-registration-api", false, ""}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fail != 0 {
				w.standIn.FailNext(connectors.Telegram, tt.fail)
			}
			res := w.Do(t, "POST", tt.path, w.tokens["agentadmin"], tt.body)
			if res.Status != tt.want.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.want.status, res.Body)
			}
			got := decode(t, res.Body)
			if tt.want.status != 200 {
				if problemType(t, res.Body) != tt.want.typ {
					t.Errorf("type = %s, want %s", problemType(t, res.Body), tt.want.typ)
				}
				for p, where := range others {
					if strings.HasSuffix(tt.name, p) && !strings.Contains(got["detail"].(string), where) {
						t.Errorf("detail %q does not say %q", got["detail"], where)
					}
				}
				return
			}
			if got["applied"] != tt.want.applied {
				t.Errorf("applied = %v, want %v: %s", got["applied"], tt.want.applied, res.Body)
			}
			if msg, _ := got["errorMessage"].(string); tt.want.errMsg != "" && !strings.Contains(msg, tt.want.errMsg) || tt.want.errMsg == "" && got["errorMessage"] != nil {
				t.Errorf("errorMessage = %v, want %q", got["errorMessage"], tt.want.errMsg)
			}
		})
	}
	hook := w.standIn.TelegramWebhookOf(creds[connectors.Telegram]["botToken"])
	if hook.URL != url || hook.SecretToken != creds[connectors.Telegram]["secretToken"] {
		t.Errorf("Telegram holds %+v, want the URL and the config's secret token", hook)
	}
}

func TestInspectWebhook(t *testing.T) {
	w := newWorld(t)
	tg := w.create(t, connectors.Telegram)["id"].(string)
	slack := w.create(t, connectors.Slack)["id"].(string)
	url := w.generate(t, connectors.Telegram, tg)
	bot := creds[connectors.Telegram]["botToken"]
	inspect := path(connectors.Telegram, tg) + ":inspectWebhook"
	tests := []struct {
		name  string
		setup func()
		body  string
		fail  int
		want  connectors.InspectResult
	}{
		{"nothing registered", func() {}, `{"expectedWebhookUrl":"` + url + `"}`, 0, connectors.InspectResult{}},
		{"registered, expected", func() { w.standIn.SetTelegramWebhook(bot, chatkit.TelegramWebhook{URL: url}) }, `{"expectedWebhookUrl":"` + url + `"}`, 0,
			connectors.InspectResult{ProviderHasURL: true, ProviderURLMatchesExpected: true, ProviderReportedURL: &url}},
		{"registered, nothing expected", func() {}, `{}`, 0, connectors.InspectResult{ProviderHasURL: true, ProviderReportedURL: &url}},
		{"delivery failing", func() {
			w.standIn.SetTelegramWebhook(bot, chatkit.TelegramWebhook{URL: url, PendingUpdateCount: 7, LastErrorDate: 1795251600, LastErrorMessage: "Wrong response from the webhook: 404 Not Found"})
		}, `{"expectedWebhookUrl":"https://elsewhere.test/hook"}`, 0, connectors.InspectResult{ProviderHasURL: true, ProviderReportedURL: &url,
			LastErrorMessage: ptr("Wrong response from the webhook: 404 Not Found"), LastErrorAt: ptr(int64(1795251600000)), PendingUpdateCount: 7}},
		{"telegram unreachable", func() {}, ``, 500, connectors.InspectResult{InspectFailed: true, ErrorMessage: ptr("telegram: Internal Server Error")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			if tt.fail != 0 {
				w.standIn.FailNext(connectors.Telegram, tt.fail)
			}
			res := w.Do(t, "POST", inspect, w.tokens["admin"], tt.body)
			var got connectors.InspectResult
			if err := json.Unmarshal([]byte(res.Body), &got); res.Status != 200 || err != nil {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			if mustJSON(got) != mustJSON(tt.want) {
				t.Errorf("got %s\nwant %s", mustJSON(got), mustJSON(tt.want))
			}
		})
	}
	if res := w.Do(t, "POST", path(connectors.Slack, slack)+":inspectWebhook", w.tokens["admin"], ""); res.Status != 400 || problemType(t, res.Body) != "no-webhook-inspector" {
		t.Errorf("slack inspect: %d %s", res.Status, res.Body)
	}
}

func ptr[T any](v T) *T { return &v }
