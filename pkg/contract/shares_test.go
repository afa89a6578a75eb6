package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/contract"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/shares"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/keycloakkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/s3kit"
)

const (
	shOrg   = "org-a"
	shAsset = "14fa694e-b60a-446c-9048-2e6a42b95933"
)

// shFixture makes what a row's request names, fresh per row so that rows
// do not see each other's changes.
type shFixture struct {
	t      *testing.T
	env    *apikit.Env
	tokens map[string]string
	n      int
}

// do sends one request; a non-JSON content type bypasses apikit.Do's JSON.
func (f *shFixture) do(method, target, who, body, ctype string) (int, string) {
	f.t.Helper()
	if ctype == "" {
		r := f.env.Do(f.t, method, target, f.tokens[who], body)
		return r.Status, r.Body
	}
	req := httptest.NewRequestWithContext(context.Background(), method, target, strings.NewReader(body))
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[who])
	}
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	f.env.Handler.ServeHTTP(rec, req)
	if _, err := f.env.OpenAPI.CheckResponse(context.Background(), req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		f.t.Errorf("response disagrees with the OpenAPI document: %v", err)
	}
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

// form is a multipart body of fields and one file (content), with its type.
func shForm(t *testing.T, content string, fields ...string) (body, ctype string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	if content != "" {
		fw, err := mw.CreateFormFile("file", "manual.pdf")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, content)
	}
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

// upload is the documented upload of content; it answers the document id.
func (f *shFixture) upload(content string) string {
	f.t.Helper()
	body, ct := shForm(f.t, content, "displayname", "Manual "+content, "organizationId", shOrg, "categoryId", "AA", "languageCodes", "de")
	status, got := f.do("POST", "/v1/documents/assets/zip/"+shAsset, "admin", body, ct)
	if status != 201 {
		f.t.Fatalf("upload: %d %s", status, got)
	}
	return shData(f.t, got)["id"].(string)
}

func (f *shFixture) fresh() string {
	f.n++
	return fmt.Sprintf("%s-%d", f.t.Name(), f.n)
}

// doc is a fresh document.
func (f *shFixture) doc() string { return f.upload("content of " + f.fresh()) }

// email is a fresh address.
func (f *shFixture) email() string {
	return strings.ToLower(strings.NewReplacer("/", "-", " ", "-", "_", "-").Replace(f.fresh())) + "@example.com"
}

// shared shares a fresh document with a fresh address and returns the
// recipient's user id, the document and the address.
func (f *shFixture) shared() (userID, docID, email string) {
	f.t.Helper()
	docID, email = f.doc(), f.email()
	if status, got := f.do("POST", "/v1/shares/"+docID, "puser", fmt.Sprintf(`{"recipientEmail":%q,"assetId":%q}`, email, shAsset), ""); status != 201 {
		f.t.Fatalf("share: %d %s", status, got)
	}
	_, got := f.do("GET", "/v1/shares/check-recipient/"+email, "puser", "", "")
	return shData(f.t, got)["userId"].(string), docID, email
}

// registered is a shared recipient after complete-profile.
func (f *shFixture) registered() string {
	f.t.Helper()
	id, _, _ := f.shared()
	if status, got := f.do("POST", "/v1/shares/complete-profile/"+id, "", `{"firstname":"Dana","lastname":"Doe","language":"de"}`, ""); status != 200 {
		f.t.Fatalf("complete-profile: %d %s", status, got)
	}
	return id
}

func shData(t *testing.T, body string) map[string]any {
	t.Helper()
	var v struct{ Data map[string]any }
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return v.Data
}

type shRow struct {
	name, who, method string
	path              func(f *shFixture) string
	body              func(f *shFixture) (body, ctype string)
	status            int
	shape             contract.Shape // nil: the body is empty
	code              string         // errorCode of an error answer
	documents         bool           // a document route (its InternalServerError message)
}

func shPath(p string) func(*shFixture) string { return func(*shFixture) string { return p } }

func shJSON(b string) func(*shFixture) (string, string) {
	return func(*shFixture) (string, string) { return b, "" }
}

func shRows() []shRow {
	share := func(email string) func(*shFixture) (string, string) {
		return shJSON(fmt.Sprintf(`{"recipientEmail":%q,"assetId":%q,"message":"Please review"}`, email, shAsset))
	}
	upload := func(f *shFixture) (string, string) {
		return shForm(f.t, "upload "+f.fresh(), "displayname", "Manual 2025", "organizationId", shOrg, "categoryId", "AA",
			"languageCodes", "de", "languageCodes", "fr", "supplierDocument", "true", "supplierName", "Amcor")
	}
	errs, docErrs := contract.SharesErrors, contract.SharesErrors
	uploadPath := shPath("/v1/documents/assets/zip/" + shAsset)
	return []shRow{
		// Documents.
		{name: "upload", who: "madmin", method: "POST", path: uploadPath, body: upload, status: 201, shape: contract.Envelope(contract.Document), documents: true},
		{name: "upload duplicate", who: "admin", method: "POST", path: func(f *shFixture) string { f.upload("dup"); return "/v1/documents/assets/zip/" + shAsset },
			body: func(f *shFixture) (string, string) {
				return shForm(f.t, "dup", "displayname", "Again", "organizationId", shOrg, "categoryId", "AA")
			},
			status: 200, shape: contract.Envelope(contract.DuplicateDocument), documents: true},
		{name: "upload without category", who: "admin", method: "POST", path: uploadPath,
			body: func(f *shFixture) (string, string) {
				return shForm(f.t, "x", "displayname", "A", "organizationId", shOrg)
			},
			status: 400, shape: docErrs, code: "BadRequest", documents: true},
		{name: "upload no token", method: "POST", path: uploadPath, body: upload, status: 401, shape: docErrs, code: "Unauthorized", documents: true},
		{name: "upload sales-agent", who: "sales", method: "POST", path: uploadPath, body: upload, status: 403, shape: docErrs, code: "NoPermission", documents: true},
		{name: "upload JSON", who: "admin", method: "POST", path: uploadPath, body: shJSON(`{"displayname":"A"}`), status: 415, shape: docErrs, code: "UnsupportedMediaType", documents: true},
		{name: "list by asset", who: "puser", method: "GET", path: func(f *shFixture) string { f.doc(); return "/v1/documents?assetId=" + shAsset + "&page=1&limit=10" },
			status: 200, shape: contract.Envelope(contract.Array(contract.Document)), documents: true},
		{name: "list without asset", who: "puser", method: "GET", path: shPath("/v1/documents"), status: 400, shape: docErrs, code: "BadRequest", documents: true},
		{name: "get", who: "admin", method: "GET", path: func(f *shFixture) string { return "/v1/documents/" + f.doc() }, status: 200, shape: contract.Envelope(contract.Document), documents: true},
		{name: "get unknown", who: "admin", method: "GET", path: func(*shFixture) string { return "/v1/documents/" + uuid.NewString() }, status: 404, shape: docErrs, code: "NotFound", documents: true},
		{name: "get a recipient's id", who: "admin", method: "GET", path: func(f *shFixture) string { id, _, _ := f.shared(); return "/v1/documents/" + id },
			status: 422, shape: docErrs, code: "UnprocessableEntity", documents: true},
		{name: "patch", who: "padmin", method: "PATCH", path: func(f *shFixture) string { return "/v1/documents/" + f.doc() },
			body: func(f *shFixture) (string, string) {
				return shForm(f.t, "", "displayname", "Renamed", "languageCodes", "en")
			},
			status: 200, shape: contract.Envelope(contract.Document), documents: true},
		{name: "delete", who: "admin", method: "DELETE", path: func(f *shFixture) string { return "/v1/documents/" + f.doc() }, status: 204, documents: true},
		{name: "delete shared", who: "admin", method: "DELETE", path: func(f *shFixture) string { _, doc, _ := f.shared(); return "/v1/documents/" + doc },
			status: 409, shape: docErrs, code: "Conflict", documents: true},

		// Share documents.
		{name: "share", who: "puser", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + f.doc() }, body: share("new@example.com"),
			status: 201, shape: contract.Envelope(contract.EmptyObject)},
		{name: "share no e-mail", who: "puser", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + f.doc() }, body: shJSON(`{}`), status: 400, shape: errs, code: "BadRequest"},
		{name: "share no token", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + uuid.NewString() }, body: share("x@example.com"), status: 401, shape: errs, code: "Unauthorized"},
		{name: "share buyer", who: "buyer", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + uuid.NewString() }, body: share("x@example.com"), status: 403, shape: errs, code: "NoPermission"},
		{name: "share unknown file", who: "puser", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + uuid.NewString() }, body: share("x@example.com"), status: 404, shape: errs, code: "NotFound"},
		{name: "share a recipient's id", who: "puser", method: "POST", path: func(f *shFixture) string { id, _, _ := f.shared(); return "/v1/shares/" + id },
			body: share("x@example.com"), status: 422, shape: errs, code: "UnprocessableEntity"},
		{name: "share with another organization's user", who: "puser", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + f.doc() },
			body: share("other@b.example"), status: 409, shape: errs, code: "Conflict"},
		{name: "share text/plain", who: "puser", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + f.doc() },
			body: func(*shFixture) (string, string) { return `{"recipientEmail":"plain@example.com"}`, "text/plain" }, status: 415, shape: errs, code: "UnsupportedMediaType"},
		{name: "check-recipient", who: "puser", method: "GET", path: func(f *shFixture) string { _, _, email := f.shared(); return "/v1/shares/check-recipient/" + email },
			status: 200, shape: contract.Envelope(contract.RecipientCheck)},
		{name: "check-recipient sales-agent", who: "sales", method: "GET", path: shPath("/v1/shares/check-recipient/x@example.com"), status: 403, shape: errs, code: "NoPermission"},
		{name: "pending requests", who: "padmin", method: "GET", path: func(f *shFixture) string { f.registered(); return "/v1/shares/" + shOrg + "/pending-requests" },
			status: 200, shape: contract.Envelope(contract.Array(contract.PendingRecipient))},
		{name: "pending requests of another organization", who: "admin", method: "GET", path: shPath("/v1/shares/org-b/pending-requests"), status: 403, shape: errs, code: "NoPermission"},
		{name: "state", method: "GET", path: func(f *shFixture) string { return "/v1/shares/state/" + f.registered() }, status: 200, shape: contract.Envelope(contract.Array(contract.StateDocument))},
		{name: "state of an unknown recipient", method: "GET", path: func(*shFixture) string { return "/v1/shares/state/" + uuid.NewString() }, status: 404, shape: errs, code: "NotFound"},
		{name: "state bad id", method: "GET", path: shPath("/v1/shares/state/nope"), status: 400, shape: errs, code: "BadRequest"},
		{name: "share state", method: "GET", path: func(f *shFixture) string {
			id := f.registered()
			_, got := f.do("GET", "/v1/shares/"+shOrg+"/pending-requests", "admin", "", "")
			var list struct {
				Data []struct {
					RecipientID string
					Shares      []struct{ ShareID string }
				}
			}
			json.Unmarshal([]byte(got), &list)
			for _, r := range list.Data {
				if r.RecipientID == id {
					return "/v1/shares/state/" + id + "/" + r.Shares[0].ShareID
				}
			}
			f.t.Fatal("registered recipient not pending")
			return ""
		}, status: 200, shape: contract.Envelope(contract.ShareState)},
		{name: "share state unknown", method: "GET", path: func(f *shFixture) string { return "/v1/shares/state/" + f.registered() + "/" + uuid.NewString() }, status: 404, shape: errs, code: "NotFound"},
		{name: "complete-profile", method: "POST", path: func(f *shFixture) string { id, _, _ := f.shared(); return "/v1/shares/complete-profile/" + id },
			body: shJSON(`{"firstname":"John","lastname":"Doe","language":"de"}`), status: 200, shape: contract.Envelope(contract.CompletedProfile)},
		{name: "complete-profile twice", method: "POST", path: func(f *shFixture) string { return "/v1/shares/complete-profile/" + f.registered() },
			body: shJSON(`{"firstname":"John","lastname":"Doe","language":"de"}`), status: 422, shape: errs, code: "UnprocessableEntity"},
		{name: "complete-profile unknown", method: "POST", path: func(*shFixture) string { return "/v1/shares/complete-profile/" + uuid.NewString() },
			body: shJSON(`{"firstname":"John","lastname":"Doe","language":"de"}`), status: 404, shape: errs, code: "NotFound"},
		{name: "complete-profile no names", method: "POST", path: func(f *shFixture) string { id, _, _ := f.shared(); return "/v1/shares/complete-profile/" + id },
			body: shJSON(`{"language":"de"}`), status: 400, shape: errs, code: "BadRequest"},
		{name: "accept", who: "padmin", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + f.registered() + "/accept" },
			body: shJSON(`{"marketplaceRole":"technician"}`), status: 204},
		{name: "accept before registration", who: "admin", method: "POST", path: func(f *shFixture) string { id, _, _ := f.shared(); return "/v1/shares/" + id + "/accept" },
			body: shJSON(`{"marketplaceRole":"technician"}`), status: 422, shape: errs, code: "UnprocessableEntity"},
		{name: "accept producer-user", who: "puser", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + f.registered() + "/accept" },
			body: shJSON(`{"marketplaceRole":"technician"}`), status: 403, shape: errs, code: "NoPermission"},
		{name: "decline", who: "admin", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + f.registered() + "/decline" }, status: 204},
		{name: "decline a document id", who: "admin", method: "POST", path: func(f *shFixture) string { return "/v1/shares/" + f.doc() + "/decline" }, status: 422, shape: errs, code: "UnprocessableEntity"},
		{name: "decline unknown", who: "admin", method: "POST", path: func(*shFixture) string { return "/v1/shares/" + uuid.NewString() + "/decline" }, status: 404, shape: errs, code: "NotFound"},
		{name: "decline no token", method: "POST", path: func(*shFixture) string { return "/v1/shares/" + uuid.NewString() + "/decline" }, status: 401, shape: errs, code: "Unauthorized"},
	}
}

func TestSharesContract(t *testing.T) {
	kc := keycloakkit.NewServer("gatehouse", nil)
	if err := kc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kc.Close() })
	kc.AddUser(keycloakkit.User{Username: "other@b.example", Email: "other@b.example", Enabled: true, Attributes: map[string][]string{"organization": {"org-b"}}})
	_, endpoint, bucket := s3kit.Start(t)
	env := apikit.NewWith(t, func(d *routes.Deps) ([]httpapi.Route, error) { return shares.Routes(d.Platform, d.Config.Shares) }, routes.Config{Shares: shares.Config{
		Keycloak:       keycloak.Config{BaseURL: kc.URL, Realm: "gatehouse", ClientID: kc.ClientID, ClientSecret: kc.ClientSecret},
		DocumentBucket: bucket, S3Endpoint: endpoint,
	}})
	f := &shFixture{env: env, tokens: map[string]string{}}
	for who, roles := range map[string]string{"admin": "admin", "padmin": "producer-admin", "puser": "producer-user", "sales": "sales-agent", "madmin": "manufacturer-admin", "buyer": "buyer"} {
		f.tokens[who] = env.Mint(t, issuerkit.Claims{Subject: who, Organization: shOrg, RealmRoles: []string{roles}, Name: "Name of " + who, Email: who + "@a.example"})
	}
	for _, row := range shRows() {
		t.Run(row.name, func(t *testing.T) {
			f.t = t
			path := row.path(f)
			body, ctype := "", ""
			if row.body != nil {
				body, ctype = row.body(f)
			}
			status, got := f.do(row.method, path, row.who, body, ctype)
			if status != row.status {
				t.Fatalf("status = %d, want %d: %s", status, row.status, got)
			}
			if !checkBody(t, got, row.shape) || row.code == "" {
				return
			}
			var e struct {
				Errors []struct{ ErrorCode, Message string }
			}
			json.Unmarshal([]byte(got), &e)
			want := contract.SharesErrorMessages[row.code]
			if row.documents && row.code == "InternalServerError" {
				want = contract.DocumentsInternalMessage
			}
			if len(e.Errors) != 1 || e.Errors[0].ErrorCode != row.code || e.Errors[0].Message != want {
				t.Errorf("errors = %+v, want %s %q", e.Errors, row.code, want)
			}
		})
	}
}
