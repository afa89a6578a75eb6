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
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/gatehouse/gatehouse/pkg/devserver"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/shares"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/keycloakkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/s3kit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

// Placeholder is what an event's Authorization header carries instead of
// a token; the test puts a freshly minted one there.
const placeholder = "REPLACE_WITH_make_token"

// defaultClaims are those of `make token SUB=alice TENANT=demo
// TENANT_ROLE=ADMIN`, the demo's tenant ADMIN.
var defaultClaims = issuerkit.Claims{Subject: "alice", Tenants: map[string]string{devserver.DemoTenant: "ADMIN"}}

// expectation refines what an event must answer. An event without one
// must answer 2xx (and, like every event, agree with the OpenAPI document).
type expectation struct {
	before []string          // events run first, on the same table
	claims *issuerkit.Claims // nil: defaultClaims
	status int
	fields map[string]any // top-level members of the JSON body
	// config, when set, gives the features' configuration (e.g. the URL
	// of a stand-in it starts).
	config func(t *testing.T) routes.Config
	// prepare, when set, adjusts the event before it runs (e.g. re-signs
	// a webhook whose signature covers the current time).
	prepare func(t *testing.T, ev *events.APIGatewayV2HTTPRequest)
}

var expect = map[string]expectation{
	"accessrequests-list.json":    {status: 200},
	"accessrequests-get.json":     {status: 200, fields: map[string]any{"id": devserver.DemoID("request/+15557654321"), "status": "PENDING", "address": "+15557654321"}},
	"accessrequests-approve.json": {status: 200, fields: map[string]any{"status": "APPROVED", "processedBy": "alice", "processingNote": "welcome"}},
	"accessrequests-reject.json":  {status: 200, fields: map[string]any{"id": devserver.DemoID("request/U0DEMODANA"), "status": "REJECTED", "processedBy": "alice", "processingNote": nil}},
	"accessrequests-block.json":   {status: 200, fields: map[string]any{"status": "BLOCKED", "processingNote": "spam"}},
	"accessrequests-unblock.json": {before: []string{"accessrequests-block.json"}, status: 204},
	// Collaborators of support-bot: bob ADMIN, carol EDITOR, dave VIEWER, erin's pending request.
	"collaborators-list.json":          {status: 200},
	"collaborators-put.json":           {status: 200, fields: map[string]any{"userId": "erin", "role": "EDITOR", "status": "ACTIVE", "tenantId": "demo"}},
	"collaborators-requestaccess.json": {claims: &requester, status: 204},
	"collaborators-approve.json":       {status: 200, fields: map[string]any{"userId": "erin", "role": "EDITOR", "status": "ACTIVE"}},
	"collaborators-reject.json":        {status: 204},
	"collaborators-delete.json":        {status: 204},
	// The agent's alert settings (pkg/alerts): the demo Slack connector's channel.
	"collaborators-alertsettingsget.json": {status: 200, fields: map[string]any{"agentId": "support-bot", "slack": nil}},
	"collaborators-alertsettingsput.json": {status: 200, fields: map[string]any{"agentId": "support-bot", "modifiedBy": "alice"}},

	// Participants on the demo data: Walter Skinner (Teams) bound to support-bot.
	"participants-create.json":  {status: 201, fields: map[string]any{"displayName": "Dana Scully", "kind": "PERSON"}},
	"participants-list.json":    {status: 200}, // a bare array
	"participants-get.json":     {status: 200, fields: map[string]any{"id": devserver.DemoID("participant/skinner"), "displayName": "Walter Skinner"}},
	"participants-patch.json":   {status: 200, fields: map[string]any{"displayName": "Walter S. Skinner"}},
	"participants-delete.json":  {status: 204},
	"participants-disable.json": {status: 200},
	"participants-enable.json":  {before: []string{"participants-disable.json"}, status: 200, fields: map[string]any{"disabledAt": nil}},
	"participants-bind.json":    {status: 200, fields: map[string]any{"agentId": "billing-bot", "participantId": devserver.DemoID("participant/skinner")}},
	"participants-unbind.json":  {status: 204},
	// No AVATAR_BUCKET here: the sync says so (with one, see make dev).
	"avatars-avatarsync.json": {before: []string{"participants-patch.json"}, status: 503, fields: map[string]any{"type": "https://gatehouse.dev/problems/avatars-not-configured"}},
	"avatars-avatar.json":     {status: 404, fields: map[string]any{"type": "https://gatehouse.dev/problems/no-avatar"}},
	// Slack OAuth of the demo Slack connector; not configured here (no SLACK_OAUTH_*).
	"avatars-slackoauthconnect.json":    {status: 503, fields: map[string]any{"type": "https://gatehouse.dev/problems/slack-oauth-not-configured"}},
	"avatars-slackoauthstatus.json":     {status: 200, fields: map[string]any{"connected": false}},
	"avatars-slackoauthdisconnect.json": {status: 204},
	"avatars-slackoauthcallback.json":   {status: 400, fields: map[string]any{"type": "https://gatehouse.dev/problems/oauth-denied"}},

	"shares-uploaddocument.json":  {claims: &sharesAdmin, config: sharesConfig, status: 201},
	"shares-listdocuments.json":   {claims: &sharesAdmin, status: 200},
	"shares-getdocument.json":     {claims: &sharesAdmin, status: 200},
	"shares-patchdocument.json":   {claims: &sharesAdmin, status: 200},
	"shares-deletedocument.json":  {claims: &sharesAdmin, config: sharesConfig, status: 204},
	"shares-share.json":           {claims: &sharesAdmin, config: sharesConfig, status: 201, fields: map[string]any{"data": map[string]any{}}},
	"shares-checkrecipient.json":  {claims: &sharesAdmin, config: sharesConfig, status: 200},
	"shares-pendingrequests.json": {claims: &sharesAdmin, status: 200},
	"shares-auditevents.json":     {claims: &sharesAdmin, status: 200},
	"shares-getsettings.json":     {claims: &sharesAdmin, status: 200},
	"shares-putsettings.json":     {claims: &sharesAdmin, status: 200},
	"shares-state.json":           {status: 200},
	"shares-sharestate.json":      {status: 200},
	"shares-completeprofile.json": {config: sharesConfig, status: 200},
	"shares-accept.json":          {claims: &sharesAdmin, config: sharesConfig, status: 204},
	"shares-decline.json":         {claims: &sharesAdmin, config: sharesConfig, status: 204},
}

// requester is a tenant member without a role on the demo agent.
var requester = issuerkit.Claims{Subject: "frank", Tenants: map[string]string{devserver.DemoTenant: "MEMBER"}, Email: "frank@demo.example", GivenName: "Frank"}

// sharesAdmin is an admin of the demo organization of the shares API.
var sharesAdmin = issuerkit.Claims{Subject: "olivia", Organization: devserver.DemoOrg, RealmRoles: []string{"admin"}, Name: "Olivia Admin", Email: "olivia@demo.example"}

// sharesConfig starts a Keycloak stand-in holding the demo recipients'
// users and an in-memory S3 with the document bucket.
func sharesConfig(t *testing.T) routes.Config {
	kc := keycloakkit.NewServer(devserver.DemoRealm, nil)
	if err := kc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kc.Close() })
	for _, r := range []shares.Recipient{devserver.DemoRecipient, devserver.DemoRegistrant} {
		kc.AddUser(keycloakkit.User{ID: r.UserID, Username: r.Email, Email: r.Email,
			Attributes: map[string][]string{"organization": {devserver.DemoOrg}}})
	}
	_, endpoint, bucket := s3kit.Start(t)
	return routes.Config{Shares: shares.Config{Keycloak: keycloak.Config{BaseURL: kc.URL, Realm: devserver.DemoRealm,
		ClientID: kc.ClientID, ClientSecret: kc.ClientSecret}, DocumentBucket: bucket, S3Endpoint: endpoint}}
}

func eventsDir(t *testing.T) string {
	t.Helper()
	root, err := tabledef.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "events")
}

func eventFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(eventsDir(t), "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events/*.json (%v)", err)
	}
	sort.Strings(files)
	return files
}

// functionDir is the functions/ folder of a template logical id.
func functionDir(logicalID string) string {
	return strings.ToLower(strings.TrimSuffix(logicalID, "Function"))
}

// functionOf maps an event file name (<functiondir>-<action>.json) to the
// routes of its function.
func functionOf(t *testing.T, file string) (string, []httpapi.Route) {
	t.Helper()
	all, err := routes.All(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir, _, ok := strings.Cut(filepath.Base(file), "-")
	if !ok {
		t.Fatalf("%s: name it <functiondir>-<action>.json", filepath.Base(file))
	}
	var fn string
	var rs []httpapi.Route
	for _, r := range all {
		if functionDir(r.Function) == dir {
			fn = r.Function
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		t.Fatalf("%s: no function with routes serves functions/%s (see routes.All)", filepath.Base(file), dir)
	}
	return fn, rs
}

type v2event struct {
	events.APIGatewayV2HTTPRequest
	raw []byte
}

func readEvent(t *testing.T, name string) v2event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(eventsDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	var ev v2event
	if err := json.Unmarshal(raw, &ev.APIGatewayV2HTTPRequest); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ev.raw = raw
	return ev
}

// checkShape fails unless ev is what API Gateway would send for one of
// the function's routes: version 2.0, a routeKey of the function, and a
// rawPath that is the route with the path parameters filled in.
func checkShape(t *testing.T, name string, ev v2event, rs []httpapi.Route) httpapi.Route {
	t.Helper()
	if ev.Version != "2.0" {
		t.Fatalf("%s: version %q, want 2.0 (HTTP API payload)", name, ev.Version)
	}
	var route *httpapi.Route
	for i, r := range rs {
		if r.Method+" "+r.Path == ev.RouteKey {
			route = &rs[i]
		}
	}
	if route == nil {
		t.Fatalf("%s: routeKey %q is not a route of %s", name, ev.RouteKey, rs[0].Function)
	}
	if ev.RequestContext.RouteKey != ev.RouteKey || ev.RequestContext.HTTP.Method != route.Method {
		t.Errorf("%s: requestContext routeKey %q method %q disagree with routeKey", name, ev.RequestContext.RouteKey, ev.RequestContext.HTTP.Method)
	}
	path := route.Path
	for k, v := range ev.PathParameters {
		path = strings.Replace(path, "{"+k+"}", v, 1)
	}
	prefix := ""
	if s := ev.RequestContext.Stage; s != "" && s != "$default" {
		prefix = "/" + s
	}
	if ev.RawPath != prefix+path || ev.RequestContext.HTTP.Path != ev.RawPath {
		t.Errorf("%s: rawPath %q (http.path %q), want %q from routeKey and pathParameters", name, ev.RawPath, ev.RequestContext.HTTP.Path, prefix+path)
	}
	if !route.Public && !strings.Contains(ev.Headers["authorization"], "Bearer "+placeholder) {
		t.Errorf("%s: authorization header must be %q", name, "Bearer "+placeholder)
	}
	return *route
}

// response is what both event versions answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func invoke(t *testing.T, h lambda.Handler, payload []byte, v1 bool) response {
	t.Helper()
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var r response
	r.Header = http.Header{}
	var body string
	var b64 bool
	if v1 {
		var resp events.APIGatewayProxyResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("v1 response %s: %v", out, err)
		}
		r.Status, body, b64 = resp.StatusCode, resp.Body, resp.IsBase64Encoded
		for k, v := range resp.Headers {
			r.Header.Set(k, v)
		}
		for k, vs := range resp.MultiValueHeaders {
			r.Header[http.CanonicalHeaderKey(k)] = vs
		}
	} else {
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("v2 response %s: %v", out, err)
		}
		r.Status, body, b64 = resp.StatusCode, resp.Body, resp.IsBase64Encoded
		for k, v := range resp.Headers {
			r.Header.Set(k, v)
		}
		for k, vs := range resp.MultiValueHeaders {
			r.Header[http.CanonicalHeaderKey(k)] = vs
		}
	}
	r.Body = []byte(body)
	if b64 {
		if r.Body, err = base64.StdEncoding.DecodeString(body); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// toV1 turns an HTTP API event into the REST API (payload 1.0) event of
// the same request.
func toV1(t *testing.T, ev v2event, route httpapi.Route) []byte {
	t.Helper()
	path := strings.TrimPrefix(ev.RawPath, "/"+ev.RequestContext.Stage)
	mvh := map[string][]string{}
	for k, v := range ev.Headers {
		mvh[k] = []string{v}
	}
	mvq := map[string][]string{}
	for k, v := range ev.QueryStringParameters {
		mvq[k] = []string{v}
	}
	v1 := events.APIGatewayProxyRequest{
		Resource: route.Path, Path: path, HTTPMethod: route.Method,
		Headers: ev.Headers, MultiValueHeaders: mvh,
		QueryStringParameters: ev.QueryStringParameters, MultiValueQueryStringParameters: mvq,
		PathParameters: ev.PathParameters, Body: ev.Body, IsBase64Encoded: ev.IsBase64Encoded,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: ev.RequestContext.AccountID, ResourceID: "r3s0urc3", Stage: ev.RequestContext.Stage,
			RequestID: ev.RequestContext.RequestID, ResourcePath: route.Path, HTTPMethod: route.Method,
			Path: "/" + ev.RequestContext.Stage + path, APIID: ev.RequestContext.APIID, Protocol: "HTTP/1.1",
			DomainName: ev.RequestContext.DomainName, RequestTimeEpoch: ev.RequestContext.TimeEpoch,
			Identity: events.APIGatewayRequestIdentity{SourceIP: ev.RequestContext.HTTP.SourceIP, UserAgent: ev.RequestContext.HTTP.UserAgent},
		},
	}
	out, err := json.Marshal(v1)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEvents(t *testing.T) {
	for _, file := range eventFiles(t) {
		name := filepath.Base(file)
		for _, version := range []string{"v2", "v1"} {
			t.Run(name+"/"+version, func(t *testing.T) {
				t.Parallel()
				runEvent(t, name, version == "v1")
			})
		}
	}
}

func runEvent(t *testing.T, name string, v1 bool) {
	fn, _ := functionOf(t, name)
	ex, known := expect[name]
	// The functions serving this event and the events it needs first.
	fns := map[string]bool{fn: true}
	for _, n := range ex.before {
		f, _ := functionOf(t, n)
		fns[f] = true
	}
	var cfg routes.Config
	if ex.config != nil {
		cfg = ex.config(t)
	}
	// The function's own routes, bound to a platform on a fresh table,
	// seeded with the dev server's demo data the events refer to.
	e := apikit.NewWith(t, func(d *routes.Deps) ([]httpapi.Route, error) {
		all, err := routes.All(d)
		var own []httpapi.Route
		for _, r := range all {
			if fns[r.Function] {
				own = append(own, r)
			}
		}
		return own, err
	}, cfg)
	if _, err := devserver.Seed(context.Background(), e.Deps); err != nil {
		t.Fatalf("demo seed: %v", err)
	}
	h := lambda.NewHandler(lambdahttp.Handler(e.Handler))
	claims := defaultClaims
	if ex.claims != nil {
		claims = *ex.claims
	}
	token := e.Mint(t, claims)

	var got response
	for _, n := range append(append([]string{}, ex.before...), name) {
		ev := readEvent(t, n)
		if prep := expect[n].prepare; prep != nil {
			prep(t, &ev.APIGatewayV2HTTPRequest)
			raw, err := json.Marshal(ev.APIGatewayV2HTTPRequest)
			if err != nil {
				t.Fatal(err)
			}
			ev.raw = raw
		}
		_, rs := functionOf(t, n)
		route := checkShape(t, n, ev, rs)
		payload := ev.raw
		if v1 {
			payload = toV1(t, ev, route)
		}
		payload = bytes.ReplaceAll(payload, []byte(placeholder), []byte(token))
		got = invoke(t, h, payload, v1)
		if n != name && got.Status/100 != 2 {
			t.Fatalf("before %s: %s ran first and answered %d: %s", name, n, got.Status, got.Body)
		}
		// Every answer agrees with the OpenAPI document.
		req := httptest.NewRequest(route.Method, strings.TrimPrefix(ev.RawPath, "/"+ev.RequestContext.Stage), nil)
		if _, err := e.OpenAPI.CheckResponse(context.Background(), req, got.Status, got.Header, got.Body); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	checkAnswer(t, ex, known, got)
}

// checkAnswer compares an event's answer with its expectation: the
// status (any 2xx for an event without one) and the listed body fields.
func checkAnswer(t *testing.T, ex expectation, known bool, got response) {
	t.Helper()
	switch {
	case known && got.Status != ex.status:
		t.Fatalf("status %d, want %d: %s", got.Status, ex.status, got.Body)
	case !known && got.Status/100 != 2:
		t.Fatalf("status %d, want 2xx: %s", got.Status, got.Body)
	}
	if len(ex.fields) == 0 {
		return
	}
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatalf("body %s: %v", got.Body, err)
	}
	for k, want := range ex.fields {
		if v, ok := body[k]; !ok || fmt.Sprint(v) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v (body %s)", k, v, want, got.Body)
		}
	}
}

// Every route of every function has an event.
func TestEveryRouteHasAnEvent(t *testing.T) {
	have := map[string]bool{}
	for _, f := range eventFiles(t) {
		have[readEvent(t, filepath.Base(f)).RouteKey] = true
	}
	all, err := routes.All(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if !have[r.Method+" "+r.Path] {
			t.Errorf("route %s %s (%s) has no event: add events/%s-<action>.json (see events/README.md)", r.Method, r.Path, r.Function, functionDir(r.Function))
		}
	}
}
