package shares_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

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
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const (
	orgA  = "org-a"
	orgB  = "org-b"
	realm = "gatehouse"
)

// world is the shares API over a fresh table and a Keycloak stand-in, with
// a token for every kind of caller.
type world struct {
	*apikit.Env
	kc     *keycloakkit.Server
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
	e := apikit.NewWith(t, sharesRoutes, routes.Config{Shares: shares.Config{
		Keycloak:     keycloak.Config{BaseURL: kc.URL, Realm: realm, ClientID: keycloakkit.DefaultClientID, ClientSecret: keycloakkit.DefaultClientSecret},
		StateBaseURL: "https://api.example.test/prod",
	}})
	w := &world{Env: e, kc: kc, tokens: map[string]string{}}
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

// document registers a document of the token's organization.
func (w *world) document(t testing.TB, token, name string) shares.Document {
	t.Helper()
	r := w.Do(t, "POST", "/v1/documents", token, fmt.Sprintf(`{"filename":%q,"displayName":%q,"assetId":"asset-1","category":"contract","mimetype":"application/pdf"}`, name+".pdf", name))
	if r.Status != http.StatusCreated {
		t.Fatalf("register document: %d %s", r.Status, r.Body)
	}
	var d struct{ ID string }
	if err := json.Unmarshal([]byte(r.Body), &d); err != nil {
		t.Fatal(err)
	}
	return shares.Document{ID: d.ID, DisplayName: name}
}

func (w *world) share(t testing.TB, token, docID, email string) apikit.Response {
	t.Helper()
	return w.Do(t, "POST", "/v1/shares/"+docID, token, fmt.Sprintf(`{"recipientEmail":%q,"assetId":"asset-1","message":"Please review"}`, email))
}

// invited shares a new document of orgA with email and returns the recipient.
func (w *world) invited(t testing.TB, email string) shares.RecipientView {
	t.Helper()
	doc := w.document(t, w.tokens["admin"], "Offer "+email)
	r := w.share(t, w.tokens["puser"], doc.ID, email)
	if r.Status != http.StatusCreated {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	return decode[shares.RecipientView](t, r.Body)
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
	if rec.Email != "dana@example.com" || rec.Status != shares.StatusWaiting || len(rec.Documents) != 1 {
		t.Fatalf("shared recipient = %+v", rec)
	}
	if u, ok := w.kc.User(rec.UserID); !ok || u.Enabled || u.Attributes["organization"][0] != orgA {
		t.Fatalf("Keycloak user = %+v, %v; want a disabled user of %s", u, ok, orgA)
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
		if err := delivery.Handler(d)(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 2 { // the invitation and the decline
		t.Errorf("%d .eml files, want 2", len(files))
	}
	// The public state shows nothing once declined.
	if r := w.Do(t, "GET", "/v1/shares/state/"+rec.UserID, "", ""); r.Status != 200 || r.Body != "{\"documents\":[]}\n" {
		t.Errorf("state after decline = %d %s", r.Status, r.Body)
	}
}

func TestDeclineRefused(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "erin@example.com")
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
	rec := w.invited(t, "gus@example.com")
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

// Keycloak fails mid-decline: 502 with nothing changed; the retry
// completes the decline with one e-mail.
func TestDeclineKeycloakDown(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "hal@example.com")
	path := "/v1/shares/" + rec.UserID + "/decline"
	before := w.items(t)
	w.kc.FailNext(1, http.StatusInternalServerError)
	wantError(t, w.Do(t, "POST", path, w.tokens["admin"], ""), 502, "BadGateway", nil)
	if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusWaiting || got.Decision != "" {
		t.Errorf("after 502: recipient = %+v, want WAITING and no claim", got)
	}
	if _, ok := w.kc.User(rec.UserID); !ok {
		t.Error("Keycloak user deleted despite the failure")
	}
	if n := w.items(t); n != before {
		t.Errorf("items %d -> %d after 502", before, n)
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
		{"POST", "/v1/documents"},
		{"GET", "/v1/documents/" + id},
		{"POST", "/v1/shares/" + id},
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
	if r.Status != 201 {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	rec := decode[shares.RecipientView](t, r.Body)
	d := rec.Documents[0]
	if d.DocumentID != doc1.ID || d.DocumentName != "Price list" || *d.SenderUserName != "Pete Producer" ||
		*d.SenderUserEmail != "pete@a.example" || *d.Message != "Please review" || rec.OrganizationID != orgA {
		t.Errorf("recipient = %+v, document %+v", rec, d)
	}
	inv := w.mails(t, "jo@example.com", "Pete Producer shared")
	if len(inv) != 1 || !strings.Contains(inv[0].Subject, "Price list") ||
		!strings.Contains(inv[0].Text, "https://api.example.test/prod/v1/shares/state/"+rec.UserID) ||
		!strings.Contains(inv[0].Text, "Please review") {
		t.Fatalf("invitation e-mails = %+v", inv)
	}

	// The same address again, another document: added to the recipient.
	r = w.share(t, w.tokens["sales"], doc2.ID, "JO@example.com")
	if r.Status != 201 {
		t.Fatalf("second share: %d %s", r.Status, r.Body)
	}
	again := decode[shares.RecipientView](t, r.Body)
	if again.UserID != rec.UserID || len(again.Documents) != 2 || again.Status != shares.StatusWaiting {
		t.Errorf("second share = %+v", again)
	}
	if n := len(w.kc.Users()); n != 1 {
		t.Errorf("%d Keycloak users, want 1", n)
	}
	// The same document again: nothing new, no e-mail.
	before := w.items(t)
	r = w.share(t, w.tokens["admin"], doc1.ID, "jo@example.com")
	if r.Status != 200 || len(decode[shares.RecipientView](t, r.Body).Documents) != 2 {
		t.Errorf("repeated share: %d %s", r.Status, r.Body)
	}
	if n := w.items(t); n != before {
		t.Errorf("repeated share wrote %d items", n-before)
	}
	if n := len(w.mails(t, "jo@example.com", "")); n != 2 {
		t.Errorf("%d e-mails to jo, want 2 invitations", n)
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
	rec := w.invited(t, "mo@example.com")
	tests := []struct{ name, method, path, body, field string }{
		{"accept malformed", "POST", "/v1/shares/" + rec.UserID + "/accept", `{"marketplaceRole":`, ""},
		{"accept unknown role", "POST", "/v1/shares/" + rec.UserID + "/accept", `{"marketplaceRole":"admin"}`, "marketplaceRole"},
		{"accept no role", "POST", "/v1/shares/" + rec.UserID + "/accept", `{}`, "marketplaceRole"},
		{"accept unknown field", "POST", "/v1/shares/" + rec.UserID + "/accept", `{"marketplaceRole":"buyer","x":1}`, ""},
		{"accept bad UUID", "POST", "/v1/shares/1234/accept", `{"marketplaceRole":"buyer"}`, "userId"},
		{"decline bad UUID", "POST", "/v1/shares/" + rec.UserID + "x/decline", ``, "userId"},
		{"document malformed", "POST", "/v1/documents", `{"filename":"a.pdf"`, ""},
		{"document unknown field", "POST", "/v1/documents", `{"filename":"a.pdf","size":3}`, ""},
		{"document no filename", "POST", "/v1/documents", `{"displayName":"A"}`, "filename"},
		{"document path in filename", "POST", "/v1/documents", `{"filename":"../a.pdf"}`, "filename"},
		{"document bad id", "POST", "/v1/documents", `{"id":"1","filename":"a.pdf"}`, "id"},
		{"document bad mimetype", "POST", "/v1/documents", `{"filename":"a.pdf","mimetype":"pdf"}`, "mimetype"},
		{"document bad asset", "POST", "/v1/documents", `{"filename":"a.pdf","assetId":"a b"}`, "assetId"},
		{"pending bad page size", "GET", "/v1/shares/" + orgA + "/pending-requests?pageSize=0", ``, "pageSize"},
		{"pending bad token", "GET", "/v1/shares/" + orgA + "/pending-requests?pageToken=xyz", ``, "pageToken"},
		{"pending unknown parameter", "GET", "/v1/shares/" + orgA + "/pending-requests?status=DECLINED", ``, "status"},
		{"state bad UUID", "GET", "/v1/shares/state/nope", ``, "userId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, calls := w.items(t), w.kc.Calls("", "/")
			var ext map[string]any
			if tt.field != "" {
				ext = map[string]any{"field": tt.field}
			}
			wantError(t, w.Do(t, tt.method, tt.path, w.tokens["admin"], tt.body), 400, "BadRequest", ext)
			if n := w.items(t); n != before {
				t.Errorf("items %d -> %d", before, n)
			}
			if n := w.kc.Calls("", "/"); n != calls {
				t.Errorf("%d Keycloak calls", n-calls)
			}
		})
	}
	if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusWaiting {
		t.Errorf("status %s", got.Status)
	}
}

func TestAccept(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "ned@example.com")
	path := "/v1/shares/" + rec.UserID + "/accept"
	wantError(t, w.Do(t, "POST", path, w.tokens["puser"], `{"marketplaceRole":"buyer"}`), 403, "NoPermission", nil)
	wantError(t, w.Do(t, "POST", path, w.tokens["otheradmin"], `{"marketplaceRole":"buyer"}`), 403, "NoPermission", nil)

	r := w.Do(t, "POST", path, w.tokens["padmin"], `{"marketplaceRole":"buyer"}`)
	if r.Status != 200 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	got := decode[shares.RecipientView](t, r.Body)
	if got.Status != shares.StatusAccepted || *got.MarketplaceRole != "buyer" || *got.DecidedBy != "pia" {
		t.Errorf("accepted = %+v", got)
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
	docPath := "/v1/documents/" + rec.Documents[0].DocumentID
	if r := w.Do(t, "GET", docPath, recipientToken, ""); r.Status != 200 {
		t.Errorf("recipient reads the document: %d %s", r.Status, r.Body)
	}
	wantError(t, w.Do(t, "GET", docPath, w.tokens["buyer"], ""), 403, "NoPermission", nil)

	// Another document shared with the accepted recipient is granted at once.
	doc := w.document(t, w.tokens["admin"], "Addendum")
	if r := w.share(t, w.tokens["admin"], doc.ID, "ned@example.com"); r.Status != 201 || decode[shares.RecipientView](t, r.Body).Status != shares.StatusAccepted {
		t.Errorf("share with accepted recipient: %d %s", r.Status, r.Body)
	}
	if r := w.Do(t, "GET", "/v1/documents/"+doc.ID, recipientToken, ""); r.Status != 200 {
		t.Errorf("recipient reads the added document: %d %s", r.Status, r.Body)
	}
}

func TestAcceptKeycloakDown(t *testing.T) {
	w := newWorld(t)
	rec := w.invited(t, "oz@example.com")
	path := "/v1/shares/" + rec.UserID + "/accept"
	w.kc.FailNext(1, http.StatusServiceUnavailable)
	wantError(t, w.Do(t, "POST", path, w.tokens["admin"], `{"marketplaceRole":"technician"}`), 502, "BadGateway", nil)
	if got := w.recipient(t, orgA, rec.UserID); got.Status != shares.StatusWaiting || got.Decision != "" {
		t.Errorf("after 502: %+v", got)
	}
	if r := w.Do(t, "POST", path, w.tokens["admin"], `{"marketplaceRole":"technician"}`); r.Status != 200 {
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
		rec := w.invited(t, fmt.Sprintf("race%d@example.com", i))
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
		case acc.Status == 200 && dec.Status == 422:
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
	r := w.Do(t, "GET", "/v1/shares/state/"+rec.UserID, "", "")
	if r.Status != 200 {
		t.Fatalf("state: %d %s", r.Status, r.Body)
	}
	var got struct{ Documents []map[string]any }
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Documents) != 2 {
		t.Fatalf("state = %s, want 2 documents", r.Body)
	}
	want := []string{"createdAt", "documentId", "documentName", "senderUserEmail", "senderUserName"}
	for _, d := range got.Documents {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range d {
				if !yield(k) {
					return
				}
			}
		})
		if !slices.Equal(keys, want) {
			t.Errorf("state document fields %v, want exactly %v", keys, want)
		}
	}
	if got.Documents[0]["senderUserName"] != "Pete Producer" || got.Documents[1]["documentName"] != "Second" {
		t.Errorf("state = %s", r.Body)
	}
	// A token changes nothing; unknown ids, documents and decided
	// recipients all look empty.
	if r2 := w.Do(t, "GET", "/v1/shares/state/"+rec.UserID, w.tokens["otheradmin"], ""); r2.Body != r.Body {
		t.Errorf("with a token: %s", r2.Body)
	}
	for _, id := range []string{uuid.NewString(), doc.ID} {
		if r := w.Do(t, "GET", "/v1/shares/state/"+id, "", ""); r.Status != 200 || r.Body != "{\"documents\":[]}\n" {
			t.Errorf("state of %s: %d %s", id, r.Status, r.Body)
		}
	}
}

func TestPending(t *testing.T) {
	w := newWorld(t)
	a := w.invited(t, "quinn@example.com")
	b := w.invited(t, "rae@example.com")
	doc := w.document(t, w.tokens["admin"], "Extra")
	if r := w.share(t, w.tokens["admin"], doc.ID, "quinn@example.com"); r.Status != 201 {
		t.Fatal(r.Body)
	}
	c := w.invited(t, "sid@example.com")
	if r := w.Do(t, "POST", "/v1/shares/"+c.UserID+"/decline", w.tokens["admin"], ""); r.Status != 204 {
		t.Fatal(r.Body)
	}
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
	list := decode[shares.PendingList](t, r.Body)
	if len(list.PendingRequests) != 2 || list.NextPageToken != "" {
		t.Fatalf("pending = %s", r.Body)
	}
	// Newest first, each recipient with their documents.
	if list.PendingRequests[0].UserID != b.UserID || list.PendingRequests[1].UserID != a.UserID ||
		len(list.PendingRequests[1].Documents) != 2 || len(list.PendingRequests[0].Documents) != 1 {
		t.Errorf("pending = %s", r.Body)
	}

	// One per page.
	r = w.Do(t, "GET", path+"?pageSize=1", w.tokens["admin"], "")
	page := decode[shares.PendingList](t, r.Body)
	if len(page.PendingRequests) != 1 || page.NextPageToken == "" {
		t.Fatalf("page 1 = %s", r.Body)
	}
	r = w.Do(t, "GET", path+"?pageSize=1&pageToken="+page.NextPageToken, w.tokens["admin"], "")
	page2 := decode[shares.PendingList](t, r.Body)
	if len(page2.PendingRequests) != 1 || page2.PendingRequests[0].UserID != a.UserID {
		t.Errorf("page 2 = %s", r.Body)
	}
	// A page token of org A's list is no good for org B's.
	wantError(t, w.Do(t, "GET", "/v1/shares/"+orgB+"/pending-requests?pageToken="+page.NextPageToken, w.tokens["otheradmin"], ""),
		400, "BadRequest", map[string]any{"field": "pageToken"})

	for _, tt := range []struct{ who, org string }{{"otheradmin", orgA}, {"admin", orgB}, {"puser", orgA}, {"sales", orgA}, {"noorg", orgA}} {
		wantError(t, w.Do(t, "GET", "/v1/shares/"+tt.org+"/pending-requests", w.tokens[tt.who], ""), 403, "NoPermission", nil)
	}
	wantError(t, w.Do(t, "GET", "/v1/shares/"+orgA+"/pending-requests", "", ""), 401, "Unauthorized", nil)
	wantError(t, w.Do(t, "GET", "/v1/shares/"+orgA+"/pending", w.tokens["admin"], ""), 404, "NotFound", nil)
}

func TestDocuments(t *testing.T) {
	w := newWorld(t)
	id := uuid.NewString()
	r := w.Do(t, "POST", "/v1/documents", w.tokens["puser"], `{"id":"`+strings.ToUpper(id)+`","filename":"offer.pdf","organizationId":"org-a","mimetype":"application/pdf"}`)
	if r.Status != 201 || r.Header.Get("Location") != "/v1/documents/"+id {
		t.Fatalf("create: %d %s %v", r.Status, r.Body, r.Header)
	}
	var created map[string]any
	if err := json.Unmarshal([]byte(r.Body), &created); err != nil {
		t.Fatal(err)
	}
	if created["id"] != id || created["displayName"] != "offer.pdf" || created["organizationId"] != orgA || created["assetId"] != nil || created["category"] != nil {
		t.Errorf("created = %v", created)
	}
	for _, who := range []string{"admin", "puser", "madmin", "sales"} {
		if r := w.Do(t, "GET", "/v1/documents/"+id, w.tokens[who], ""); r.Status != 200 || !reflect.DeepEqual(decode[map[string]any](t, r.Body), created) {
			t.Errorf("%s reads: %d %s", who, r.Status, r.Body)
		}
	}
	rec := w.invited(t, "uma@example.com")
	wantError(t, w.Do(t, "GET", "/v1/documents/"+id, w.tokens["otheradmin"], ""), 403, "NoPermission", nil)
	wantError(t, w.Do(t, "GET", "/v1/documents/"+id, w.tokens["buyer"], ""), 403, "NoPermission", nil)
	wantError(t, w.Do(t, "GET", "/v1/documents/"+uuid.NewString(), w.tokens["admin"], ""), 404, "NotFound", nil)
	wantError(t, w.Do(t, "GET", "/v1/documents/"+rec.UserID, w.tokens["admin"], ""), 422, "UnprocessableEntity", map[string]any{"entityType": "Recipient"})
	wantError(t, w.Do(t, "GET", "/v1/documents/x", w.tokens["admin"], ""), 400, "BadRequest", map[string]any{"field": "documentId"})
	// A waiting recipient has no access yet; a declined one never again.
	recToken := w.Mint(t, issuerkit.Claims{Subject: rec.UserID, Organization: orgA})
	wantError(t, w.Do(t, "GET", "/v1/documents/"+rec.Documents[0].DocumentID, recToken, ""), 403, "NoPermission", nil)

	wantError(t, w.Do(t, "POST", "/v1/documents", w.tokens["admin"], `{"id":"`+id+`","filename":"again.pdf"}`), 409, "Conflict", map[string]any{"field": "id"})
	wantError(t, w.Do(t, "POST", "/v1/documents", w.tokens["admin"], `{"filename":"a.pdf","organizationId":"org-b"}`), 403, "NoPermission", nil)
	wantError(t, w.Do(t, "POST", "/v1/documents", w.tokens["madmin"], `{"filename":"a.pdf"}`), 403, "NoPermission", nil)
}

func TestOutboxHandlers(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	hs, err := delivery.OutboxHandlers(w.Platform, delivery.Config{Dir: dir, From: "Shares <shares@example.test>"})
	if err != nil {
		t.Fatal(err)
	}
	w.invited(t, "vic@example.com")
	msgs := w.outbox(t)
	if len(msgs) != 1 {
		t.Fatalf("%d outbox messages", len(msgs))
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
	r := e.Do(t, "POST", "/v1/documents", admin, `{"filename":"a.pdf"}`)
	if r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	id := decode[shares.Document](t, r.Body).ID
	wantError(t, e.Do(t, "POST", "/v1/shares/"+id, admin, `{"recipientEmail":"x@example.com"}`), 500, "InternalServerError", nil)
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
	svc := shares.New(st, kc, nil)
	svc.Wait = 300 * time.Millisecond
	decline := func(id string) apikit.Response {
		// The same table and issuer, served by svc.
		defer func(h http.Handler) { w.Handler = h }(w.Handler)
		w.Handler = w.Platform.Handler(svc.Routes())
		return w.Do(t, "POST", "/v1/shares/"+id+"/decline", w.tokens["admin"], "")
	}

	held := w.invited(t, "held@example.com")
	now := time.Now()
	if _, err := st.Claim(context.Background(), orgA, held.UserID, "ACCEPT:other", now.UnixMilli(), now.Add(time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	deletes := w.kc.Calls("DELETE", w.kc.UsersPath())
	wantError(t, decline(held.UserID), 409, "Conflict", map[string]any{"reason": "DecisionInProgress"})
	if w.kc.Calls("DELETE", w.kc.UsersPath()) != deletes {
		t.Error("Keycloak called while another decision held the claim")
	}

	dead := w.invited(t, "dead@example.com")
	if _, err := st.Claim(context.Background(), orgA, dead.UserID, "ACCEPT:crashed", now.Add(-time.Minute).UnixMilli(), now.Add(-time.Second).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if r := decline(dead.UserID); r.Status != 204 {
		t.Fatalf("decline over an expired claim: %d %s", r.Status, r.Body)
	}
}
