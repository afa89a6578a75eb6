package contract_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/contract"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/chatkit"
)

// cfProblem is a Fruxon error body (RFC 9457).
var cfProblem = contract.Object{"type": contract.String, "title": contract.String, "status": contract.Int, "detail": contract.String, "instance": contract.String,
	"accepted": contract.Extension(contract.String)} // 415: the media type the route takes

const (
	cfTenant = "acme"
	cfAgent  = "agent-1"
)

// cfParams are valid parameters per integration.
var cfParams = map[string]string{
	"slack":    `{"signingSecret":"8f742231b10e8888abcd99yyyzzz85a5","botToken":"xoxb-1111-2222-abcdefghijklmnop"}`,
	"telegram": `{"botToken":"123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw","secretToken":"tg_secret-token-0123456789"}`,
	"whatsapp": `{"appSecret":"6f1c3c568a4e4e599a530d2f8f3c1a11","verifyToken":"meta-verify-token","accessToken":"EAAGm0PX4ZCpsBA","phoneNumberId":"106540352242922"}`,
	"twilio":   `{"accountSid":"ACa1b2c3d4e5f60718293a4b5c6d7e8f90","authToken":"f00dfeedauthtoken0123456789abcdef"}`,
	"teams":    `{"appId":"8e0b6a1c-3f0e-4a55-9d1f-2f7c5e9a1b11","appPassword":"teams-app-password"}`,
}

// cfBody is a create body: the docs' fields plus gatehouse's agentId.
func cfBody(integration, extra string) string {
	return `{"agentId":"` + cfAgent + `","displayName":"Support",` + extra + `"parameters":` + cfParams[integration] + `}`
}

// cfFixture makes the configs a row's path names, fresh per row.
type cfFixture struct {
	t   *testing.T
	env *apikit.Env
}

func (f *cfFixture) token(who string) string {
	switch who {
	case "":
		return ""
	case "admin":
		return f.env.Token(f.t, "admin", map[string]string{cfTenant: "ADMIN"})
	}
	return f.env.Token(f.t, who, map[string]string{cfTenant: "MEMBER"})
}

func (f *cfFixture) create(integration string) string {
	r := f.env.Do(f.t, "POST", "/v1/tenants/"+cfTenant+"/integrations/"+integration+"/configs", f.token("admin"), cfBody(integration, ""))
	if r.Status != 201 {
		f.t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var v struct{ ID string }
	_ = json.Unmarshal([]byte(r.Body), &v)
	return v.ID
}

// bound is a config with its webhook URL minted; it returns the config
// path and the URL.
func (f *cfFixture) bound(integration string) (string, string) {
	p := "/integrations/" + integration + "/configs/" + f.create(integration)
	r := f.env.Do(f.t, "POST", "/v1/tenants/"+cfTenant+p+":generateWebhookUrl", f.token("admin"), "")
	var v struct{ WebhookURL string }
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil || r.Status != 200 {
		f.t.Fatalf("generate: %d %s", r.Status, r.Body)
	}
	return p, v.WebhookURL
}

// cfRow is one documented call: request → status + shape.
type cfRow struct {
	name   string
	who    string // admin (tenant ADMIN), viewer, nobody (a role elsewhere), "" (no token)
	method string
	// req returns the path under /v1/tenants/{tenant} and the body.
	req     func(f *cfFixture) (string, string)
	ctype   string
	status  int
	shape   contract.Shape
	problem string
	fields  map[string]any
}

func cfFixed(path, body string) func(*cfFixture) (string, string) {
	return func(*cfFixture) (string, string) { return path, body }
}

// cfOn is a request on a fresh config of integration: path suffix and body.
func cfOn(integration, suffix, body string) func(*cfFixture) (string, string) {
	return func(f *cfFixture) (string, string) {
		return "/integrations/" + integration + "/configs/" + f.create(integration) + suffix, body
	}
}

// cfOnBound is a request on a fresh config with a key; body may name the
// URL with %s.
func cfOnBound(integration, suffix, body string) func(*cfFixture) (string, string) {
	return func(f *cfFixture) (string, string) {
		p, url := f.bound(integration)
		if strings.Contains(body, "%") {
			body = fmt.Sprintf(body, url)
		}
		return p + suffix, body
	}
}

func cfRows() []cfRow {
	one, list := contract.IntegrationConfig, contract.IntegrationConfigs
	configs := "/integrations/telegram/configs"
	rows := []cfRow{
		// POST …/configs: integrationId overwritten, displayName required, no extra keys.
		{name: "create", who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", "")), status: 201, shape: one,
			fields: map[string]any{"integrationId": "telegram", "hasAuth": true, "publishedRevisionId": nil, "sandboxMode": "NONE", "webhookKeyPrefix": nil}},
		{name: "create integrationId overwritten", who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", `"integrationId":"slack",`)), status: 201, shape: one, fields: map[string]any{"integrationId": "telegram"}},
		{name: "create integration any case", who: "admin", method: "POST", req: cfFixed("/integrations/Telegram/configs", cfBody("telegram", "")), status: 201, shape: one, fields: map[string]any{"integrationId": "telegram"}},
		{name: "create onboarding defaults to allow all", who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", "")), status: 201, shape: one,
			fields: map[string]any{"onboarding": map[string]any{"enabled": false, "message": ""}}},
		{name: "create documented nulls", who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", `"integrationId":null,"auth":null,"authMap":null,"sandboxVariant":null,"oAuthCredentialKey":null,`)), status: 201, shape: one},
		{name: "create without displayName", who: "admin", method: "POST", req: cfFixed(configs, `{"agentId":"`+cfAgent+`","parameters":`+cfParams["telegram"]+`}`), status: 400, shape: cfProblem, problem: "invalid-display-name"},
		{name: "create extra key", who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", `"provider":"TELEGRAM",`)), status: 400, shape: cfProblem, problem: "unknown-field"},
		{name: "create auth", who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", `"auth":{"authMethodId":"apiKey"},`)), status: 400, shape: cfProblem, problem: "unsupported-field"},
		{name: "create oAuthCredentialKey", who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", `"oAuthCredentialKey":"k",`)), status: 400, shape: cfProblem, problem: "unsupported-field"},
		{name: "create unknown integration", who: "admin", method: "POST", req: cfFixed("/integrations/signal/configs", cfBody("telegram", "")), status: 404, shape: cfProblem, problem: "not-found"},
		{name: "create text/plain", who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", "")), ctype: "text/plain", status: 415, shape: cfProblem, problem: "unsupported-media-type"},
		{name: "create as viewer", who: "viewer", method: "POST", req: cfFixed(configs, cfBody("telegram", "")), status: 403, shape: cfProblem, problem: "forbidden"},
		{name: "create without token", who: "", method: "POST", req: cfFixed(configs, cfBody("telegram", "")), status: 401, shape: cfProblem, problem: "unauthenticated"},

		// GET …/configs and …/configs/{config}.
		{name: "list", who: "viewer", method: "GET", req: cfFixed(configs+"?agentId="+cfAgent, ""), status: 200, shape: list},
		{name: "list AgentId", who: "viewer", method: "GET", req: cfFixed(configs+"?AgentId="+cfAgent+"&PageSize=1", ""), status: 200, shape: list},
		{name: "list tenant-wide as tenant admin", who: "admin", method: "GET", req: cfFixed(configs, ""), status: 200, shape: list},
		{name: "list without role", who: "nobody", method: "GET", req: cfFixed(configs+"?agentId="+cfAgent, ""), status: 404, shape: cfProblem, problem: "not-found"},
		{name: "get", who: "viewer", method: "GET", req: cfOn("telegram", "", ""), status: 200, shape: one},
		{name: "get with key shows prefix only", who: "viewer", method: "GET", req: cfOnBound("telegram", "", ""), status: 200, shape: one},
		{name: "get under another integration", who: "viewer", method: "GET", req: func(f *cfFixture) (string, string) {
			return "/integrations/telegram/configs/" + f.create("slack"), ""
		}, status: 404, shape: cfProblem, problem: "not-found"},
		{name: "get unknown", who: "viewer", method: "GET", req: cfFixed(configs+"/497f6eca-6276-4993-bfeb-53cbbbba6f08", ""), status: 404, shape: cfProblem, problem: "not-found"},
		{name: "get without role", who: "nobody", method: "GET", req: cfOn("telegram", "", ""), status: 404, shape: cfProblem, problem: "not-found"},

		// PATCH: null = preserved; no integrationId.
		{name: "patch", who: "admin", method: "PATCH", req: cfOn("telegram", "", `{"displayName":"Renamed","parameters":{"secretToken":"new-secret"}}`), status: 200, shape: one, fields: map[string]any{"displayName": "Renamed"}},
		{name: "patch nulls preserved", who: "admin", method: "PATCH", req: cfOn("telegram", "", `{"displayName":null,"parameters":null,"sandboxMode":null}`), status: 200, shape: one, fields: map[string]any{"displayName": "Support"}},
		{name: "patch integrationId", who: "admin", method: "PATCH", req: cfOn("telegram", "", `{"integrationId":"telegram"}`), status: 400, shape: cfProblem, problem: "unknown-field"},
		{name: "patch as viewer", who: "viewer", method: "PATCH", req: cfOn("telegram", "", `{"displayName":"x"}`), status: 403, shape: cfProblem, problem: "forbidden"},
		{name: "patch text/plain", who: "admin", method: "PATCH", req: cfOn("telegram", "", `{}`), ctype: "text/plain", status: 415, shape: cfProblem, problem: "unsupported-media-type"},
		{name: "delete", who: "admin", method: "DELETE", req: cfOn("telegram", "", ""), status: 204},

		// Webhook lifecycle.
		{name: "generateWebhookUrl", who: "admin", method: "POST", req: cfOn("telegram", ":generateWebhookUrl", ""), status: 200, shape: contract.WebhookURL},
		{name: "generateWebhookUrl when bound", who: "admin", method: "POST", req: cfOnBound("telegram", ":generateWebhookUrl", ""), status: 400, shape: cfProblem, problem: "webhook-key-bound"},
		{name: "generateWebhookUrl as viewer", who: "viewer", method: "POST", req: cfOn("telegram", ":generateWebhookUrl", ""), status: 403, shape: cfProblem, problem: "forbidden"},
		{name: "webhook:rotate", who: "admin", method: "POST", req: cfOnBound("telegram", "/webhook:rotate", ""), status: 200, shape: contract.WebhookURL},
		{name: "webhook:rotate without key", who: "admin", method: "POST", req: cfOn("telegram", "/webhook:rotate", ""), status: 400, shape: cfProblem, problem: "no-webhook-key"},
		{name: "applyWebhookToProvider", who: "admin", method: "POST", req: cfOnBound("telegram", ":applyWebhookToProvider", `{"webhookUrl":%q}`), status: 200, shape: contract.ApplyWebhookResult, fields: map[string]any{"applied": true}},
		{name: "applyWebhookToProvider stale URL", who: "admin", method: "POST", req: cfOnBound("telegram", ":applyWebhookToProvider", `{"webhookUrl":"%s-stale"}`), status: 400, shape: cfProblem, problem: "webhook-url-mismatch"},
		{name: "inspectWebhook", who: "admin", method: "POST", req: cfOnBound("telegram", ":inspectWebhook", `{"expectedWebhookUrl":%q}`), status: 200, shape: contract.InspectWebhookResult, fields: map[string]any{"inspectFailed": false}},
		{name: "inspectWebhook null", who: "admin", method: "POST", req: cfOnBound("telegram", ":inspectWebhook", `{"expectedWebhookUrl":null}`), status: 200, shape: contract.InspectWebhookResult},
		{name: "publish", who: "admin", method: "POST", req: cfOn("telegram", ":publish", ""), status: 400, shape: cfProblem, problem: "unsupported-action"},
		{name: "verifyConfig", who: "admin", method: "POST", req: cfOn("telegram", ":verifyConfig", ""), status: 400, shape: cfProblem, problem: "unsupported-action"},
	}
	// Every integration's create, and the providers without a registration
	// API or an inspector.
	for _, in := range []string{"slack", "teams", "whatsapp", "twilio"} {
		rows = append(rows,
			cfRow{name: "create " + in, who: "admin", method: "POST", req: cfFixed("/integrations/"+in+"/configs", cfBody(in, "")), status: 201, shape: one, fields: map[string]any{"integrationId": in}},
			cfRow{name: "applyWebhookToProvider " + in, who: "admin", method: "POST", req: cfOnBound(in, ":applyWebhookToProvider", `{"webhookUrl":%q}`), status: 400, shape: cfProblem, problem: "no-webhook-registration-api"},
			cfRow{name: "inspectWebhook " + in, who: "admin", method: "POST", req: cfOnBound(in, ":inspectWebhook", `{}`), status: 400, shape: cfProblem, problem: "no-webhook-inspector"})
	}
	for _, mode := range []string{"UNSPECIFIED", "NONE", "none"} {
		rows = append(rows, cfRow{name: "create sandboxMode " + mode, who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", `"sandboxMode":"`+mode+`",`)), status: 201, shape: one, fields: map[string]any{"sandboxMode": "NONE"}})
	}
	for _, mode := range []string{"VENDOR", "SIMULATED", "READ_THROUGH"} {
		rows = append(rows, cfRow{name: "create sandboxMode " + mode, who: "admin", method: "POST", req: cfFixed(configs, cfBody("telegram", `"sandboxMode":"`+mode+`",`)), status: 400, shape: cfProblem, problem: "unsupported-sandbox-mode"})
	}
	return rows
}

func TestConnectorsContract(t *testing.T) {
	si, err := chatkit.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(si.Close)
	env := apikit.NewWith(t, routes.All, routes.Config{PublicBaseURL: "https://api.example.test", Connectors: connectors.Config{TelegramAPIURL: si.Env()["TELEGRAM_API_URL"]}})
	env.SeedMember(t, cfTenant, cfAgent, "viewer", authz.RoleViewer)
	env.SeedMember(t, cfTenant, "agent-2", "nobody", authz.RoleAdmin)
	f := &cfFixture{t: t, env: env}
	for _, row := range cfRows() {
		t.Run(row.name, func(t *testing.T) {
			f.t = t
			path, body := row.req(f)
			status, got := arDo(t, env, row.method, "/v1/tenants/"+cfTenant+path, f.token(row.who), body, row.ctype)
			if status != row.status {
				t.Fatalf("status = %d, want %d: %s", status, row.status, got)
			}
			if checkBody(t, got, row.shape) {
				checkProblem(t, got, row.problem, row.fields)
			}
		})
	}
}
