package shares_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/mail/delivery"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/shares"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/keycloakkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/s3kit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const (
	orgA  = "org-a"
	orgB  = "org-b"
	realm = "gatehouse"
)

// world is the shares API over a fresh table, a Keycloak stand-in and an
// in-memory S3, with a token for every kind of caller.
type world struct {
	*apikit.Env
	kc     *keycloakkit.Server
	s3     *s3.Client
	bucket string
	tokens map[string]string
}

func sharesRoutes(d *routes.Deps) ([]httpapi.Route, error) {
	return shares.Routes(d.Platform, d.Config.Shares)
}

func newWorld(t testing.TB) *world {
	t.Helper()
	kc := keycloakkit.NewServer(realm, nil)
	if err := kc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kc.Close() })
	client, endpoint, bucket := s3kit.Start(t)
	e := apikit.NewWith(t, sharesRoutes, routes.Config{Shares: shares.Config{
		Keycloak:       keycloak.Config{BaseURL: kc.URL, Realm: realm, ClientID: keycloakkit.DefaultClientID, ClientSecret: keycloakkit.DefaultClientSecret},
		StateBaseURL:   "https://api.example.test/prod",
		DocumentBucket: bucket, S3Endpoint: endpoint,
	}})
	w := &world{Env: e, kc: kc, s3: client, bucket: bucket, tokens: map[string]string{}}
	for name, c := range map[string]issuerkit.Claims{
		"admin":      {Subject: "ada", Organization: orgA, RealmRoles: []string{"admin"}, Name: "Ada Admin", Email: "ada@a.example"},
		"padmin":     {Subject: "pia", Organization: orgA, RealmRoles: []string{"producer-admin"}},
		"puser":      {Subject: "pete", Organization: orgA, RealmRoles: []string{"producer-user"}, Name: "Pete Producer", Email: "pete@a.example"},
		"sales":      {Subject: "sam", Organization: orgA, RealmRoles: []string{"sales-agent"}},
		"madmin":     {Subject: "max", Organization: orgA, RealmRoles: []string{"manufacturer-admin"}},
		"buyer":      {Subject: "bea", Organization: orgA, RealmRoles: []string{"buyer"}},
		"noorg":      {Subject: "nora", RealmRoles: []string{"admin"}},
		"otheradmin": {Subject: "olga", Organization: orgB, RealmRoles: []string{"admin"}},
	} {
		w.tokens[name] = e.Mint(t, c)
	}
	return w
}

// envelope decodes an error body, failing unless it is exactly the shares
// envelope with one error.
func envelope(t testing.TB, r apikit.Response) shares.EnvelopeError {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type = %q, want application/json", ct)
	}
	dec := json.NewDecoder(strings.NewReader(r.Body))
	dec.DisallowUnknownFields()
	var env shares.Envelope
	if err := dec.Decode(&env); err != nil || len(env.Errors) != 1 || env.Errors[0].Extension == nil {
		t.Fatalf("body %q is not the envelope with one error (err %v)", r.Body, err)
	}
	return env.Errors[0]
}

// wantError checks status, errorCode and extension of an error answer.
func wantError(t testing.TB, r apikit.Response, status int, code string, ext map[string]any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
	e := envelope(t, r)
	if e.ErrorCode != code {
		t.Errorf("errorCode = %q, want %q", e.ErrorCode, code)
	}
	if ext == nil {
		ext = map[string]any{}
	}
	if !reflect.DeepEqual(e.Extension, ext) {
		t.Errorf("extension = %v, want %v", e.Extension, ext)
	}
}

func decode[T any](t testing.TB, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return v
}

// data decodes a success body {"data": T}, failing on any other shape.
func data[T any](t testing.TB, body string) T {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	var v struct{ Data *T }
	if err := dec.Decode(&v); err != nil || v.Data == nil {
		t.Fatalf("body %q is not {\"data\": …} (err %v)", body, err)
	}
	return *v.Data
}

// doWith sends a request with an explicit content type (apikit.Do sends
// JSON), checked against the OpenAPI document like apikit.Do.
func (w *world) doWith(t testing.TB, method, path, token, contentType string, body []byte) apikit.Response {
	t.Helper()
	req := httptest.NewRequestWithContext(context.Background(), method, path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	w.Handler.ServeHTTP(rec, req)
	if w.OpenAPI != nil {
		if _, err := w.OpenAPI.CheckResponse(context.Background(), req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			t.Errorf("response disagrees with the OpenAPI document: %v\nbody: %.2000s", err, rec.Body.String())
		}
	}
	return apikit.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

// part is one multipart part; a file part has a filename.
type part struct{ name, filename, contentType, value string }

// multipartBody encodes parts.
func multipartBody(t testing.TB, parts ...part) (contentType string, body []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(pw, p.value)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), b.Bytes()
}

// upload posts a multipart document for asset.
func (w *world) upload(t testing.TB, token, asset string, parts ...part) apikit.Response {
	t.Helper()
	ct, body := multipartBody(t, parts...)
	return w.doWith(t, "POST", "/v1/documents/assets/zip/"+asset, token, ct, body)
}

// document uploads a document of org A's asset-1 (content: its name).
func (w *world) document(t testing.TB, token, name string) shares.DocumentView {
	t.Helper()
	org := orgA
	if token == w.tokens["otheradmin"] {
		org = orgB
	}
	r := w.upload(t, token, "asset-1",
		part{name: "displayname", value: name}, part{name: "organizationId", value: org}, part{name: "categoryId", value: "AA"},
		part{name: "languageCodes[]", value: "de"}, part{name: "file", filename: name + ".pdf", contentType: "application/pdf", value: "%PDF-1.7 " + name})
	if r.Status != http.StatusCreated {
		t.Fatalf("upload document: %d %s", r.Status, r.Body)
	}
	return data[shares.DocumentView](t, r.Body)
}

func (w *world) share(t testing.TB, token, docID, email string) apikit.Response {
	t.Helper()
	return w.Do(t, "POST", "/v1/shares/"+docID, token, fmt.Sprintf(`{"recipientEmail":%q,"assetId":"asset-1","message":"Please review"}`, email))
}

// invitee is a recipient a test shared a document with.
type invitee struct{ UserID, Email, DocumentID string }

// invited shares a new document of orgA with email: a new recipient is
// waiting for their registration.
func (w *world) invited(t testing.TB, email string) invitee {
	t.Helper()
	doc := w.document(t, w.tokens["admin"], "Offer "+email)
	r := w.share(t, w.tokens["puser"], doc.ID, email)
	if r.Status != http.StatusCreated || r.Body != "{\"data\":{}}\n" {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	return invitee{UserID: w.userID(t, email), Email: strings.ToLower(email), DocumentID: doc.ID}
}

// userID is the Keycloak id of the user with email.
func (w *world) userID(t testing.TB, email string) string {
	t.Helper()
	for _, u := range w.kc.Users() {
		if u.Email == strings.ToLower(email) {
			return u.ID
		}
	}
	t.Fatalf("no Keycloak user %s", email)
	return ""
}

// registered is invited plus the registration step: the recipient waits
// for an admin's decision.
func (w *world) registered(t testing.TB, email string) invitee {
	t.Helper()
	inv := w.invited(t, email)
	r := w.Do(t, "POST", "/v1/shares/complete-profile/"+inv.UserID, "", `{"firstname":"Dana","lastname":"Doe","language":"de"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("complete-profile: %d %s", r.Status, r.Body)
	}
	return inv
}

func (w *world) recipient(t testing.TB, org, id string) shares.Recipient {
	t.Helper()
	rec, err := shares.NewStore(w.Platform.Store).GetRecipient(context.Background(), org, id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// outbox returns the outbox messages in the table (a test-only Scan).
func (w *world) outbox(t testing.TB) []outbox.Message {
	t.Helper()
	var msgs []outbox.Message
	err := w.Platform.Store.Table().Scan().Filter("begins_with(PK, ?)", "OUTBOX#").Consistent(true).All(context.Background(), &msgs)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// mails returns the e-mails queued for to, with the given subject prefix.
func (w *world) mails(t testing.TB, to, subjectPrefix string) []mail.Message {
	t.Helper()
	var out []mail.Message
	for _, m := range w.outbox(t) {
		if m.Kind == audit.KindEventPut {
			continue // the change's event (pkg/audit)
		}
		if m.Kind != shares.KindMailSend {
			t.Errorf("outbox kind %q", m.Kind)
			continue
		}
		var msg mail.Message
		if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil {
			t.Fatal(err)
		}
		if msg.To == to && strings.HasPrefix(msg.Subject, subjectPrefix) {
			out = append(out, msg)
		}
	}
	return out
}

// items counts every item of the table (a test-only Scan).
func (w *world) items(t testing.TB) int {
	t.Helper()
	n, err := w.Platform.Store.Table().Scan().Consistent(true).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const declineSubject = "Your access request"

// The seed 003 flow: share, then decline as an admin of the organization.
func TestDecline(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "Dana@Example.com")
	if got := w.recipient(t, orgA, rec.UserID); got.Email != "dana@example.com" || got.Status != shares.StatusRegistration || len(got.Grants) != 1 {
		t.Fatalf("shared recipient = %+v", got)
	}
	if u, ok := w.kc.User(rec.UserID); !ok || u.Enabled || u.Attributes["organization"][0] != orgA {
		t.Fatalf("Keycloak user = %+v, %v; want a disabled user of %s", u, ok, orgA)
	}
	if r := w.Do(t, "POST", "/v1/shares/complete-profile/"+rec.UserID, "", `{"firstname":"Dana","lastname":"Doe","language":"de"}`); r.Status != 200 {
		t.Fatalf("complete-profile: %d %s", r.Status, r.Body)
	}

	r := w.Do(t, "POST", "/v1/shares/"+rec.UserID+"/decline", w.tokens["padmin"], "")
	if r.Status != http.StatusNoContent || r.Body != "" {
		t.Fatalf("decline = %d %q, want 204 and no body", r.Status, r.Body)
	}
	if _, ok := w.kc.User(rec.UserID); ok {
		t.Error("Keycloak user still exists")
	}
	got := w.recipient(t, orgA, rec.UserID)
	if got.Status != shares.StatusDeclined || got.DecidedBy != "pia" || got.Decision != "" {
		t.Errorf("recipient = %+v", got)
	}
	for id, g := range got.Grants {
		if g.RevokedAt == 0 {
			t.Errorf("grant %s not revoked", id)
		}
	}
	msgs := w.mails(t, "dana@example.com", declineSubject)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, orgA) {
		t.Fatalf("decline e-mails = %+v, want one naming %s", msgs, orgA)
	}
	// The outbox item is what the dispatcher delivers: run the handler.
	dir := t.TempDir()
	d, err := mail.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range w.outbox(t) {
		if m.Kind != shares.KindMailSend {
			continue
		}
		if err := delivery.Handler(d)(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 3 { // the invitation, the sender's notice of the registration and the decline
		t.Errorf("%d .eml files, want 3", len(files))
	}
	// The public state shows nothing once declined.
	if r := w.Do(t, "GET", "/v1/shares/state/"+rec.UserID, "", ""); r.Status != 200 || r.Body != "{\"data\":[]}\n" {
		t.Errorf("state after decline = %d %s", r.Status, r.Body)
	}
}

func TestDeclineRefused(t *testing.T) {
	w := newWorld(t)
	rec := w.registered(t, "erin@example.com")
	doc := w.document(t, w.tokens["admin"], "Spec")
	tests := []struct {
		name, who, id, body string
		status              int
		code                string
		ext                 map[string]any
	}{
		{"other organization", "otheradmin", rec.UserID, "", 403, "NoPermission", nil},
		{"producer-user", "puser", rec.UserID, "", 403, "NoPermission", nil},
		{"sales-agent", "sales", rec.UserID, "", 403, "NoPermission", nil},
		{"no organization claim", "noorg", rec.UserID, "", 403, "NoPermission", nil},
		{"no token", "", rec.UserID, "", 401, "Unauthorized", nil},
		{"document id", "admin", doc.ID, "", 422, "UnprocessableEntity", map[string]any{"entityType": "Document"}},
		{"unknown id", "admin", uuid.NewString(), "", 404, "NotFound", nil},
		{"not a UUID", "admin", "not-a-uuid", "", 400, "BadRequest", map[string]any{"field": "userId"}},
		{"unknown field", "admin", rec.UserID, `{"force":true}`, 400, "BadRequest", nil},
		{"malformed JSON", "admin", rec.UserID, `{`, 400, "BadRequest", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, calls := w.items(t), w.kc.Calls("", "/admin/")
			r := w.Do(t, "POST", "/v1/shares/"+tt.id+"/decline", w.tokens[tt.who], tt.body)
			wantError(t, r, tt.status, tt.code, tt.ext)
			if n := w.kc.Calls("", "/admin/"); n != calls {
				t.Errorf("%d Keycloak admin calls, want none", n-calls)
			}
			if n := w.items(t); n != before {
				t.Errorf("items %d -> %d, want nothing written", before, n)
			}
			if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusWaiting || got.Decision != "" {
				t.Errorf("recipient = %+v, want untouched", got)
			}
			if len(w.mails(t, rec.Email, declineSubject)) != 0 {
				t.Error("a decline e-mail was queued")
			}
			if r.Status == 401 && r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestDeclineTwiceInSequence(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "fay@example.com")
	path := "/v1/shares/" + rec.UserID + "/decline"
	if r := w.Do(t, "POST", path, w.tokens["admin"], ""); r.Status != 204 {
		t.Fatalf("first decline: %d %s", r.Status, r.Body)
	}
	wantError(t, w.Do(t, "POST", path, w.tokens["admin"], ""), 422, "UnprocessableEntity", map[string]any{"status": "DECLINED"})
	if n := w.kc.Calls("DELETE", w.kc.UsersPath()); n != 1 {
		t.Errorf("%d Keycloak deletes, want 1", n)
	}
	if n := len(w.mails(t, rec.Email, declineSubject)); n != 1 {
		t.Errorf("%d decline e-mails, want 1", n)
	}
}

func TestDeclineConcurrently(t *testing.T) {
	w := newWorld(t)
	rec := w.registered(t, "gus@example.com")
	const n = 8
	statuses := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := w.Do(t, "POST", "/v1/shares/"+rec.UserID+"/decline", w.tokens["admin"], "")
			statuses[i], bodies[i] = r.Status, r.Body
		})
	}
	wg.Wait()
	ok := 0
	for i, s := range statuses {
		switch s {
		case 204:
			ok++
		case 422:
			if !strings.Contains(bodies[i], `"status":"DECLINED"`) {
				t.Errorf("422 body %s", bodies[i])
			}
		default:
			t.Errorf("status %d: %s", s, bodies[i])
		}
	}
	if ok != 1 {
		t.Errorf("%d declines answered 204, want 1 (statuses %v)", ok, statuses)
	}
	if n := w.kc.Calls("DELETE", w.kc.UsersPath()); n != 1 {
		t.Errorf("%d Keycloak deletes, want 1", n)
	}
	if n := len(w.mails(t, rec.Email, declineSubject)); n != 1 {
		t.Errorf("%d decline e-mails, want 1", n)
	}
}

// Keycloak fails mid-decline: 502 with nothing changed (recipient still
// waiting, its user kept, no e-mail queued); the retry completes the
// decline with one e-mail. "after a renewed token": the decline's first
// delete meets a revoked token (401), the token endpoint answers, and the
// repeated delete fails, so Keycloak failed after a call of that decline
// had succeeded.
func TestDeclineKeycloakDown(t *testing.T) {
	tests := []struct {
		name   string
		fault  func(kc *keycloakkit.Server)
		tokens int // token fetches the failed decline makes
	}{
		{"500 on the delete", func(kc *keycloakkit.Server) { kc.FailNext(1, http.StatusInternalServerError) }, 0},
		{"503 on the delete", func(kc *keycloakkit.Server) { kc.FailNext(1, http.StatusServiceUnavailable) }, 0},
		{"500 after a renewed token", func(kc *keycloakkit.Server) {
			kc.ExpireTokens()
			kc.FailAfter(1, 1, http.StatusInternalServerError)
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			rec := w.registered(t, "hal@example.com")
			path := "/v1/shares/" + rec.UserID + "/decline"
			before := w.items(t)
			tokensBefore := w.kc.Calls("POST", w.kc.TokenPath())
			tt.fault(w.kc)
			wantError(t, w.Do(t, "POST", path, w.tokens["admin"], ""), 502, "BadGateway", nil)
			if n := w.kc.Calls("POST", w.kc.TokenPath()) - tokensBefore; n != tt.tokens {
				t.Errorf("%d token fetches in the failed decline, want %d", n, tt.tokens)
			}
			if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusWaiting || got.Decision != "" {
				t.Errorf("after 502: recipient = %+v, want WAITING and no claim", got)
			}
			if _, ok := w.kc.User(rec.UserID); !ok {
				t.Error("Keycloak user deleted despite the failure")
			}
			if n := w.items(t); n != before {
				t.Errorf("items %d -> %d after 502", before, n)
			}
			if n := len(w.mails(t, rec.Email, declineSubject)); n != 0 {
				t.Errorf("%d decline e-mails queued after 502, want 0", n)
			}
			if r := w.Do(t, "POST", path, w.tokens["admin"], ""); r.Status != 204 {
				t.Fatalf("retry: %d %s", r.Status, r.Body)
			}
			if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusDeclined {
				t.Errorf("after retry: status %s", got.Status)
			}
			if _, ok := w.kc.User(rec.UserID); ok {
				t.Error("Keycloak user survives the retry")
			}
			if n := len(w.mails(t, rec.Email, declineSubject)); n != 1 {
				t.Errorf("%d decline e-mails, want 1", n)
			}
		})
	}
}

// A decline whose Keycloak delete succeeded but whose transaction never
// ran (a crash): the user is gone, the recipient WAITING; the retry's
// delete finds nothing (404 counts as deleted) and converges.
func TestDeclineAfterKeycloakDeleted(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "ivy@example.com")
	kc, err := newKeycloakClient(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.DeleteUser(context.Background(), rec.UserID); err != nil {
		t.Fatal(err)
	}
	if r := w.Do(t, "POST", "/v1/shares/"+rec.UserID+"/decline", w.tokens["admin"], ""); r.Status != 204 {
		t.Fatalf("decline: %d %s", r.Status, r.Body)
	}
	if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusDeclined {
		t.Errorf("status %s", got.Status)
	}
}

func TestNoTokenEnvelope(t *testing.T) {
	w := newWorld(t)
	id := uuid.NewString()
	for _, rt := range []struct{ method, path string }{
		{"GET", "/v1/documents?assetId=asset-1"},
		{"GET", "/v1/documents/" + id},
		{"DELETE", "/v1/documents/" + id},
		{"POST", "/v1/shares/" + id},
		{"GET", "/v1/shares/check-recipient/x@example.com"},
		{"GET", "/v1/shares/" + orgA + "/pending-requests"},
		{"POST", "/v1/shares/" + id + "/accept"},
		{"POST", "/v1/shares/" + id + "/decline"},
	} {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			r := w.Do(t, rt.method, rt.path, "", "")
			if r.Status != 401 || r.Body != `{"errors":[{"errorCode":"Unauthorized","message":"Authentication is required to access this resource.","extension":{}}]}`+"\n" {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
			r = w.Do(t, rt.method, rt.path, "forged.token.value", "")
			wantError(t, r, 401, "Unauthorized", nil)
		})
	}
}

func TestInvite(t *testing.T) {
	w := newWorld(t)
	doc1 := w.document(t, w.tokens["admin"], "Price list")
	doc2 := w.document(t, w.tokens["admin"], "Catalogue")

	r := w.share(t, w.tokens["puser"], doc1.ID, "jo@example.com")
	if r.Status != 201 || r.Body != "{\"data\":{}}\n" {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	id := w.userID(t, "jo@example.com")
	rec := w.recipient(t, orgA, id)
	g := rec.Grants[doc1.ID]
	if rec.Status != shares.StatusRegistration || g.DocumentName != "Price list" || g.SenderUserName != "Pete Producer" ||
		g.SenderUserEmail != "pete@a.example" || g.Message != "Please review" || rec.OrganizationID != orgA {
		t.Errorf("recipient = %+v", rec)
	}
	inv := w.mails(t, "jo@example.com", "Pete Producer shared")
	if len(inv) != 1 || !strings.Contains(inv[0].Subject, "Price list") ||
		!strings.Contains(inv[0].Text, "https://api.example.test/prod/v1/shares/state/"+id+"/") ||
		!strings.Contains(inv[0].Text, "complete your registration") || !strings.Contains(inv[0].Text, "Please review") {
		t.Fatalf("invitation e-mails = %+v", inv)
	}

	// The same address again, another document: added to the recipient.
	r = w.share(t, w.tokens["sales"], doc2.ID, "JO@example.com")
	if r.Status != 201 {
		t.Fatalf("second share: %d %s", r.Status, r.Body)
	}
	if again := w.recipient(t, orgA, id); len(again.Grants) != 2 || again.Status != shares.StatusRegistration {
		t.Errorf("second share = %+v", again)
	}
	if n := len(w.kc.Users()); n != 1 {
		t.Errorf("%d Keycloak users, want 1", n)
	}
	// The same document again: nothing new, no e-mail.
	before := w.items(t)
	r = w.share(t, w.tokens["admin"], doc1.ID, "jo@example.com")
	if r.Status != 200 || r.Body != "{\"data\":{}}\n" {
		t.Errorf("repeated share: %d %s", r.Status, r.Body)
	}
	if n := w.items(t); n != before {
		t.Errorf("repeated share wrote %d items", n-before)
	}
	if n := len(w.mails(t, "jo@example.com", "")); n != 2 {
		t.Errorf("%d e-mails to jo, want 2 invitations", n)
	}
	// A shared document can no longer be deleted.
	wantError(t, w.Do(t, "DELETE", "/v1/documents/"+doc1.ID, w.tokens["admin"], ""), 409, "Conflict", map[string]any{"reason": "DocumentShared"})
}

// A share sent as anything but JSON is refused before anything happens:
// no Keycloak user, no record, no e-mail.
func TestInviteNotJSON(t *testing.T) {
	w := newWorld(t)
	doc := w.document(t, w.tokens["admin"], "Plain")
	before, users := w.items(t), len(w.kc.Users())
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		r := w.doWith(t, "POST", "/v1/shares/"+doc.ID, w.tokens["admin"], ct, []byte(`{"recipientEmail":"plain@example.com"}`))
		wantError(t, r, 415, "UnsupportedMediaType", nil)
	}
	if r := w.doWith(t, "POST", "/v1/shares/"+doc.ID, w.tokens["admin"], "application/json; charset=utf-8", []byte(`{"recipientEmail":"plain@example.com"}`)); r.Status != 201 {
		t.Errorf("JSON with charset: %d %s", r.Status, r.Body)
	}
	if n := len(w.kc.Users()); n != users+1 {
		t.Errorf("Keycloak users %d -> %d, want one (the JSON share)", users, n)
	}
	if n := w.items(t); n != before+5 { // recipient, id registry, invitation, audit entry, event
		t.Errorf("items %d -> %d, want 5 more (the JSON share)", before, n)
	}
}

func TestInviteRefused(t *testing.T) {
	w := newWorld(t)
	doc := w.document(t, w.tokens["admin"], "Drawing")
	otherDoc := w.document(t, w.tokens["otheradmin"], "Their drawing")
	rec := w.invited(t, "kim@example.com")
	// A recipient of org B, and an ordinary (enabled) account of org A.
	if r := w.share(t, w.tokens["otheradmin"], otherDoc.ID, "lou@example.com"); r.Status != 201 {
		t.Fatalf("share in org B: %d %s", r.Status, r.Body)
	}
	w.kc.AddUser(keycloakkit.User{Username: "staff@a.example", Email: "staff@a.example", Enabled: true,
		Attributes: map[string][]string{"organization": {orgA}}})
	// A document registered before documents belonged to assets.
	noAsset := uuid.NewString()
	if err := shares.NewStore(w.Platform.Store).PutDocument(context.Background(), shares.Document{ID: noAsset, OrganizationID: orgA, Filename: "old.pdf", DisplayName: "Old", CreatedAt: 1, ModifiedAt: 1}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, who, file, body string
		status                int
		code                  string
		ext                   map[string]any
	}{
		{"recipient of another organization", "admin", doc.ID, `{"recipientEmail":"lou@example.com"}`, 409, "Conflict", map[string]any{"reason": "RecipientInAnotherOrganization"}},
		{"existing account", "admin", doc.ID, `{"recipientEmail":"staff@a.example"}`, 409, "Conflict", map[string]any{"reason": "ExistingAccount"}},
		{"document of another organization", "admin", otherDoc.ID, `{"recipientEmail":"x@example.com"}`, 403, "NoPermission", nil},
		{"unknown file", "admin", uuid.NewString(), `{"recipientEmail":"x@example.com"}`, 404, "NotFound", nil},
		{"file id names a recipient", "admin", rec.UserID, `{"recipientEmail":"x@example.com"}`, 422, "UnprocessableEntity", map[string]any{"entityType": "Recipient"}},
		{"document of no asset", "admin", noAsset, `{"recipientEmail":"x@example.com"}`, 422, "UnprocessableEntity", map[string]any{"entityType": "Document"}},
		{"buyer role", "buyer", doc.ID, `{"recipientEmail":"x@example.com"}`, 403, "NoPermission", nil},
		{"manufacturer-admin role", "madmin", doc.ID, `{"recipientEmail":"x@example.com"}`, 403, "NoPermission", nil},
		{"no organization", "noorg", doc.ID, `{"recipientEmail":"x@example.com"}`, 403, "NoPermission", nil},
		{"malformed JSON", "admin", doc.ID, `{"recipientEmail":`, 400, "BadRequest", nil},
		{"not an object", "admin", doc.ID, `["x@example.com"]`, 400, "BadRequest", nil},
		{"unknown field", "admin", doc.ID, `{"recipientEmail":"x@example.com","cc":"y@example.com"}`, 400, "BadRequest", nil},
		{"no e-mail", "admin", doc.ID, `{}`, 400, "BadRequest", map[string]any{"field": "recipientEmail"}},
		{"bad e-mail", "admin", doc.ID, `{"recipientEmail":"not an address"}`, 400, "BadRequest", map[string]any{"field": "recipientEmail"}},
		{"display name", "admin", doc.ID, `{"recipientEmail":"X <x@example.com>"}`, 400, "BadRequest", map[string]any{"field": "recipientEmail"}},
		{"header injection", "admin", doc.ID, `{"recipientEmail":"x@example.com\r\nBcc: y@example.com"}`, 400, "BadRequest", map[string]any{"field": "recipientEmail"}},
		{"e-mail not a string", "admin", doc.ID, `{"recipientEmail":42}`, 400, "BadRequest", nil},
		{"asset of another document", "admin", doc.ID, `{"recipientEmail":"x@example.com","assetId":"asset-2"}`, 400, "BadRequest", map[string]any{"field": "assetId"}},
		{"message too long", "admin", doc.ID, `{"recipientEmail":"x@example.com","message":"` + strings.Repeat("a", 2001) + `"}`, 400, "BadRequest", map[string]any{"field": "message"}},
		{"file id not a UUID", "admin", "drawing.pdf", `{"recipientEmail":"x@example.com"}`, 400, "BadRequest", map[string]any{"field": "fileId"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, users := w.items(t), len(w.kc.Users())
			r := w.Do(t, "POST", "/v1/shares/"+tt.file, w.tokens[tt.who], tt.body)
			wantError(t, r, tt.status, tt.code, tt.ext)
			if n := w.items(t); n != before {
				t.Errorf("items %d -> %d, want nothing written", before, n)
			}
			if n := len(w.kc.Users()); n != users {
				t.Errorf("Keycloak users %d -> %d", users, n)
			}
		})
	}
	if r := w.Do(t, "POST", "/v1/shares/"+doc.ID, w.tokens["admin"], strings.Repeat(" ", 1<<20+1)); r.Status != 400 {
		t.Errorf("oversize body: %d", r.Status)
	}
}

// Bad input never reaches Keycloak and writes nothing, on every route.
func TestBadInputWritesNothing(t *testing.T) {
	w := newWorld(t)
	rec := w.registered(t, "mo@example.com")
	doc := w.document(t, w.tokens["admin"], "Input")
	tests := []struct{ name, method, path, body, field string }{
		{"accept malformed", "POST", "/v1/shares/" + rec.UserID + "/accept", `{"marketplaceRole":`, ""},
		{"accept unknown role", "POST", "/v1/shares/" + rec.UserID + "/accept", `{"marketplaceRole":"admin"}`, "marketplaceRole"},
		{"accept no role", "POST", "/v1/shares/" + rec.UserID + "/accept", `{}`, "marketplaceRole"},
		{"accept unknown field", "POST", "/v1/shares/" + rec.UserID + "/accept", `{"marketplaceRole":"buyer","x":1}`, ""},
		{"accept bad UUID", "POST", "/v1/shares/1234/accept", `{"marketplaceRole":"buyer"}`, "userId"},
		{"decline bad UUID", "POST", "/v1/shares/" + rec.UserID + "x/decline", ``, "userId"},
		{"complete-profile bad UUID", "POST", "/v1/shares/complete-profile/x", `{"firstname":"A","lastname":"B","language":"de"}`, "userId"},
		{"complete-profile no first name", "POST", "/v1/shares/complete-profile/" + rec.UserID, `{"lastname":"B","language":"de"}`, "firstname"},
		{"complete-profile blank last name", "POST", "/v1/shares/complete-profile/" + rec.UserID, `{"firstname":"A","lastname":" ","language":"de"}`, "lastname"},
		{"complete-profile bad language", "POST", "/v1/shares/complete-profile/" + rec.UserID, `{"firstname":"A","lastname":"B","language":"german"}`, "language"},
		{"complete-profile unknown field", "POST", "/v1/shares/complete-profile/" + rec.UserID, `{"firstname":"A","lastname":"B","language":"de","role":"buyer"}`, ""},
		{"check-recipient bad address", "GET", "/v1/shares/check-recipient/not-an-address", ``, "email"},
		{"pending bad page size", "GET", "/v1/shares/" + orgA + "/pending-requests?pageSize=0", ``, "pageSize"},
		{"pending bad token", "GET", "/v1/shares/" + orgA + "/pending-requests?pageToken=xyz", ``, "pageToken"},
		{"pending unknown parameter", "GET", "/v1/shares/" + orgA + "/pending-requests?status=DECLINED", ``, "status"},
		{"state bad UUID", "GET", "/v1/shares/state/nope", ``, "userId"},
		{"share state bad UUID", "GET", "/v1/shares/state/" + rec.UserID + "/nope", ``, "shareId"},
		{"documents without asset", "GET", "/v1/documents", ``, "assetId"},
		{"documents bad limit", "GET", "/v1/documents?assetId=asset-1&limit=51", ``, "limit"},
		{"documents bad page", "GET", "/v1/documents?assetId=asset-1&page=0", ``, "page"},
		{"documents bad sort", "GET", "/v1/documents?assetId=asset-1&sortByName=up", ``, "sortByName"},
		{"documents short search", "GET", "/v1/documents?assetId=asset-1&searchByName=ab", ``, "searchByName"},
		{"documents unknown parameter", "GET", "/v1/documents?assetId=asset-1&owner=x", ``, "owner"},
		{"document bad id", "DELETE", "/v1/documents/x", ``, "fileId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, calls := w.items(t), w.kc.Calls("", "/")
			var ext map[string]any
			if tt.field != "" {
				ext = map[string]any{"field": tt.field}
			}
			r := w.Do(t, tt.method, tt.path, w.tokens["admin"], tt.body)
			if tt.field == "" && r.Status == 400 {
				envelope(t, r) // the extension names what the shared decoder found
			} else {
				wantError(t, r, 400, "BadRequest", ext)
			}
			if n := w.items(t); n != before {
				t.Errorf("items %d -> %d", before, n)
			}
			if n := w.kc.Calls("", "/"); n != calls {
				t.Errorf("%d Keycloak calls", n-calls)
			}
		})
	}
	uploads := []struct {
		name  string
		parts []part
		field string
	}{
		{"no display name", []part{{name: "organizationId", value: orgA}, {name: "categoryId", value: "AA"}, {name: "file", filename: "a.pdf", value: "x"}}, "displayname"},
		{"no category", []part{{name: "displayname", value: "A"}, {name: "organizationId", value: orgA}, {name: "file", filename: "a.pdf", value: "x"}}, "categoryId"},
		{"no file", []part{{name: "displayname", value: "A"}, {name: "organizationId", value: orgA}, {name: "categoryId", value: "AA"}}, "file"},
		{"empty file", []part{{name: "displayname", value: "A"}, {name: "organizationId", value: orgA}, {name: "categoryId", value: "AA"}, {name: "file", filename: "a.pdf"}}, "file"},
		{"dot filename", []part{{name: "displayname", value: "A"}, {name: "organizationId", value: orgA}, {name: "categoryId", value: "AA"}, {name: "file", filename: "..", value: "x"}}, "file"},
		{"bad language", []part{{name: "displayname", value: "A"}, {name: "organizationId", value: orgA}, {name: "categoryId", value: "AA"}, {name: "languageCodes", value: "deu"}, {name: "file", filename: "a.pdf", value: "x"}}, "languageCodes"},
		{"supplier without name", []part{{name: "displayname", value: "A"}, {name: "organizationId", value: orgA}, {name: "categoryId", value: "AA"}, {name: "supplierDocument", value: "true"}, {name: "file", filename: "a.pdf", value: "x"}}, "supplierName"},
		{"unknown field", []part{{name: "displayname", value: "A"}, {name: "owner", value: "x"}}, "owner"},
	}
	for _, tt := range uploads {
		t.Run("upload "+tt.name, func(t *testing.T) {
			before := w.items(t)
			wantError(t, w.upload(t, w.tokens["admin"], "asset-1", tt.parts...), 400, "BadRequest", map[string]any{"field": tt.field})
			if n := w.items(t); n != before {
				t.Errorf("items %d -> %d", before, n)
			}
		})
	}
	wantError(t, w.upload(t, w.tokens["admin"], "a%20b", part{name: "displayname", value: "A"}), 400, "BadRequest", map[string]any{"field": "assetId"})
	ct, body := multipartBody(t, part{name: "organizationId", value: orgA})
	wantError(t, w.doWith(t, "PATCH", "/v1/documents/"+doc.ID, w.tokens["admin"], ct, body), 400, "BadRequest", map[string]any{"field": "organizationId"})
	if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusWaiting {
		t.Errorf("status %s", got.Status)
	}
}

func TestAccept(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "ned@example.com")
	path := "/v1/shares/" + rec.UserID + "/accept"
	// Not registered yet: nothing to accept.
	wantError(t, w.Do(t, "POST", path, w.tokens["padmin"], `{"marketplaceRole":"buyer"}`), 422, "UnprocessableEntity", map[string]any{"status": shares.StatusRegistration})
	if r := w.Do(t, "POST", "/v1/shares/complete-profile/"+rec.UserID, "", `{"firstname":"Ned","lastname":"Nash","language":"en"}`); r.Status != 200 {
		t.Fatal(r.Body)
	}
	wantError(t, w.Do(t, "POST", path, w.tokens["puser"], `{"marketplaceRole":"buyer"}`), 403, "NoPermission", nil)
	wantError(t, w.Do(t, "POST", path, w.tokens["otheradmin"], `{"marketplaceRole":"buyer"}`), 403, "NoPermission", nil)

	r := w.Do(t, "POST", path, w.tokens["padmin"], `{"marketplaceRole":"buyer"}`)
	if r.Status != 204 || r.Body != "" {
		t.Fatalf("accept: %d %q, want 204 and no body", r.Status, r.Body)
	}
	if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusAccepted || got.MarketplaceRole != "buyer" || got.DecidedBy != "pia" {
		t.Errorf("accepted = %+v", got)
	}
	if n := len(w.mails(t, "ned@example.com", orgA+" granted you access")); n != 1 {
		t.Errorf("%d approval notifications, want 1", n)
	}
	u, ok := w.kc.User(rec.UserID)
	if !ok || !u.Enabled || !slices.Contains(u.RequiredActions, "UPDATE_PASSWORD") || !slices.Contains(u.RealmRoles, "buyer") ||
		u.Attributes["organization"][0] != orgA || u.Email != "ned@example.com" {
		t.Errorf("Keycloak user = %+v", u)
	}
	welcome := w.mails(t, "ned@example.com", "Your access has been approved")
	if len(welcome) != 1 || !strings.Contains(welcome[0].Text, "buyer") {
		t.Errorf("welcome e-mails = %+v", welcome)
	}
	// Decided: neither accept nor decline again, and Keycloak is left alone.
	deletes := w.kc.Calls("DELETE", w.kc.UsersPath())
	wantError(t, w.Do(t, "POST", path, w.tokens["padmin"], `{"marketplaceRole":"seller"}`), 422, "UnprocessableEntity", map[string]any{"status": "ACCEPTED"})
	wantError(t, w.Do(t, "POST", "/v1/shares/"+rec.UserID+"/decline", w.tokens["admin"], ""), 422, "UnprocessableEntity", map[string]any{"status": "ACCEPTED"})
	if w.kc.Calls("DELETE", w.kc.UsersPath()) != deletes {
		t.Error("decline of an accepted recipient deleted the Keycloak user")
	}
	// The accepted recipient reads the shared document; nobody else outside the staff does.
	recipientToken := w.Mint(t, issuerkit.Claims{Subject: rec.UserID, Organization: orgA, RealmRoles: []string{"buyer"}})
	docPath := "/v1/documents/" + rec.DocumentID
	if r := w.Do(t, "GET", docPath, recipientToken, ""); r.Status != 200 {
		t.Errorf("recipient reads the document: %d %s", r.Status, r.Body)
	}
	wantError(t, w.Do(t, "GET", docPath, w.tokens["buyer"], ""), 403, "NoPermission", nil)

	// Another document shared with the accepted recipient is granted at once.
	doc := w.document(t, w.tokens["admin"], "Addendum")
	if r := w.share(t, w.tokens["admin"], doc.ID, "ned@example.com"); r.Status != 201 || w.recipient(t, orgA, rec.UserID).Status != shares.StatusAccepted {
		t.Errorf("share with accepted recipient: %d %s", r.Status, r.Body)
	}
	if r := w.Do(t, "GET", "/v1/documents/"+doc.ID, recipientToken, ""); r.Status != 200 {
		t.Errorf("recipient reads the added document: %d %s", r.Status, r.Body)
	}
}

func TestAcceptKeycloakDown(t *testing.T) {
	w := newWorld(t)
	rec := w.registered(t, "oz@example.com")
	path := "/v1/shares/" + rec.UserID + "/accept"
	w.kc.FailNext(1, http.StatusServiceUnavailable)
	wantError(t, w.Do(t, "POST", path, w.tokens["admin"], `{"marketplaceRole":"technician"}`), 502, "BadGateway", nil)
	if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusWaiting || got.Decision != "" {
		t.Errorf("after 502: %+v", got)
	}
	if r := w.Do(t, "POST", path, w.tokens["admin"], `{"marketplaceRole":"technician"}`); r.Status != 204 {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	if n := len(w.mails(t, rec.Email, "Your access has been approved")); n != 1 {
		t.Errorf("%d welcome e-mails", n)
	}
}

// An accept and a decline racing: one wins, the other sees its outcome,
// and Keycloak is never both enabled and deleted.
func TestAcceptDeclineRace(t *testing.T) {
	w := newWorld(t)
	for i := range 5 {
		rec := w.registered(t, fmt.Sprintf("race%d@example.com", i))
		var acc, dec apikit.Response
		var wg sync.WaitGroup
		wg.Go(func() {
			acc = w.Do(t, "POST", "/v1/shares/"+rec.UserID+"/accept", w.tokens["admin"], `{"marketplaceRole":"seller"}`)
		})
		wg.Go(func() { dec = w.Do(t, "POST", "/v1/shares/"+rec.UserID+"/decline", w.tokens["padmin"], "") })
		wg.Wait()
		got := w.recipient(t, orgA, rec.UserID)
		_, exists := w.kc.User(rec.UserID)
		switch {
		case acc.Status == 204 && dec.Status == 422:
			if got.Status != shares.StatusAccepted || !exists {
				t.Errorf("accept won but status %s, Keycloak user exists %v", got.Status, exists)
			}
		case dec.Status == 204 && acc.Status == 422:
			if got.Status != shares.StatusDeclined || exists {
				t.Errorf("decline won but status %s, Keycloak user exists %v", got.Status, exists)
			}
		default:
			t.Errorf("accept %d %s, decline %d %s", acc.Status, acc.Body, dec.Status, dec.Body)
		}
	}
}

func TestState(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "pat@example.com")
	doc := w.document(t, w.tokens["admin"], "Second")
	if r := w.share(t, w.tokens["admin"], doc.ID, "pat@example.com"); r.Status != 201 {
		t.Fatal(r.Body)
	}
	state := "/v1/shares/state/" + rec.UserID
	// Registering: the documented empty list; the share's state says so.
	if r := w.Do(t, "GET", state, "", ""); r.Status != 200 || r.Body != "{\"data\":[]}\n" {
		t.Errorf("state while registering: %d %s", r.Status, r.Body)
	}
	sid := shareIDFromMail(t, w, rec.Email, rec.UserID, "Offer "+rec.Email)
	r := w.Do(t, "GET", state+"/"+sid, "", "")
	if got := data[shares.ShareState](t, r.Body); r.Status != 200 || got.Status != "waiting_for_user_registration" || got.DocumentID != rec.DocumentID || got.AssetID == nil || *got.AssetID != "asset-1" {
		t.Errorf("share state: %d %s", r.Status, r.Body)
	}
	if r := w.Do(t, "POST", "/v1/shares/complete-profile/"+rec.UserID, "", `{"firstname":"Pat","lastname":"Poe","language":"fr"}`); r.Status != 200 ||
		!reflect.DeepEqual(data[shares.ProfileView](t, r.Body), shares.ProfileView{ID: rec.UserID, Email: rec.Email, Enabled: true}) {
		t.Fatalf("complete-profile: %d %s", r.Status, r.Body)
	}
	r = w.Do(t, "GET", state, "", "")
	got := data[[]shares.StateDocument](t, r.Body)
	if r.Status != 200 || len(got) != 2 {
		t.Fatalf("state = %d %s, want 2 documents", r.Status, r.Body)
	}
	if *got[0].SenderUserName != "Pete Producer" || got[1].DocumentName != "Second" || !strings.HasSuffix(got[0].CreatedAt, "Z") {
		t.Errorf("state = %s", r.Body)
	}
	if r := w.Do(t, "GET", state+"/"+sid, "", ""); data[shares.ShareState](t, r.Body).Status != "waiting_for_admin_decision" {
		t.Errorf("share state after registration: %s", r.Body)
	}
	// A token changes nothing; unknown ids and documents are 404.
	if r2 := w.Do(t, "GET", state, w.tokens["otheradmin"], ""); r2.Body != r.Body {
		t.Errorf("with a token: %s", r2.Body)
	}
	for _, path := range []string{"/v1/shares/state/" + uuid.NewString(), "/v1/shares/state/" + doc.ID, state + "/" + uuid.NewString(), "/v1/shares/state/" + uuid.NewString() + "/" + sid} {
		wantError(t, w.Do(t, "GET", path, "", ""), 404, "NotFound", nil)
	}
	// Registration is one step: again is 422, as is an unknown id 404.
	wantError(t, w.Do(t, "POST", "/v1/shares/complete-profile/"+rec.UserID, "", `{"firstname":"Pat","lastname":"Poe","language":"fr"}`),
		422, "UnprocessableEntity", map[string]any{"status": shares.StatusWaiting})
	wantError(t, w.Do(t, "POST", "/v1/shares/complete-profile/"+uuid.NewString(), "", `{"firstname":"A","lastname":"B","language":"de"}`), 404, "NotFound", nil)
	wantError(t, w.Do(t, "POST", "/v1/shares/complete-profile/"+doc.ID, "", `{"firstname":"A","lastname":"B","language":"de"}`), 422, "UnprocessableEntity", map[string]any{"entityType": "Document"})
	// Declined: the share says so, the list is empty.
	if r := w.Do(t, "POST", "/v1/shares/"+rec.UserID+"/decline", w.tokens["admin"], ""); r.Status != 204 {
		t.Fatal(r.Body)
	}
	if r := w.Do(t, "GET", state+"/"+sid, "", ""); data[shares.ShareState](t, r.Body).Status != "declined" {
		t.Errorf("share state after decline: %s", r.Body)
	}
}

// shareIDFromMail reads the share id from the state link of the e-mail to
// that shared documentName.
func shareIDFromMail(t testing.TB, w *world, to, userID, documentName string) string {
	t.Helper()
	prefix := "https://api.example.test/prod/v1/shares/state/" + userID + "/"
	for _, m := range w.mails(t, to, "") {
		if _, rest, ok := strings.Cut(m.Text, prefix); ok && strings.Contains(m.Subject, documentName) {
			return rest[:36]
		}
	}
	t.Fatalf("no state link in the e-mails to %s", to)
	return ""
}

// The registration step: Keycloak enabled with names and language, the
// organization's admins told (else support, else the senders).
func TestCompleteProfile(t *testing.T) {
	w := newWorld(t)
	w.kc.AddUser(keycloakkit.User{Username: "boss@a.example", Email: "boss@a.example", Enabled: true, RealmRoles: []string{"admin"},
		Attributes: map[string][]string{"organization": {orgA}}})
	w.kc.AddUser(keycloakkit.User{Username: "prod@a.example", Email: "prod@a.example", Enabled: true, RealmRoles: []string{"producer-admin"},
		Attributes: map[string][]string{"organization": {orgA}}})
	w.kc.AddUser(keycloakkit.User{Username: "boss@b.example", Email: "boss@b.example", Enabled: true, RealmRoles: []string{"admin"},
		Attributes: map[string][]string{"organization": {orgB}}})
	w.kc.AddUser(keycloakkit.User{Username: "gone@a.example", Email: "gone@a.example", Enabled: false, RealmRoles: []string{"admin"},
		Attributes: map[string][]string{"organization": {orgA}}})
	for _, r := range []string{"admin", "producer-admin"} {
		w.kc.AddRole(r)
	}
	rec := w.invited(t, "reg@example.com")
	r := w.Do(t, "POST", "/v1/shares/complete-profile/"+rec.UserID, "", `{"firstname":" Regina ","lastname":"Rex","language":"de-AT"}`)
	if r.Status != 200 {
		t.Fatalf("complete-profile: %d %s", r.Status, r.Body)
	}
	u, _ := w.kc.User(rec.UserID)
	if !u.Enabled || u.FirstName != "Regina" || u.LastName != "Rex" || !reflect.DeepEqual(u.Attributes["locale"], []string{"de-at"}) || u.Attributes["organization"][0] != orgA {
		t.Errorf("Keycloak user = %+v", u)
	}
	got := w.recipient(t, orgA, rec.UserID)
	if got.Status != shares.StatusWaiting || got.FirstName != "Regina" || got.Language != "de-at" {
		t.Errorf("recipient = %+v", got)
	}
	for to, want := range map[string]int{"boss@a.example": 1, "prod@a.example": 1, "boss@b.example": 0, "gone@a.example": 0, "pete@a.example": 0} {
		if n := len(w.mails(t, to, "A share recipient waits")); n != want {
			t.Errorf("%d e-mails to %s, want %d", n, to, want)
		}
	}
	if m := w.mails(t, "boss@a.example", ""); len(m) == 1 && !strings.Contains(m[0].Text, "Regina Rex (reg@example.com)") {
		t.Errorf("admin e-mail: %s", m[0].Text)
	}
	// Keycloak down: 502, nothing changed; the retry converges.
	again := w.invited(t, "retry@example.com")
	w.kc.FailNext(1, http.StatusBadGateway)
	path := "/v1/shares/complete-profile/" + again.UserID
	wantError(t, w.Do(t, "POST", path, "", `{"firstname":"A","lastname":"B","language":"de"}`), 502, "BadGateway", nil)
	if got := w.recipient(t, orgA, again.UserID); got.Status != shares.StatusRegistration {
		t.Errorf("after 502: %s", got.Status)
	}
	if r := w.Do(t, "POST", path, "", `{"firstname":"A","lastname":"B","language":"de"}`); r.Status != 200 {
		t.Errorf("retry: %d %s", r.Status, r.Body)
	}
}

func TestCheckRecipient(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "chk@example.com")
	otherDoc := w.document(t, w.tokens["otheradmin"], "B doc")
	if r := w.share(t, w.tokens["otheradmin"], otherDoc.ID, "theirs@example.com"); r.Status != 201 {
		t.Fatal(r.Body)
	}
	yes, no := true, false
	registration := shares.StatusRegistration
	tests := []struct {
		email string
		want  shares.RecipientCheck
	}{
		{"CHK@example.com", shares.RecipientCheck{Exists: true, SameOrganization: &yes, UserID: &rec.UserID, Status: &registration}},
		{"theirs@example.com", shares.RecipientCheck{Exists: true, SameOrganization: &no}},
		{"nobody@example.com", shares.RecipientCheck{}},
	}
	for _, tt := range tests {
		r := w.Do(t, "GET", "/v1/shares/check-recipient/"+tt.email, w.tokens["puser"], "")
		if got := data[shares.RecipientCheck](t, r.Body); r.Status != 200 || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %d %s", tt.email, r.Status, r.Body)
		}
	}
	for _, who := range []string{"sales", "madmin", "noorg"} {
		wantError(t, w.Do(t, "GET", "/v1/shares/check-recipient/chk@example.com", w.tokens[who], ""), 403, "NoPermission", nil)
	}
}

func TestPending(t *testing.T) {
	w := newWorld(t)
	a := w.registered(t, "quinn@example.com")
	b := w.registered(t, "rae@example.com")
	doc := w.document(t, w.tokens["admin"], "Extra")
	if r := w.share(t, w.tokens["admin"], doc.ID, "quinn@example.com"); r.Status != 201 {
		t.Fatal(r.Body)
	}
	c := w.registered(t, "sid@example.com")
	if r := w.Do(t, "POST", "/v1/shares/"+c.UserID+"/decline", w.tokens["admin"], ""); r.Status != 204 {
		t.Fatal(r.Body)
	}
	w.invited(t, "unregistered@example.com") // not listed before registration
	// org B's recipients never show up in org A's list.
	otherDoc := w.document(t, w.tokens["otheradmin"], "B's")
	if r := w.share(t, w.tokens["otheradmin"], otherDoc.ID, "tess@example.com"); r.Status != 201 {
		t.Fatal(r.Body)
	}

	path := "/v1/shares/" + orgA + "/pending-requests"
	calls := w.Table.Counter.Calls()
	r := w.Do(t, "GET", path, w.tokens["padmin"], "")
	if r.Status != 200 {
		t.Fatalf("pending: %d %s", r.Status, r.Body)
	}
	if n := w.Table.Counter.Calls() - calls; n != 1 {
		t.Errorf("%d DynamoDB calls, want 1 Query", n)
	}
	list := data[[]shares.PendingRecipient](t, r.Body)
	if len(list) != 2 || r.Header.Get("Link") != "" {
		t.Fatalf("pending = %s (Link %q)", r.Body, r.Header.Get("Link"))
	}
	// Newest first, each recipient with their shares.
	if list[0].RecipientID != b.UserID || list[1].RecipientID != a.UserID || len(list[1].Shares) != 2 || len(list[0].Shares) != 1 {
		t.Errorf("pending = %s", r.Body)
	}
	sh := list[1].Shares[0]
	if sh.DocumentID != a.DocumentID || sh.RecipientEmail != "quinn@example.com" || *sh.RecipientName != "Dana Doe" || *sh.SenderName != "Pete Producer" ||
		*sh.SenderEmail != "pete@a.example" || sh.ShareID != shareIDFromMail(t, w, "quinn@example.com", a.UserID, "Offer quinn@example.com") {
		t.Errorf("share = %+v", sh)
	}

	// One per page, the next page linked (RFC 8288).
	r = w.Do(t, "GET", path+"?pageSize=1", w.tokens["admin"], "")
	if page := data[[]shares.PendingRecipient](t, r.Body); len(page) != 1 {
		t.Fatalf("page 1 = %s", r.Body)
	}
	link := r.Header.Get("Link")
	next, ok := strings.CutPrefix(link, "<")
	next, _, found := strings.Cut(next, `>; rel="next"`)
	if !ok || !found {
		t.Fatalf("Link = %q", link)
	}
	u, _ := url.Parse(next)
	r = w.Do(t, "GET", u.RequestURI(), w.tokens["admin"], "")
	if page2 := data[[]shares.PendingRecipient](t, r.Body); len(page2) != 1 || page2[0].RecipientID != a.UserID {
		t.Errorf("page 2 = %s", r.Body)
	}
	// A page token of org A's list is no good for org B's.
	wantError(t, w.Do(t, "GET", "/v1/shares/"+orgB+"/pending-requests?pageToken="+u.Query().Get("pageToken"), w.tokens["otheradmin"], ""),
		400, "BadRequest", map[string]any{"field": "pageToken"})

	for _, tt := range []struct{ who, org string }{{"otheradmin", orgA}, {"admin", orgB}, {"puser", orgA}, {"sales", orgA}, {"noorg", orgA}} {
		wantError(t, w.Do(t, "GET", "/v1/shares/"+tt.org+"/pending-requests", w.tokens[tt.who], ""), 403, "NoPermission", nil)
	}
	wantError(t, w.Do(t, "GET", "/v1/shares/"+orgA+"/pending-requests", "", ""), 401, "Unauthorized", nil)
	wantError(t, w.Do(t, "GET", "/v1/shares/"+orgA+"/pending", w.tokens["admin"], ""), 404, "NotFound", nil)
}

func TestDocuments(t *testing.T) {
	w := newWorld(t)
	r := w.upload(t, w.tokens["puser"], "asset-7",
		part{name: "displayname", value: "Manual 2025"}, part{name: "organizationId", value: orgA}, part{name: "categoryId", value: "AA"},
		part{name: "languageCodes[]", value: "de"}, part{name: "languageCodes[]", value: "fr"},
		part{name: "supplierDocument", value: "true"}, part{name: "supplierName", value: "Amcor"},
		part{name: "file", filename: "manual.pdf", contentType: "application/octet-stream", value: "%PDF-1.7 manual"})
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	d := data[shares.DocumentView](t, r.Body)
	if r.Header.Get("Location") != "/v1/documents/"+d.ID || d.Filename != "manual.pdf" || d.DisplayName != "Manual 2025" || d.OrganizationID != orgA ||
		*d.Mimetype != "application/pdf" || d.Category.ID != "AA" || !reflect.DeepEqual(d.Languages, []string{"de", "fr"}) || !d.SupplierDocument ||
		*d.SupplierName != "Amcor" || *d.CreatedBy != "pete" || d.AIInjected != "uninjected" || d.CreatedAt != d.UpdatedAt {
		t.Errorf("uploaded = %s", r.Body)
	}
	// The bytes are in S3.
	list, err := w.s3.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &w.bucket})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("S3 objects: %v %v", list, err)
	}
	obj, err := w.s3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: &w.bucket, Key: list.Contents[0].Key})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	if string(body) != "%PDF-1.7 manual" || *obj.ContentType != "application/pdf" {
		t.Errorf("stored %q as %s", body, *obj.ContentType)
	}
	// The same bytes again: the documented DuplicateDocument warning, nothing stored.
	before := w.items(t)
	r = w.upload(t, w.tokens["admin"], "asset-8", part{name: "displayname", value: "Copy"}, part{name: "organizationId", value: orgA},
		part{name: "categoryId", value: "BB"}, part{name: "file", filename: "copy.pdf", value: "%PDF-1.7 manual"})
	if dup := data[shares.DuplicateView](t, r.Body); r.Status != 200 || dup.WarningCode != "DuplicateDocument" || dup.Extension.Document.ID != d.ID {
		t.Errorf("duplicate: %d %s", r.Status, r.Body)
	}
	if n := w.items(t); n != before {
		t.Errorf("duplicate wrote %d items", n-before)
	}
	second := w.document(t, w.tokens["admin"], "Another")
	other := w.document(t, w.tokens["otheradmin"], "Theirs")

	for _, who := range []string{"admin", "puser", "madmin", "sales"} {
		if r := w.Do(t, "GET", "/v1/documents/"+d.ID, w.tokens[who], ""); r.Status != 200 || data[shares.DocumentView](t, r.Body).ID != d.ID {
			t.Errorf("%s reads: %d %s", who, r.Status, r.Body)
		}
	}
	// Lists by asset; filters; pages.
	lists := []struct {
		query string
		want  []string
	}{
		{"assetId=asset-7", []string{d.ID}},
		{"assetId=asset-7,asset-1", []string{second.ID, d.ID}},
		{"AssetId=asset-7&assetId=asset-1&sortByName=asc", []string{second.ID, d.ID}},
		{"assetId[]=asset-7&assetId[]=asset-1&limit=1&page=2", []string{d.ID}},
		{"assetId=asset-7,asset-1&filterByLanguage=fr", []string{d.ID}},
		{"assetId=asset-7,asset-1&filterByCategory=AA&supplier=false", []string{second.ID}},
		{"assetId=asset-7,asset-1&searchByName=MANUAL", []string{d.ID}},
		{"assetId=asset-7,asset-1&filterBySupplier=Amcor&filterByFileType=application/pdf", []string{d.ID}},
		{"assetId=asset-9", []string{}},
	}
	for _, tt := range lists {
		r := w.Do(t, "GET", "/v1/documents?"+tt.query, w.tokens["madmin"], "")
		var ids []string
		for _, v := range data[[]shares.DocumentView](t, r.Body) {
			ids = append(ids, v.ID)
		}
		if r.Status != 200 || !slices.Equal(ids, tt.want) {
			t.Errorf("%s: %d %v, want %v", tt.query, r.Status, ids, tt.want)
		}
	}
	// PATCH: metadata and a new file.
	ct, mp := multipartBody(t, part{name: "displayname", value: "Manual 2026"}, part{name: "supplierDocument", value: "false"},
		part{name: "languageCodes", value: "en"}, part{name: "file", filename: "manual-2026.pdf", contentType: "application/pdf", value: "%PDF-1.7 manual 2026"})
	r = w.doWith(t, "PATCH", "/v1/documents/"+d.ID, w.tokens["padmin"], ct, mp)
	p := data[shares.DocumentView](t, r.Body)
	if r.Status != 200 || p.DisplayName != "Manual 2026" || p.Filename != "manual-2026.pdf" || p.SupplierDocument || !reflect.DeepEqual(p.Languages, []string{"en"}) ||
		*p.UpdatedBy != "pia" || p.CreatedAt != d.CreatedAt {
		t.Errorf("patched: %d %s", r.Status, r.Body)
	}
	if list, _ := w.s3.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &w.bucket}); len(list.Contents) != 3 {
		t.Errorf("%d S3 objects after the replacement, want 3 (the old one deleted)", len(list.Contents))
	}
	ct, mp = multipartBody(t, part{name: "file", filename: "x.pdf", value: "%PDF-1.7 Another"})
	wantError(t, w.doWith(t, "PATCH", "/v1/documents/"+d.ID, w.tokens["admin"], ct, mp), 409, "Conflict", map[string]any{"reason": "DuplicateDocument"})

	wantError(t, w.Do(t, "GET", "/v1/documents/"+other.ID, w.tokens["admin"], ""), 403, "NoPermission", nil)
	wantError(t, w.Do(t, "GET", "/v1/documents/"+d.ID, w.tokens["buyer"], ""), 403, "NoPermission", nil)
	wantError(t, w.Do(t, "GET", "/v1/documents/"+uuid.NewString(), w.tokens["admin"], ""), 404, "NotFound", nil)
	wantError(t, w.Do(t, "GET", "/v1/documents/x", w.tokens["admin"], ""), 400, "BadRequest", map[string]any{"field": "fileId"})
	wantError(t, w.Do(t, "GET", "/v1/documents?assetId=asset-7", w.tokens["sales"], ""), 403, "NoPermission", nil)
	wantError(t, w.upload(t, w.tokens["sales"], "asset-1", part{name: "displayname", value: "A"}), 403, "NoPermission", nil)
	wantError(t, w.upload(t, w.tokens["admin"], "asset-1", part{name: "displayname", value: "A"}, part{name: "organizationId", value: orgB},
		part{name: "categoryId", value: "AA"}, part{name: "file", filename: "a.pdf", value: "b"}), 403, "NoPermission", nil)
	// A JSON body is not a multipart upload.
	wantError(t, w.Do(t, "POST", "/v1/documents/assets/zip/asset-1", w.tokens["admin"], `{"displayname":"A"}`), 415, "UnsupportedMediaType", nil)

	// A waiting recipient has no access yet.
	rec := w.registered(t, "uma@example.com")
	wantError(t, w.Do(t, "GET", "/v1/documents/"+rec.UserID, w.tokens["admin"], ""), 422, "UnprocessableEntity", map[string]any{"entityType": "Recipient"})
	recToken := w.Mint(t, issuerkit.Claims{Subject: rec.UserID, Organization: orgA})
	wantError(t, w.Do(t, "GET", "/v1/documents/"+rec.DocumentID, recToken, ""), 403, "NoPermission", nil)

	// DELETE: gone from the list, the id and S3; again 404.
	if r := w.Do(t, "DELETE", "/v1/documents/"+d.ID, w.tokens["madmin"], ""); r.Status != 204 || r.Body != "" {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	wantError(t, w.Do(t, "DELETE", "/v1/documents/"+d.ID, w.tokens["madmin"], ""), 404, "NotFound", nil)
	if r := w.Do(t, "GET", "/v1/documents?assetId=asset-7", w.tokens["admin"], ""); r.Body != "{\"data\":[]}\n" {
		t.Errorf("list after delete: %s", r.Body)
	}
	if list, _ := w.s3.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &w.bucket}); len(list.Contents) != 3 {
		t.Errorf("%d S3 objects after the delete, want 3 (Another, Theirs, uma's)", len(list.Contents))
	}
	// The content may be uploaded again once its document is gone.
	if r := w.upload(t, w.tokens["admin"], "asset-7", part{name: "displayname", value: "Back"}, part{name: "organizationId", value: orgA},
		part{name: "categoryId", value: "AA"}, part{name: "file", filename: "m.pdf", value: "%PDF-1.7 manual 2026"}); r.Status != 201 {
		t.Errorf("upload after delete: %d %s", r.Status, r.Body)
	}
}

func TestOutboxHandlers(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	hs, err := delivery.OutboxHandlers(w.Platform, delivery.Config{Dir: dir, From: "Shares <shares@example.test>"})
	if err != nil {
		t.Fatal(err)
	}
	w.invited(t, "vic@example.com")
	var msgs []outbox.Message
	for _, m := range w.outbox(t) {
		if m.Kind == shares.KindMailSend { // beside it, the ShareInvited event
			msgs = append(msgs, m)
		}
	}
	if len(msgs) != 1 {
		t.Fatalf("%d mail.send outbox messages", len(msgs))
	}
	if err := hs[shares.KindMailSend](context.Background(), msgs[0]); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d files", len(files))
	}
	raw, _ := os.ReadFile(files[0])
	if !strings.Contains(string(raw), "To: vic@example.com") || !strings.Contains(string(raw), `From: "Shares" <shares@example.test>`) {
		t.Errorf("eml:\n%s", raw)
	}
}

func TestMailHandlerErrors(t *testing.T) {
	d, err := mail.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := delivery.Handler(d)
	payload := func(m mail.Message) string { b, _ := json.Marshal(m); return string(b) }
	tests := []struct {
		name      string
		msg       outbox.Message
		permanent bool
	}{
		{"bad payload", outbox.Message{Kind: shares.KindMailSend, Payload: "{"}, true},
		{"bad address", outbox.Message{Kind: shares.KindMailSend, Payload: payload(mail.Message{To: "nobody", Subject: "s", Text: "t"})}, true},
		{"other kind", outbox.Message{Kind: "chat.send", Payload: "{}"}, true},
		{"good", outbox.Message{Kind: shares.KindMailSend, Payload: payload(mail.Message{To: "a@example.com", Subject: "s", Text: "t"})}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h(context.Background(), tt.msg)
			if got := err != nil && isPermanent(err); got != tt.permanent {
				t.Errorf("err = %v, permanent %v, want %v", err, got, tt.permanent)
			}
			if !tt.permanent && err != nil {
				t.Error(err)
			}
		})
	}
	// A transient failure stays transient.
	if err := delivery.Handler(failing{})(context.Background(), tests[3].msg); err == nil || isPermanent(err) {
		t.Errorf("transient send error = %v", err)
	}
}

type failing struct{}

func (failing) Send(context.Context, mail.Message) error { return fmt.Errorf("throttled") }

func isPermanent(err error) bool { return errors.Is(err, outbox.ErrPermanent) }

func newKeycloakClient(w *world) (*keycloak.Client, error) {
	return keycloak.New(keycloak.Config{BaseURL: w.kc.URL, Realm: realm, ClientID: keycloakkit.DefaultClientID, ClientSecret: keycloakkit.DefaultClientSecret})
}

// Without Keycloak settings the routes still mount (every Lambda and test
// builds all routes); what needs Keycloak answers 500, the rest works.
func TestWithoutKeycloak(t *testing.T) {
	e := apikit.NewWith(t, sharesRoutes, routes.Config{})
	admin := e.Mint(t, issuerkit.Claims{Subject: "ada", Organization: orgA, RealmRoles: []string{"admin"}})
	id := uuid.NewString()
	if err := shares.NewStore(e.Platform.Store).PutDocument(context.Background(), shares.Document{ID: id, OrganizationID: orgA, AssetID: "asset-1", Filename: "a.pdf", DisplayName: "A", CreatedAt: 1, ModifiedAt: 1}); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.Do(t, "POST", "/v1/shares/"+id, admin, `{"recipientEmail":"x@example.com"}`), 500, "InternalServerError", nil)
	// Without a bucket, uploads fail the same way, in the document pages' words.
	w := &world{Env: e}
	r := w.upload(t, admin, "asset-1", part{name: "displayname", value: "A"}, part{name: "organizationId", value: orgA},
		part{name: "categoryId", value: "AA"}, part{name: "file", filename: "a.pdf", value: "b"})
	wantError(t, r, 500, "InternalServerError", nil)
	if e := envelope(t, r); e.Message != "An unexpected internal server error occurred." {
		t.Errorf("message %q", e.Message)
	}
	if r := e.Do(t, "GET", "/v1/shares/"+orgA+"/pending-requests", admin, ""); r.Status != 200 {
		t.Errorf("pending: %d %s", r.Status, r.Body)
	}
}

// A decision in flight holds a claim: another one waits for it (up to
// Service.Wait), and takes over a claim whose holder died (lease expired).
func TestDecisionClaim(t *testing.T) {
	w := newWorld(t)
	kc, err := newKeycloakClient(w)
	if err != nil {
		t.Fatal(err)
	}
	st := shares.NewStore(w.Platform.Store)
	svc := shares.New(st, kc, nil, nil)
	svc.Wait = 300 * time.Millisecond
	decline := func(id string) apikit.Response {
		// The same table and issuer, served by svc.
		defer func(h http.Handler) { w.Handler = h }(w.Handler)
		w.Handler = w.Platform.Handler(svc.Routes())
		return w.Do(t, "POST", "/v1/shares/"+id+"/decline", w.tokens["admin"], "")
	}

	held := w.registered(t, "held@example.com")
	now := time.Now()
	if _, err := st.Claim(context.Background(), orgA, held.UserID, "ACCEPT:other", now.UnixMilli(), now.Add(time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	deletes := w.kc.Calls("DELETE", w.kc.UsersPath())
	wantError(t, decline(held.UserID), 409, "Conflict", map[string]any{"reason": "DecisionInProgress"})
	if w.kc.Calls("DELETE", w.kc.UsersPath()) != deletes {
		t.Error("Keycloak called while another decision held the claim")
	}

	dead := w.registered(t, "dead@example.com")
	if _, err := st.Claim(context.Background(), orgA, dead.UserID, "ACCEPT:crashed", now.Add(-time.Minute).UnixMilli(), now.Add(-time.Second).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if r := decline(dead.UserID); r.Status != 204 {
		t.Fatalf("decline over an expired claim: %d %s", r.Status, r.Body)
	}
}
