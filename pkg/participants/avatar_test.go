package participants_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/avatar"
	"github.com/gatehouse/gatehouse/pkg/avatarsync"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/participants"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/avatarkit"
)

func syncBody(conn, addr string) string {
	return mustJSON(map[string]any{"integrationConfigId": conn, "address": addr})
}

func syncPath(id string) string { return path("/", id, "/avatar:syncFromChannel") }

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkObject asserts the bucket holds img at its content-hash key with
// its sniffed type.
func (w *world) checkObject(t *testing.T, key string, img []byte, contentType string) {
	t.Helper()
	out, err := w.s3.GetObject(w.ctx, &s3.GetObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("object %s: %v", key, err)
	}
	defer out.Body.Close()
	got, _ := io.ReadAll(out.Body)
	if !bytes.Equal(got, img) {
		t.Errorf("object %s holds %d bytes, want the %d-byte image", key, len(got), len(img))
	}
	if aws.ToString(out.ContentType) != contentType {
		t.Errorf("object %s content type %q, want %q", key, aws.ToString(out.ContentType), contentType)
	}
}

func TestAvatarSyncSlack(t *testing.T) {
	w := newWorld(t, nil)
	slack := w.conns["SLACK"]
	id := w.create(t, map[string]any{"channels": []any{ch(slack, "U0DANA")}, "agentIds": []string{"agent-1"}})
	img := avatarkit.PNG(48, 48, color.RGBA{R: 200, A: 255})
	w.std.SetSlackUser("U0DANA", true, w.std.SetImage("dana.png", img))

	// Not connected yet: OAuth is missing for the workspace.
	r := w.Do(t, "POST", syncPath(id), w.tokens["editor"], syncBody(slack, "U0DANA"))
	if r.Status != 400 || errType(t, r.Body) != "oauth-not-connected" {
		t.Fatalf("before connecting = %d %s", r.Status, r.Body)
	}
	// The detail names the route that connects it (connectSlack's).
	if d, _ := decode(t, r.Body)["detail"].(string); !strings.Contains(d, "POST /v1/tenants/{tenant}/integrations/slack/configs/{config}/slackOAuth ") {
		t.Errorf("detail %q does not name the connect route", d)
	}
	w.connectSlack(t)

	r = w.Do(t, "POST", syncPath(id), w.tokens["editor"], syncBody(slack, "U0DANA"))
	if r.Status != 200 {
		t.Fatalf("sync = %d %s", r.Status, r.Body)
	}
	got := decode(t, r.Body)
	key := "avatars/" + tenant + "/" + id + "/" + sha(img) + ".png"
	if got["avatarFileId"] != key || got["avatarSource"] != "SLACK" || got["avatarSourceConfigId"] != slack ||
		got["avatarSourceAddress"] != "U0DANA" || got["avatarSyncedAt"] == nil {
		t.Fatalf("after sync: %v", got)
	}
	if as := fmt.Sprint(got["avatarAutoSync"]); as != "map[address:U0DANA provider:SLACK synced:true]" {
		t.Errorf("avatarAutoSync = %s", as)
	}
	w.checkObject(t, key, img, "image/png")

	// The stored key is an uploaded file id of the tenant: another
	// participant can be created with it and serves the same image.
	r = w.Do(t, "POST", path(), w.tokens["editor"], mustJSON(map[string]any{"displayName": "Dana's twin", "agentIds": []string{"agent-1"}, "avatarFileId": key}))
	if r.Status != http.StatusCreated || decode(t, r.Body)["avatarSource"] != "UPLOADED" {
		t.Fatalf("create with the file id = %d %s", r.Status, r.Body)
	}
	if as := fmt.Sprint(decode(t, r.Body)["avatarAutoSync"]); as != "map[address:<nil> provider:<nil> synced:false]" {
		t.Errorf("uploaded avatarAutoSync = %s", as)
	}
	twin := decode(t, r.Body)["id"].(string)
	if r := w.Do(t, "GET", path("/", twin, "/avatar"), w.tokens["viewer"], ""); r.Status != http.StatusFound || !strings.Contains(r.Header.Get("Location"), url.PathEscape(id)) {
		t.Errorf("twin's avatar = %d %v", r.Status, r.Header)
	}

	// GET .../avatar redirects to a presigned URL serving the image.
	r = w.Do(t, "GET", path("/", id, "/avatar"), w.tokens["viewer"], "")
	if r.Status != http.StatusFound {
		t.Fatalf("GET avatar = %d %s", r.Status, r.Body)
	}
	loc := r.Header.Get("Location")
	if !strings.Contains(loc, "X-Amz-Signature=") || !strings.Contains(loc, url.PathEscape(id)) {
		t.Errorf("Location %q is not a presigned URL of the object", loc)
	}
	resp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, img) {
		t.Errorf("presigned GET = %d, %d bytes", resp.StatusCode, len(body))
	}

	// The same image again: no second object, a newer avatarSyncedAt.
	time.Sleep(2 * time.Millisecond)
	r = w.Do(t, "POST", syncPath(id), w.tokens["editor"], syncBody(slack, "U0DANA"))
	if r.Status != 200 || decode(t, r.Body)["avatarSyncedAt"].(float64) <= got["avatarSyncedAt"].(float64) {
		t.Fatalf("resync = %d %s", r.Status, r.Body)
	}
	if objs := w.objects(t); len(objs) != 1 {
		t.Errorf("objects after the same image twice: %v", objs)
	}
	// A new picture is a new object and the participant points at it.
	img2 := avatarkit.PNG(64, 32, color.RGBA{B: 200, A: 255})
	w.std.SetImage("dana.png", img2)
	r = w.Do(t, "POST", syncPath(id), w.tokens["editor"], syncBody(slack, "U0DANA"))
	if r.Status != 200 || decode(t, r.Body)["avatarFileId"] != "avatars/"+tenant+"/"+id+"/"+sha(img2)+".png" {
		t.Fatalf("new picture = %d %s", r.Status, r.Body)
	}
	if objs := w.objects(t); len(objs) != 2 {
		t.Errorf("objects = %v", objs)
	}
}

func TestAvatarSyncTelegramAndTeams(t *testing.T) {
	w := newWorld(t, nil)
	tg, teams := w.conns["TELEGRAM"], w.conns["TEAMS"]
	aad := uuid.NewString()
	id := w.create(t, map[string]any{"channels": []any{ch(tg, "424242"), ch(teams, aad)}, "agentIds": []string{"agent-1"}})
	jpeg := jpegBytes(t)
	w.std.SetTelegramPhoto("424242", jpeg)
	r := w.Do(t, "POST", syncPath(id), w.tokens["editor"], syncBody(tg, "424242"))
	if r.Status != 200 {
		t.Fatalf("telegram = %d %s", r.Status, r.Body)
	}
	key := "avatars/" + tenant + "/" + id + "/" + sha(jpeg) + ".jpg"
	if got := decode(t, r.Body); got["avatarFileId"] != key || got["avatarSource"] != "TELEGRAM" {
		t.Fatalf("telegram: %v", got)
	}
	w.checkObject(t, key, jpeg, "image/jpeg")

	gif := gifBytes(t)
	w.std.SetGraphPhoto(aad, gif)
	r = w.Do(t, "POST", syncPath(id), w.tokens["editor"], syncBody(teams, aad))
	if r.Status != 200 {
		t.Fatalf("teams = %d %s", r.Status, r.Body)
	}
	key = "avatars/" + tenant + "/" + id + "/" + sha(gif) + ".gif"
	if got := decode(t, r.Body); got["avatarFileId"] != key || got["avatarSource"] != "TEAMS" || got["avatarSourceAddress"] != aad {
		t.Fatalf("teams: %v", got)
	}
	w.checkObject(t, key, gif, "image/gif")
}

func TestAvatarSyncErrors(t *testing.T) {
	w := newWorld(t, nil)
	w.connectSlack(t)
	slack, tg, teams, wa, sms := w.conns["SLACK"], w.conns["TELEGRAM"], w.conns["TEAMS"], w.conns["WHATSAPP"], w.conns["TWILIO_SMS"]
	ghost := uuid.NewString()
	aadNoPhoto := uuid.NewString()
	id := w.create(t, map[string]any{"agentIds": []string{"agent-1"}, "channels": []any{
		ch(slack, "U0DEFAULT"), ch(slack, "C0CHANNEL"), ch(slack, "U0UNKNOWN"), ch(tg, "555"), ch(tg, "-100123"),
		ch(teams, aadNoPhoto), ch(teams, "19:meeting@thread.tacv2"), ch(wa, "15551234567"), ch(sms, "+15557654321"), ch(ghost, "U0GHOST"),
	}})
	w.std.SetSlackUser("U0DEFAULT", false, "")
	w.std.SetTelegramPhoto("555", nil)
	tests := []struct {
		name, path, body string
		status           int
		typ              string
	}{
		{"channel not on participant", syncPath(id), syncBody(slack, "U0OTHER"), 400, "channel-not-on-participant"},
		{"slack default avatar", syncPath(id), syncBody(slack, "U0DEFAULT"), 400, "no-image"},
		{"slack channel", syncPath(id), syncBody(slack, "C0CHANNEL"), 400, "no-image"},
		{"slack unknown user", syncPath(id), syncBody(slack, "U0UNKNOWN"), 400, "no-image"},
		{"telegram empty photo list", syncPath(id), syncBody(tg, "555"), 400, "no-image"},
		{"telegram group", syncPath(id), syncBody(tg, "-100123"), 400, "no-image"},
		{"teams 404 photo", syncPath(id), syncBody(teams, aadNoPhoto), 400, "no-image"},
		{"teams chat id", syncPath(id), syncBody(teams, "19:meeting@thread.tacv2"), 400, "no-image"},
		{"whatsapp", syncPath(id), syncBody(wa, "15551234567"), 400, "no-avatar-source"},
		{"sms", syncPath(id), syncBody(sms, "+15557654321"), 400, "no-avatar-source"},
		{"connector gone", syncPath(id), syncBody(ghost, "U0GHOST"), 404, "connector-not-found"},
		{"unknown participant", syncPath(uuid.NewString()), syncBody(slack, "U0DEFAULT"), 404, "not-found"},
		{"bad participant id", path("/nope/avatar:syncFromChannel"), syncBody(slack, "U0DEFAULT"), 400, "invalid-id"},
		{"unknown field", syncPath(id), `{"integrationConfigId":"` + slack + `","address":"U0DEFAULT","force":true}`, 400, "unknown-field"},
		{"empty address", syncPath(id), syncBody(slack, ""), 400, "invalid-address"},
		{"no address", syncPath(id), `{"integrationConfigId":"` + slack + `"}`, 400, "invalid-channel"},
		{"bad config id", syncPath(id), syncBody("x", "U0DEFAULT"), 400, "invalid-id"},
		{"unknown action", path("/", id, "/avatar:syncFromGravatar"), syncBody(slack, "U0DEFAULT"), 404, "not-found"},
	}
	before := w.get(t, id)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.Do(t, "POST", tt.path, w.tokens["editor"], tt.body)
			if r.Status != tt.status || errType(t, r.Body) != tt.typ {
				t.Fatalf("= %d %s, want %d %s", r.Status, r.Body, tt.status, tt.typ)
			}
		})
	}
	if after := w.get(t, id); after["modifiedAt"] != before["modifiedAt"] || after["avatarFileId"] != nil {
		t.Errorf("failed syncs changed the participant")
	}
	if objs := w.objects(t); len(objs) != 0 {
		t.Errorf("failed syncs stored %v", objs)
	}
	// Teams without a tenant id in its credentials cannot get a token.
	c := connectors.Connector{ID: uuid.NewString(), Provider: "TEAMS", AgentID: "agent-1", DisplayName: "Teams, no tenant",
		Credentials: map[string]string{"appId": avatarkit.TeamsAppID, "appPassword": avatarkit.TeamsPassword},
		WebhookKey:  connectors.NewWebhookKey(), CreatedAt: 1, ModifiedAt: 1}
	if err := w.Deps.Connectors.Create(w.ctx, tenant, c); err != nil {
		t.Fatal(err)
	}
	aad := uuid.NewString()
	w.std.SetGraphPhoto(aad, jpegBytes(t))
	id2 := w.create(t, map[string]any{"channels": []any{ch(c.ID, aad)}, "agentIds": []string{"agent-1"}})
	if r := w.Do(t, "POST", syncPath(id2), w.tokens["editor"], syncBody(c.ID, aad)); r.Status != 400 || errType(t, r.Body) != "oauth-not-connected" {
		t.Errorf("teams without tenant id = %d %s", r.Status, r.Body)
	}
}

// TestAvatarRefused is the SSRF and content matrix through the API: every
// download is refused, no object is stored, the participant is unchanged.
func TestAvatarRefused(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(avatarkit.PNG(4, 4, color.Black))
	}))
	t.Cleanup(plain.Close)
	loopOK := newWorld(t, nil)
	noLoop := newWorld(t, func(c *participants.Config) { c.Avatar.AllowLoopback = false })
	okPNG := loopOK.std.SetImage("ok.png", avatarkit.PNG(4, 4, color.White))
	noLoop.std.SetImage("ok.png", avatarkit.PNG(4, 4, color.White))
	html := loopOK.std.SetImage("page.png", []byte("<!DOCTYPE html><html><body>not an image</body></html>"))
	svg := loopOK.std.SetImage("vector.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`))
	redirect := func(to string) string { return loopOK.std.ImageURL("/redirect?to=" + url.QueryEscape(to)) }
	tests := []struct {
		name     string
		w        *world
		imageURL string
	}{
		{"metadata address", loopOK, "https://169.254.169.254/latest/meta-data/iam/security-credentials/"},
		{"loopback", noLoop, strings.Replace(okPNG, loopOK.std.URL(), noLoop.std.URL(), 1)},
		{"plain http", loopOK, plain.URL + "/a.png"},
		{"redirect to metadata", loopOK, redirect("https://169.254.169.254/latest/meta-data/")},
		{"redirect to plain http loopback", loopOK, redirect(plain.URL + "/a.png")},
		{"50 MB body", loopOK, loopOK.std.ImageURL("/big.png")},
		{"HTML labelled image/png", loopOK, html},
		{"SVG labelled image/png", loopOK, svg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.w
			w.connectSlack(t)
			addr := "U0" + strings.ToUpper(strings.ReplaceAll(uuid.NewString()[:8], "-", ""))
			id := w.create(t, map[string]any{"channels": []any{ch(w.conns["SLACK"], addr)}, "agentIds": []string{"agent-1"}})
			w.std.SetSlackUser(addr, true, tt.imageURL)
			before := w.rawParticipant(t, id)
			r := w.Do(t, "POST", syncPath(id), w.tokens["editor"], syncBody(w.conns["SLACK"], addr))
			if r.Status != http.StatusBadGateway || errType(t, r.Body) != "avatar-download-refused" {
				t.Fatalf("= %d %s, want 502 avatar-download-refused", r.Status, r.Body)
			}
			t.Logf("%s", decode(t, r.Body)["detail"])
			if objs := w.objects(t); len(objs) != 0 {
				t.Errorf("stored %v", objs)
			}
			if after := w.rawParticipant(t, id); !reflect.DeepEqual(after, before) {
				t.Errorf("participant changed: %v -> %v", before, after)
			}
		})
	}
}

// A slow body is cut at the fetch timeout and refused like the rest,
// through the API of a service whose fetcher gives up after 1 s.
func TestAvatarSlowBodyRefused(t *testing.T) {
	w := newWorld(t, nil)
	w.connectSlack(t)
	id := w.create(t, map[string]any{"channels": []any{ch(w.conns["SLACK"], "U0SLOW")}, "agentIds": []string{"agent-1"}})
	w.std.SetSlackUser("U0SLOW", true, w.std.ImageURL("/slow.png"))
	h := w.Platform.Handler(w.service(t, time.Second).Routes())
	req := httptest.NewRequest("POST", syncPath(id), strings.NewReader(syncBody(w.conns["SLACK"], "U0SLOW")))
	req.Header.Set("Authorization", "Bearer "+w.tokens["editor"])
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadGateway || errType(t, rec.Body.String()) != "avatar-download-refused" {
		t.Fatalf("slow body = %d %s", rec.Code, rec.Body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusal took %v", d)
	}
	if objs := w.objects(t); len(objs) != 0 {
		t.Errorf("stored %v", objs)
	}
	if _, ok := w.rawParticipant(t, id)["avatarFileId"]; ok {
		t.Error("participant changed")
	}
}

// service builds a Service like FromPlatform, with a fetcher timeout.
func (w *world) service(t testing.TB, timeout time.Duration) *participants.Service {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(w.std.CertPEM()))
	loop := []string{"127.0.0.1"}
	f := avatar.NewFetcher(avatar.Config{
		SlackAPIURL: w.std.URL() + "/slack/api/", TelegramAPIURL: w.std.URL() + "/telegram",
		GraphAPIURL: w.std.URL() + "/graph/v1.0", MicrosoftLoginURL: w.std.URL() + "/login",
		AllowedHosts:  map[string][]string{avatar.ProviderSlack: loop, avatar.ProviderTelegram: loop, avatar.ProviderTeams: loop},
		AllowLoopback: true, RootCAs: pool, Timeout: timeout,
	})
	p := w.Platform
	av := participants.Avatars{Fetcher: f, Blobs: participants.NewBlobs(p.AWS, w.cfg.AvatarBucket, w.cfg.S3Endpoint)}
	return participants.New(roster.NewRepo(p.Store), p.Authz, participants.ConnectorsFromRepo(w.Deps.Connectors), av,
		participants.NewSlackOAuth(w.cfg.SlackApp, f))
}

// Approving a Telegram sender as a new participant queues an avatar sync
// in the approval's transaction; the outbox handler completes it.
func TestApprovalQueuesAvatarSync(t *testing.T) {
	w := newWorld(t, nil)
	w.SeedMember(t, tenant, "agent-1", "editor", authz.RoleEditor)
	jpeg := jpegBytes(t)
	w.std.SetTelegramPhoto("8675309", jpeg)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{IntegrationConfigID: w.conns["TELEGRAM"], Provider: "TELEGRAM",
		Address: "8675309", AgentID: "agent-1", DisplayName: "Jenny"})
	r := w.Do(t, "POST", "/v1/tenants/"+tenant+"/participantAccessRequests/"+ar.ID+":approve", w.tokens["editor"], `{"mode":"CREATE_NEW"}`)
	if r.Status != 200 {
		t.Fatalf("approve = %d %s", r.Status, r.Body)
	}
	pid := decode(t, r.Body)["approvedParticipantId"].(string)
	m := w.outbox(t, avatarsync.MessageID(ar.ID))
	if m.Kind != avatarsync.Kind || m.Status != outbox.StatusPending || m.Tenant != tenant {
		t.Fatalf("outbox message %+v", m)
	}
	hs, err := participants.OutboxHandlers(w.Platform, w.Deps.Connectors, w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := hs[avatarsync.Kind](w.ctx, m); err != nil {
		t.Fatalf("handler: %v", err)
	}
	got := w.get(t, pid)
	key := "avatars/" + tenant + "/" + pid + "/" + sha(jpeg) + ".jpg"
	if got["avatarFileId"] != key || got["avatarSource"] != "TELEGRAM" || got["avatarSourceAddress"] != "8675309" {
		t.Fatalf("after the handler: %v", got)
	}
	w.checkObject(t, key, jpeg, "image/jpeg")
	// Delivered again (at-least-once): same object, still fine.
	if err := hs[avatarsync.Kind](w.ctx, m); err != nil {
		t.Fatalf("second delivery: %v", err)
	}
	if objs := w.objects(t); len(objs) != 1 {
		t.Errorf("objects %v", objs)
	}
}

// A Slack sender's sync cannot succeed before OAuth is connected: the
// approval still succeeds and the handler fails permanently.
func TestApprovalAvatarSyncFailureIsRecordedNotFatal(t *testing.T) {
	w := newWorld(t, nil)
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{IntegrationConfigID: w.conns["SLACK"], Provider: "SLACK",
		Address: "U0NEWBIE", AgentID: "agent-1", DisplayName: "Newbie"})
	r := w.Do(t, "POST", "/v1/tenants/"+tenant+"/participantAccessRequests/"+ar.ID+":approve", w.tokens["editor"], `{}`)
	if r.Status != 200 {
		t.Fatalf("approve = %d %s", r.Status, r.Body)
	}
	hs, _ := participants.OutboxHandlers(w.Platform, w.Deps.Connectors, w.cfg)
	err := hs[avatarsync.Kind](w.ctx, w.outbox(t, avatarsync.MessageID(ar.ID)))
	if !errors.Is(err, outbox.ErrPermanent) {
		t.Fatalf("handler = %v, want ErrPermanent", err)
	}
	// WhatsApp senders queue nothing.
	ar = w.SeedRequest(t, tenant, accessrequests.AccessRequest{IntegrationConfigID: w.conns["WHATSAPP"], Provider: "WHATSAPP",
		Address: "4915112345678", AgentID: "agent-1"})
	if r := w.Do(t, "POST", "/v1/tenants/"+tenant+"/participantAccessRequests/"+ar.ID+":approve", w.tokens["editor"], `{}`); r.Status != 200 {
		t.Fatalf("approve = %d %s", r.Status, r.Body)
	}
	if items := w.items(t, store.OutboxPK(avatarsync.MessageID(ar.ID))); len(items) != 0 {
		t.Errorf("WhatsApp approval queued %v", items)
	}
}

func (w *world) outbox(t testing.TB, id string) outbox.Message {
	t.Helper()
	var m outbox.Message
	if err := w.rawTbl.Get("PK", store.OutboxPK(id)).Range("SK", "EQ", store.OutboxSK).Consistent(true).One(w.ctx, &m); err != nil {
		t.Fatalf("outbox %s: %v", id, err)
	}
	return m
}

var presigned = regexp.MustCompile(`X-Amz-Expires=(\d+)`)

func TestGetAvatar(t *testing.T) {
	w := newWorld(t, nil)
	tg := w.conns["TELEGRAM"]
	id := w.create(t, map[string]any{"channels": []any{ch(tg, "1")}, "agentIds": []string{"agent-1"}})
	r := w.Do(t, "GET", path("/", id, "/avatar"), w.tokens["viewer"], "")
	if r.Status != 404 || errType(t, r.Body) != "no-avatar" {
		t.Fatalf("no avatar = %d %s", r.Status, r.Body)
	}
	w.std.SetTelegramPhoto("1", jpegBytes(t))
	if r := w.Do(t, "POST", syncPath(id), w.tokens["editor"], syncBody(tg, "1")); r.Status != 200 {
		t.Fatalf("sync = %d %s", r.Status, r.Body)
	}
	r = w.Do(t, "GET", path("/", id, "/avatar"), w.tokens["viewer"], "")
	if r.Status != 302 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("avatar = %d %v", r.Status, r.Header)
	}
	if m := presigned.FindStringSubmatch(r.Header.Get("Location")); m == nil || m[1] != "300" {
		t.Errorf("Location %q: want X-Amz-Expires=300", r.Header.Get("Location"))
	}
	// The object vanished (e.g. a lifecycle rule): 404, not a dead link.
	key := w.get(t, id)["avatarFileId"].(string)
	if _, err := w.s3.DeleteObject(w.ctx, &s3.DeleteObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	if r := w.Do(t, "GET", path("/", id, "/avatar"), w.tokens["viewer"], ""); r.Status != 404 {
		t.Errorf("vanished object = %d", r.Status)
	}
}

// Without AVATAR_BUCKET the avatar routes say so instead of failing.
func TestAvatarsNotConfigured(t *testing.T) {
	w := newWorld(t, func(c *participants.Config) { c.AvatarBucket = "" })
	tg := w.conns["TELEGRAM"]
	id := w.create(t, map[string]any{"channels": []any{ch(tg, "1")}, "agentIds": []string{"agent-1"}})
	r := w.Do(t, "POST", syncPath(id), w.tokens["editor"], syncBody(tg, "1"))
	if r.Status != 503 || errType(t, r.Body) != "avatars-not-configured" {
		t.Errorf("= %d %s", r.Status, r.Body)
	}
}

func TestSlackOAuth(t *testing.T) {
	w := newWorld(t, nil)
	slack := w.conns["SLACK"]
	oauth := "/v1/tenants/" + tenant + "/integrations/slack/configs/" + slack + "/slackOAuth"
	roles := []struct {
		who, method string
		want        int
	}{
		{"editor", "POST", 403},
		{"viewer", "POST", 403},
		{"nobody", "POST", 404},
		{"stranger", "POST", 404},
		{"", "POST", 401},
		{"viewer", "GET", 200},
		{"editor", "DELETE", 403},
	}
	for _, tt := range roles {
		if r := w.Do(t, tt.method, oauth, w.tokens[tt.who], ""); r.Status != tt.want {
			t.Errorf("%s %s = %d %s, want %d", tt.who, tt.method, r.Status, r.Body, tt.want)
		}
	}
	if r := w.Do(t, "POST", "/v1/tenants/"+tenant+"/integrations/slack/configs/"+w.conns["TELEGRAM"]+"/slackOAuth", w.tokens["admin"], ""); r.Status != 404 {
		t.Errorf("telegram connector = %d %s", r.Status, r.Body)
	}
	if r := w.Do(t, "POST", "/v1/tenants/"+tenant+"/integrations/slack/configs/"+uuid.NewString()+"/slackOAuth", w.tokens["admin"], ""); r.Status != 404 {
		t.Errorf("unknown connector = %d", r.Status)
	}
	r := w.Do(t, "POST", oauth, w.tokens["agentadmin"], "")
	if r.Status != 200 {
		t.Fatalf("connect = %d %s", r.Status, r.Body)
	}
	au, _ := url.Parse(decode(t, r.Body)["authorizeUrl"].(string))
	q := au.Query()
	if au.Path != "/slack/oauth/v2/authorize" || q.Get("client_id") != avatarkit.SlackClientID || q.Get("scope") != "users:read" ||
		q.Get("redirect_uri") != publicBase+"/v1/oauth/slack/callback" || q.Get("state") == "" {
		t.Fatalf("authorize URL %s", au)
	}
	cb := w.followAuthorize(t, au.String())
	cbu, _ := url.Parse(cb)
	forged := cbu.Query()
	forged.Set("state", strings.Replace(forged.Get("state"), ".", ".1", 1))
	bad := []struct{ name, query, typ string }{
		{"forged state", forged.Encode(), "invalid-oauth-state"},
		{"no state", "code=x", "invalid-oauth-state"},
		{"denied", "error=access_denied&state=" + url.QueryEscape(cbu.Query().Get("state")), "oauth-denied"},
		{"no code", "state=" + url.QueryEscape(cbu.Query().Get("state")), "invalid-oauth-code"},
		{"unknown code", "code=nope&state=" + url.QueryEscape(cbu.Query().Get("state")), "invalid-oauth-code"},
	}
	for _, tt := range bad {
		r := w.Do(t, "GET", "/v1/oauth/slack/callback?"+tt.query, "", "")
		if r.Status != 400 || errType(t, r.Body) != tt.typ {
			t.Errorf("%s = %d %s, want 400 %s", tt.name, r.Status, r.Body, tt.typ)
		}
	}
	if r := w.Do(t, "GET", oauth, w.tokens["viewer"], ""); decode(t, r.Body)["connected"] != false {
		t.Errorf("connected before the callback: %s", r.Body)
	}
	r = w.Do(t, "GET", cb, "", "")
	if r.Status != 200 || decode(t, r.Body)["connected"] != true || decode(t, r.Body)["teamId"] != avatarkit.SlackTeamID {
		t.Fatalf("callback = %d %s", r.Status, r.Body)
	}
	// The code is single-use at Slack.
	if r := w.Do(t, "GET", cb, "", ""); r.Status != 400 {
		t.Errorf("replayed callback = %d %s", r.Status, r.Body)
	}
	r = w.Do(t, "GET", oauth, w.tokens["viewer"], "")
	st := decode(t, r.Body)
	if st["connected"] != true || st["connectedBy"] != "agentadmin" || strings.Contains(r.Body, avatarkit.SlackToken) {
		t.Errorf("status %s", r.Body)
	}
	oc, err := roster.NewRepo(w.Platform.Store).GetOAuthConnection(w.ctx, tenant, slack, "SLACK")
	if err != nil || oc.Token != avatarkit.SlackToken {
		t.Errorf("stored token %q %v", oc.Token, err)
	}
	if r := w.Do(t, "DELETE", oauth, w.tokens["agentadmin"], ""); r.Status != 204 {
		t.Errorf("disconnect = %d", r.Status)
	}
	if _, err := roster.NewRepo(w.Platform.Store).GetOAuthConnection(w.ctx, tenant, slack, "SLACK"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token after disconnect: %v", err)
	}
	// An expired state is refused.
	expired := avatar.SignState([]byte(stateKey), `{"t":"`+tenant+`","c":"`+slack+`","s":"x"}`, time.Now().Add(-11*time.Minute))
	if r := w.Do(t, "GET", "/v1/oauth/slack/callback?code=x&state="+url.QueryEscape(expired), "", ""); r.Status != 400 || errType(t, r.Body) != "invalid-oauth-state" {
		t.Errorf("expired state = %d %s", r.Status, r.Body)
	}
}

func TestSlackOAuthNotConfigured(t *testing.T) {
	w := newWorld(t, func(c *participants.Config) { c.SlackApp.ClientSecret = "" })
	r := w.Do(t, "POST", "/v1/tenants/"+tenant+"/integrations/slack/configs/"+w.conns["SLACK"]+"/slackOAuth", w.tokens["admin"], "")
	if r.Status != 503 || errType(t, r.Body) != "slack-oauth-not-configured" {
		t.Errorf("= %d %s", r.Status, r.Body)
	}
	if r := w.Do(t, "GET", "/v1/oauth/slack/callback?code=x&state=y", "", ""); r.Status != 503 {
		t.Errorf("callback = %d", r.Status)
	}
}

func jpegBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 40, 30)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, image.NewPaletted(image.Rect(0, 0, 16, 16), color.Palette{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
