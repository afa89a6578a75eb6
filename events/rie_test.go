package events_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/guregu/dynamo/v2"
	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/pkg/devserver"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/rie"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/chatkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// rieExpect replaces expect where the deployed environment differs from
// the in-process test's: template.yaml always sets AVATAR_BUCKET and the
// Slack OAuth settings (templateParams gives them values).
var rieExpect = map[string]expectation{
	"avatars-avatarsync.json":        {status: 400, fields: map[string]any{"type": "https://gatehouse.dev/problems/oauth-not-connected"}},
	"avatars-slackoauthconnect.json": {status: 200},
}

// templateParams are the local values of template.yaml's !Ref targets.
// A new parameter fails the test until it gets one here. URLs nobody
// should call point at a closed port on 127.0.0.1.
func templateParams(e *apikit.Env) map[string]string {
	return map[string]string{
		"Table":                e.Table.Name,
		"JwtIssuer":            issuerkit.DefaultIssuer,
		"JwtAudience":          issuerkit.DefaultAudience,
		"JwksUrl":              e.JWKS.URL,
		"EventBusName":         "default",
		"PublicBaseUrl":        "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod", // the events' API
		"KeycloakUrl":          "http://127.0.0.1:9/keycloak",
		"KeycloakRealm":        devserver.DemoRealm,
		"KeycloakClientId":     "gatehouse",
		"KeycloakClientSecret": "local",
		"MailFrom":             "gatehouse <no-reply@example.com>",
		"SlackClientId":        "local-slack-client",
		"SlackClientSecret":    "local-slack-secret",
		"OAuthStateKey":        "local-oauth-state-key-0123456789abcdef",
		"ShareStateBaseUrl":    "",
		"ShareSupportEmail":    "",
		"DocumentBucket":       "gatehouse-documents",
		"AvatarBucket":         "gatehouse-avatars",
		"AuditRetentionDays":   "400",
		"ShareExpiryDays":      "30",
		"ConsoleClientId":      "gatehouse-console",
		"AlertDigestMinutes":   "15",
	}
}

// rieRig is what every event's run shares: the emulator, the host builds
// of the functions and template.yaml's environment nodes.
type rieRig struct {
	rie  string
	bins string
	env  map[string]map[string]yaml.Node // logical id → variable → node
}

// TestEventsUnderRIE feeds every event to its function's real bootstrap
// (built as sam build builds it, for this machine's architecture) running
// under AWS's Runtime Interface Emulator, against DynamoDB Local seeded
// with the demo data: no 5xx, no panic, and the answers of expect.
func TestEventsUnderRIE(t *testing.T) {
	ctx := context.Background()
	root, err := tabledef.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	rig := rieRig{bins: t.TempDir()}
	if rig.rie, err = rie.Install(ctx, root); err != nil {
		t.Fatal(err)
	}
	if rig.env, err = templateEnv(filepath.Join(root, "template.yaml")); err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for id := range rig.env {
		pkgs = append(pkgs, "./functions/"+functionDir(id))
	}
	sort.Strings(pkgs)
	if err := rie.Build(ctx, root, rig.bins, runtime.GOOS, runtime.GOARCH, pkgs...); err != nil {
		t.Fatal(err)
	}
	for _, file := range eventFiles(t) {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rig.runEvent(t, name)
		})
	}
	t.Run("stream/dispatcher-outbox.json", func(t *testing.T) {
		t.Parallel()
		rig.runStreamEvent(t)
	})
}

func (rig rieRig) runEvent(t *testing.T, name string) {
	ctx := context.Background()
	_, _ = functionOf(t, name) // fails early on a file that names no function
	ex, known := expect[name]
	if o, ok := rieExpect[name]; ok {
		ex.status, ex.fields = o.status, o.fields
	}
	var extra map[string]string
	if ex.config != nil {
		extra = configEnv(ex.config(t))
	}
	e := seededEnv(t)
	claims := defaultClaims
	if ex.claims != nil {
		claims = *ex.claims
	}
	token := e.Mint(t, claims)

	procs := map[string]*rie.Process{}
	var got response
	for _, n := range append(append([]string{}, ex.before...), name) {
		f, rs := functionOf(t, n)
		p, ok := procs[f]
		if !ok {
			p = rig.start(t, f, e, extra)
			procs[f] = p
		}
		ev := readEvent(t, n)
		if prep := expect[n].prepare; prep != nil {
			prep(t, &ev.APIGatewayV2HTTPRequest)
			raw, err := json.Marshal(ev.APIGatewayV2HTTPRequest)
			if err != nil {
				t.Fatal(err)
			}
			ev.raw = raw
		}
		route := checkShape(t, n, ev, rs)
		out, err := p.Invoke(ctx, bytes.ReplaceAll(ev.raw, []byte(placeholder), []byte(token)))
		if err != nil {
			t.Fatalf("%s: %v\nfunction output:\n%s", n, err, p.Output())
		}
		got = v2response(t, n, out)
		if got.Status/100 == 5 {
			t.Errorf("%s: %s answered %d: %s", n, f, got.Status, got.Body)
		}
		if n != name && got.Status/100 != 2 {
			t.Fatalf("before %s: %s ran first and answered %d: %s", name, n, got.Status, got.Body)
		}
		req := httptest.NewRequest(route.Method, strings.TrimPrefix(ev.RawPath, "/"+ev.RequestContext.Stage), nil)
		if _, err := e.OpenAPI.CheckResponse(ctx, req, got.Status, got.Header, got.Body); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	// Panics are checked before a failed expectation stops the test.
	for f, p := range procs {
		checkNoPanic(t, f, p)
	}
	checkAnswer(t, ex, known, got)
}

// runStreamEvent gives DispatcherFunction the sample stream event with
// its outbox message in the table; the message reaches the Telegram
// stand-in and is marked SENT.
func (rig rieRig) runStreamEvent(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(eventsDir(t), "stream", "dispatcher-outbox.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("want one record: %v", err)
	}
	img := ev.Records[0].Change.NewImage
	m := outbox.Message{ID: img["id"].String(), Kind: img["kind"].String(), Tenant: img["tenant"].String(), Payload: img["payload"].String()}
	si, err := chatkit.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(si.Close)
	e := seededEnv(t)
	if err := e.Table.Store.Tx().Join(outbox.Enqueue(m)).Run(ctx); err != nil {
		t.Fatal(err)
	}

	const fn = "DispatcherFunction"
	p := rig.start(t, fn, e, si.Env())
	out, err := p.Invoke(ctx, raw)
	if err != nil {
		t.Fatalf("%v\nfunction output:\n%s", err, p.Output())
	}
	if got, want := string(out), `{"batchItemFailures":[]}`; got != want {
		t.Errorf("response = %s, want %s", got, want)
	}
	var after outbox.Message
	if err := e.Table.Store.Table().Get("PK", store.OutboxPK(m.ID)).Range("SK", dynamo.Equal, store.OutboxSK).One(ctx, &after); err != nil {
		t.Fatal(err)
	}
	if after.Status != outbox.StatusSent {
		t.Errorf("outbox status %s (%s), want %s", after.Status, after.LastError, outbox.StatusSent)
	}
	if d := si.Deliveries(); len(d) != 1 || d[0].Provider != "TELEGRAM" || d[0].To != "7001001" {
		t.Errorf("deliveries %+v, want one to TELEGRAM 7001001", d)
	}
	checkNoPanic(t, fn, p)
}

// seededEnv is a fresh table with the demo data and a dev issuer whose
// JWKS the functions fetch over 127.0.0.1.
func seededEnv(t *testing.T) *apikit.Env {
	e := apikit.NewWith(t, func(*routes.Deps) ([]httpapi.Route, error) { return nil, nil }, routes.Config{})
	if _, err := devserver.Seed(context.Background(), e.Deps); err != nil {
		t.Fatalf("demo seed: %v", err)
	}
	return e
}

// start runs the function's bootstrap under the emulator with its
// template environment, DynamoDB Local and extra (stand-in URLs) on top.
func (rig rieRig) start(t *testing.T, logicalID string, e *apikit.Env, extra map[string]string) *rie.Process {
	t.Helper()
	nodes, ok := rig.env[logicalID]
	if !ok {
		t.Fatalf("%s is not a function of template.yaml", logicalID)
	}
	params := templateParams(e)
	env := map[string]string{
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"AWS_ACCESS_KEY_ID":               "local",
		"AWS_SECRET_ACCESS_KEY":           "local",
		"AWS_SESSION_TOKEN":               "local",
		"AWS_LAMBDA_FUNCTION_NAME":        logicalID,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"DYNAMODB_ENDPOINT":               dynamokit.Endpoint(t),
		"S3_ENDPOINT":                     "http://127.0.0.1:9/s3",
	}
	for k, n := range nodes {
		v, err := resolve(n, params)
		if err != nil {
			t.Fatalf("template.yaml %s %s: %v", logicalID, k, err)
		}
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	list := make([]string, 0, len(env))
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	p, err := rie.Start(context.Background(), rie.Options{RIE: rig.rie, Bootstrap: filepath.Join(rig.bins, functionDir(logicalID)), Env: list})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s\nemulator log:\n%s", logicalID, p.Output(), p.Log())
		}
	})
	return p
}

func checkNoPanic(t *testing.T, logicalID string, p *rie.Process) {
	t.Helper()
	if out := p.Output(); strings.Contains(out, "panic") {
		t.Errorf("%s panicked:\n%s", logicalID, out)
	}
}

// v2response decodes an HTTP API (payload 2.0) response; a function
// error (no statusCode) fails the test.
func v2response(t *testing.T, name string, out []byte) response {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		t.Fatalf("%s: not an HTTP API response (%v): %s", name, err, out)
	}
	r := response{Status: resp.StatusCode, Header: http.Header{}, Body: []byte(resp.Body)}
	for k, v := range resp.Headers {
		r.Header.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		r.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		r.Body = b
	}
	return r
}

// templateEnv reads each function's environment nodes from template.yaml:
// Globals, then the function's own.
func templateEnv(path string) (map[string]map[string]yaml.Node, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	type vars struct {
		Variables map[string]yaml.Node `yaml:"Variables"`
	}
	var tpl struct {
		Globals struct {
			Function struct {
				Environment vars `yaml:"Environment"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Environment vars `yaml:"Environment"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]map[string]yaml.Node{}
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		env := map[string]yaml.Node{}
		for k, n := range tpl.Globals.Function.Environment.Variables {
			env[k] = n
		}
		for k, n := range r.Properties.Environment.Variables {
			env[k] = n
		}
		out[id] = env
	}
	return out, nil
}

// resolve gives a template value its local value: scalars as they are,
// !Ref from params, and !If [HasPublicBaseUrl, a, b] as a (params set
// PublicBaseUrl). Anything else is an error, so the test learns of it.
func resolve(n yaml.Node, params map[string]string) (string, error) {
	switch {
	case n.Tag == "!Ref":
		v, ok := params[n.Value]
		if !ok {
			return "", fmt.Errorf("!Ref %s has no local value (add it to templateParams)", n.Value)
		}
		return v, nil
	case n.Tag == "!If" && len(n.Content) == 3 && n.Content[0].Value == "HasPublicBaseUrl":
		return resolve(*n.Content[1], params)
	case n.Kind == yaml.ScalarNode && !strings.HasPrefix(n.Tag, "!"):
		return n.Value, nil
	}
	return "", fmt.Errorf("no local value for %s %q (extend resolve)", n.Tag, n.Value)
}

// configEnv is the environment a function reads the in-process test's
// configuration from (only the settings the expectations use).
func configEnv(c routes.Config) map[string]string {
	env := map[string]string{}
	if kc := c.Shares.Keycloak; kc.BaseURL != "" {
		env["KEYCLOAK_URL"], env["KEYCLOAK_REALM"] = kc.BaseURL, kc.Realm
		env["KEYCLOAK_CLIENT_ID"], env["KEYCLOAK_CLIENT_SECRET"] = kc.ClientID, kc.ClientSecret
	}
	if c.Shares.DocumentBucket != "" {
		env["DOCUMENT_BUCKET"], env["S3_ENDPOINT"] = c.Shares.DocumentBucket, c.Shares.S3Endpoint
	}
	if u := c.Inbound.TeamsOpenIDMetadataURL; u != "" {
		env["TEAMS_OPENID_METADATA_URL"] = u
	}
	if u := c.Connectors.TelegramAPIURL; u != "" {
		env["TELEGRAM_API_URL"] = u
	}
	return env
}
