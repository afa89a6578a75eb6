package participants_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/participants"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/avatarkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/s3kit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const (
	tenant     = "acme"
	publicBase = "https://gatehouse.example"
	stateKey   = "0123456789abcdef0123456789abcdef-test-state-key"
)

// world is an API with participants and access requests over a fresh
// table, an in-process S3, the provider stand-in, one connector per
// provider on agent-1 and a subject for every role.
type world struct {
	*apikit.Env
	std    *avatarkit.Server
	s3     *s3.Client
	bucket string
	cfg    participants.Config
	tokens map[string]string // admin, agentadmin, editor, viewer, nobody, stranger
	conns  map[string]string // provider -> connector id
	rawTbl dynamo.Table      // the table, for item-level assertions
	ctx    context.Context
}

func ourRoutes(d *routes.Deps) ([]httpapi.Route, error) {
	a, err := accessrequests.Routes(d.Platform)
	if err != nil {
		return nil, err
	}
	b, err := participants.Routes(d.Platform, d.Connectors, d.Config.Participants)
	return append(a, b...), err
}

// newWorld builds a world; change, when not nil, changes the default
// configuration.
func newWorld(t testing.TB, change func(*participants.Config)) *world {
	t.Helper()
	std := avatarkit.New()
	t.Cleanup(std.Close)
	srv := s3kit.NewServer()
	t.Cleanup(srv.Close)
	client := s3kit.NewClient(srv.URL)
	bucket := "avatars-" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	if err := s3kit.CreateBucket(context.Background(), client, bucket); err != nil {
		t.Fatal(err)
	}
	standIn := std.Env() // the stand-in's settings, by name
	av, err := participants.AvatarConfigFromEnv(func(k string) string { return standIn[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg := participants.Config{Avatar: av, AvatarBucket: bucket, S3Endpoint: srv.URL,
		SlackApp: participants.SlackAppConfig{ClientID: avatarkit.SlackClientID, ClientSecret: avatarkit.SlackClientSecret,
			StateKey: []byte(stateKey)}}
	if change != nil {
		change(&cfg)
	}
	e := apikit.NewWith(t, ourRoutes, routes.Config{PublicBaseURL: publicBase, Participants: cfg})
	w := &world{Env: e, std: std, s3: client, bucket: bucket, cfg: cfg, tokens: map[string]string{}, conns: map[string]string{},
		rawTbl: e.Platform.Store.Table(), ctx: context.Background()}
	e.SeedMember(t, tenant, "agent-1", "agentadmin", authz.RoleAdmin)
	e.SeedMember(t, tenant, "agent-1", "editor", authz.RoleEditor)
	e.SeedMember(t, tenant, "agent-2", "editor", authz.RoleEditor)
	e.SeedMember(t, tenant, "agent-1", "viewer", authz.RoleViewer)
	e.SeedMember(t, tenant, "agent-9", "nobody", authz.RoleEditor) // a role elsewhere only
	w.tokens["admin"] = e.Token(t, "admin", map[string]string{tenant: "ADMIN"})
	for _, s := range []string{"agentadmin", "editor", "viewer", "nobody"} {
		w.tokens[s] = e.Token(t, s, map[string]string{tenant: "MEMBER"})
	}
	w.tokens["stranger"] = e.Token(t, "stranger", map[string]string{"other": "ADMIN"})

	repo := e.Deps.Connectors
	now := time.Now().UnixMilli()
	creds := map[string]map[string]string{
		"SLACK":      {"signingSecret": "slack-signing-secret-123456", "botToken": "xoxb-bot-token-not-for-avatars"},
		"TELEGRAM":   {"botToken": avatarkit.TelegramToken, "secretToken": "tg-secret"},
		"TEAMS":      {"appId": avatarkit.TeamsAppID, "appPassword": avatarkit.TeamsPassword, "tenantId": avatarkit.TeamsTenant},
		"WHATSAPP":   {"appSecret": "wa-app-secret", "verifyToken": "wa-verify", "accessToken": "wa-access", "phoneNumberId": "123456"},
		"TWILIO_SMS": {"accountSid": "AC" + strings.Repeat("0", 32), "authToken": "twilio-token"},
	}
	for _, prov := range connectors.Providers {
		c := connectors.Connector{ID: uuid.NewString(), Provider: prov, AgentID: "agent-1", DisplayName: prov,
			Credentials: creds[prov], WebhookKey: connectors.NewWebhookKey(), CreatedAt: now, ModifiedAt: now}
		if err := repo.Create(context.Background(), tenant, c); err != nil {
			t.Fatal(err)
		}
		w.conns[prov] = c.ID
	}
	return w
}

func path(parts ...string) string {
	return "/v1/tenants/" + tenant + "/participants" + strings.Join(parts, "")
}

func decode(t testing.TB, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return m
}

// doTyped is Do with an explicit Content-Type (Do always sends
// application/json); the answer is still checked against the OpenAPI
// document.
func (w *world) doTyped(t testing.TB, method, target, token, contentType, body string) apikit.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	w.Handler.ServeHTTP(rec, req)
	if _, err := w.OpenAPI.CheckResponse(w.ctx, req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("response disagrees with the OpenAPI document: %v", err)
	}
	return apikit.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

// decodeList decodes a bare JSON array of objects.
func decodeList(t testing.TB, body string) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal([]byte(body), &l); err != nil || l == nil {
		t.Fatalf("body %q is no JSON array: %v", body, err)
	}
	return l
}

// nextLink returns the path and query of a Link rel="next" header on the
// public base, or "" without one.
func nextLink(t testing.TB, link string) string {
	t.Helper()
	if link == "" {
		return ""
	}
	target, rel, ok := strings.Cut(link, ";")
	if !ok || strings.TrimSpace(rel) != `rel="next"` || !strings.HasPrefix(target, "<"+publicBase+"/") || !strings.HasSuffix(target, ">") {
		t.Fatalf("Link %q, want <%s/...>; rel=\"next\"", link, publicBase)
	}
	u, err := url.Parse(strings.Trim(target, "<>"))
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// create makes a participant as admin and returns its id.
func (w *world) create(t testing.TB, body map[string]any) string {
	t.Helper()
	if body["kind"] == nil {
		body["kind"] = "PERSON"
	}
	if body["displayName"] == nil {
		body["displayName"] = "Dana Scully"
	}
	r := w.Do(t, "POST", path(), w.tokens["admin"], mustJSON(body))
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return decode(t, r.Body)["id"].(string)
}

func ch(conn, addr string) map[string]any {
	return map[string]any{"integrationConfigId": conn, "address": addr}
}

// get reads a participant as admin.
func (w *world) get(t testing.TB, id string) map[string]any {
	t.Helper()
	r := w.Do(t, "GET", path("/", id), w.tokens["admin"], "")
	if r.Status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, r.Status, r.Body)
	}
	return decode(t, r.Body)
}

// items returns every item of the table whose PK starts with prefix.
func (w *world) items(t testing.TB, prefix string) []map[string]any {
	t.Helper()
	var all []map[string]any
	if err := w.rawTbl.Scan().Filter("begins_with(PK, ?)", prefix).All(w.ctx, &all); err != nil {
		t.Fatal(err)
	}
	return all
}

// rawParticipant reads the participant item as stored.
func (w *world) rawParticipant(t testing.TB, id string) map[string]any {
	t.Helper()
	var m map[string]any
	err := w.rawTbl.Get("PK", store.ParticipantPK(tenant, id)).Range("SK", dynamo.Equal, store.ParticipantSK).Consistent(true).One(w.ctx, &m)
	if err != nil {
		t.Fatalf("raw participant %s: %v", id, err)
	}
	return m
}

// objects lists the keys in the avatar bucket.
func (w *world) objects(t testing.TB) []string {
	t.Helper()
	out, err := w.s3.ListObjectsV2(w.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(w.bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return keys
}

// connectSlack runs the OAuth flow through the API and the stand-in's
// authorize page.
func (w *world) connectSlack(t testing.TB) {
	t.Helper()
	r := w.Do(t, "POST", "/v1/tenants/"+tenant+"/integrations/slack/configs/"+w.conns["SLACK"]+"/slackOAuth", w.tokens["agentadmin"], "")
	if r.Status != http.StatusOK {
		t.Fatalf("connect: %d %s", r.Status, r.Body)
	}
	authorize := decode(t, r.Body)["authorizeUrl"].(string)
	cb := w.followAuthorize(t, authorize)
	r = w.Do(t, "GET", cb, "", "")
	if r.Status != http.StatusOK {
		t.Fatalf("callback: %d %s", r.Status, r.Body)
	}
}

// followAuthorize opens the authorize URL like a browser and returns the
// callback path and query Slack redirects to.
func (w *world) followAuthorize(t testing.TB, authorize string) string {
	t.Helper()
	u, err := url.Parse(authorize)
	if err != nil || !strings.HasPrefix(authorize, w.std.URL()) {
		t.Fatalf("authorize URL %q is not the stand-in's", authorize)
	}
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: tlsConfig(w.std)},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), publicBase+"/v1/oauth/slack/callback") {
		t.Fatalf("authorize: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.RequestURI()
}

func tlsConfig(std *avatarkit.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(std.CertPEM()))
	return &tls.Config{RootCAs: pool}
}

func errType(t testing.TB, body string) string {
	t.Helper()
	typ, _ := decode(t, body)["type"].(string)
	return strings.TrimPrefix(typ, "https://gatehouse.dev/problems/")
}

func fmtKeys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return fmt.Sprint(ks)
}
