package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/mail/delivery"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/shares"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/keycloakkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/s3kit"
	"github.com/gatehouse/gatehouse/pkg/testkit/seskit"
)

// The document-shares demo: organization DemoOrg with two documents, a
// Keycloak stand-in on loopback unless KEYCLOAK_URL is set, and e-mails
// sent through the real SES v2 client to an SES stand-in that writes them as
// .eml files under .devstack/data/mail, or MAIL_DIR when set.
const (
	DemoOrg   = "org-demo"
	DemoRealm = "gatehouse"
)

// DemoDocuments are the seeded documents of DemoOrg: display name → id.
var DemoDocuments = map[string]string{
	"Price list 2027":    DemoID("document/price-list"),
	"Product data sheet": DemoID("document/data-sheet"),
}

// DemoRecipient is the seeded recipient waiting for a decision (the data
// sheet, shared by paul); its id is its Keycloak user id.
var DemoRecipient = shares.Recipient{UserID: DemoID("recipient/walter"), OrganizationID: DemoOrg, Email: "walter@example.com",
	FirstName: "Walter", LastName: "White", Language: "en"}

// DemoRegistrant is the seeded recipient who has not registered yet (the
// price list, shared by paul).
var DemoRegistrant = shares.Recipient{UserID: DemoID("recipient/rita"), OrganizationID: DemoOrg, Email: "rita@example.com"}

// DemoAsset is the asset of the demo documents.
const DemoAsset = "asset-2027-001"

// DevDocumentBucket is the dev server's document bucket.
const DevDocumentBucket = "gatehouse-documents"

// sharesDev is what the shares hooks share between start-up stages.
var sharesDev struct {
	mailDir  string
	keycloak string              // base URL in use
	standin  *keycloakkit.Server // nil with a real Keycloak
	ses      *seskit.Server
}

func init() {
	Before = append(Before, startShares)
	After = append(After, drainShareMail, storageBasePath)
	Seeders = append(Seeders, seedShares)
	Welcome = append(Welcome, welcomeShares)
}

// startShares points the shares API at a mail folder and at Keycloak: the
// stand-in, logging each admin call, unless KEYCLOAK_URL is set.
func startShares(ctx context.Context, h Hook) (func(), error) {
	sharesDev.mailDir = os.Getenv("MAIL_DIR")
	if sharesDev.mailDir == "" {
		sharesDev.mailDir = filepath.Join(h.Data, "mail")
	}
	if abs, err := filepath.Abs(sharesDev.mailDir); err == nil {
		sharesDev.mailDir = abs
	}
	stopSES, err := startSES(h)
	if err != nil {
		return nil, err
	}
	if os.Getenv("SHARE_STATE_BASE_URL") == "" {
		h.Env["SHARE_STATE_BASE_URL"] = h.Base
	}
	stopS3, err := documentBucket(ctx, h)
	if err != nil {
		stopSES()
		return nil, err
	}
	stop := func() { stopS3(); stopSES() }
	if u := os.Getenv("KEYCLOAK_URL"); u != "" {
		sharesDev.keycloak = u
		h.Logger.Info("shares use Keycloak", "url", u, "realm", os.Getenv("KEYCLOAK_REALM"))
		return stop, nil
	}
	kc := keycloakkit.NewServer(DemoRealm, func(format string, args ...any) {
		h.Logger.Info(fmt.Sprintf(format, args...))
	})
	if err := kc.Start(); err != nil {
		stop()
		return nil, err
	}
	sharesDev.standin, sharesDev.keycloak = kc, kc.URL
	h.Env["KEYCLOAK_URL"] = kc.URL
	h.Env["KEYCLOAK_REALM"] = DemoRealm
	h.Env["KEYCLOAK_CLIENT_ID"] = kc.ClientID
	h.Env["KEYCLOAK_CLIENT_SECRET"] = kc.ClientSecret
	h.Logger.Info("Keycloak stand-in (in memory; set KEYCLOAK_URL for a real one)", "url", kc.URL, "realm", DemoRealm)
	return func() { kc.Close(); stop() }, nil
}

// startSES starts the SES v2 stand-in writing into the mail folder and
// points the mail.send handler at it: e-mail takes the production path
// (the SES client, its errors and retries) and the fault switches can
// take SES down (/dev/faults).
func startSES(h Hook) (func(), error) {
	dir, err := mail.NewDir(sharesDev.mailDir)
	if err != nil {
		return nil, fmt.Errorf("devserver: mail folder: %w", err)
	}
	s := seskit.New(dir, h.Logger)
	if err := s.Start(); err != nil {
		return nil, err
	}
	sharesDev.ses = s
	h.Env["MAIL_DIR"] = "" // deliver through SES; the stand-in writes the folder
	h.Env["SES_ENDPOINT"] = s.URL
	if os.Getenv("MAIL_FROM") == "" {
		h.Env["MAIL_FROM"] = mail.DefaultDirFrom
	}
	h.Logger.Info("share e-mails go through the SES stand-in, which writes them as .eml files", "ses", s.URL, "dir", sharesDev.mailDir)
	return func() { _ = s.Close() }, nil
}

// documentBucket creates the document bucket on the in-memory S3 the
// avatars hook started, or on one of its own, unless DOCUMENT_BUCKET is
// set.
func documentBucket(ctx context.Context, h Hook) (stop func(), err error) {
	stop = func() {}
	if os.Getenv("DOCUMENT_BUCKET") != "" {
		return stop, nil
	}
	endpoint := h.Env["S3_ENDPOINT"]
	if endpoint == "" {
		if endpoint, stop, err = s3kit.Serve("127.0.0.1:0"); err != nil {
			return nil, err
		}
		h.Env["S3_ENDPOINT"] = endpoint
	}
	if err := s3kit.CreateBucket(ctx, s3kit.NewClient(endpoint), DevDocumentBucket); err != nil {
		stop()
		return nil, err
	}
	h.Env["DOCUMENT_BUCKET"] = DevDocumentBucket
	h.Logger.Info("documents: in-memory S3", "s3", endpoint, "bucket", DevDocumentBucket)
	return stop, nil
}

// storagePrefix is SweetConnect's base path (seed 003's curl calls
// https://dev.sweetconnect.io/api/storage/v1/shares/...).
const storagePrefix = "/api/storage"

// storageBasePath serves the shares and documents routes under
// /api/storage/v1 as well, as the API Gateway base-path mapping does in
// production (README).
func storageBasePath(ctx context.Context, deps *routes.Deps, h Hook) (func(), error) {
	rs, err := shares.Routes(deps.Platform, deps.Config.Shares)
	if err != nil {
		return nil, err
	}
	Extra[storagePrefix+"/v1/"] = http.StripPrefix(storagePrefix, deps.Platform.Handler(rs))
	return nil, nil
}

// seedShares registers the demo documents and recipient and, since the
// stand-in forgets its users on restart, gives it back the users of the
// recipients that DynamoDB Local kept.
func seedShares(ctx context.Context, deps *routes.Deps, d *Demo) error {
	st := shares.NewStore(deps.Platform.Store)
	created := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC).UnixMilli()
	for name, id := range DemoDocuments {
		doc := shares.Document{ID: id, OrganizationID: DemoOrg, Filename: name + ".pdf", DisplayName: name, AssetID: DemoAsset,
			Category: "AA", Languages: []string{"en"}, Mimetype: "application/pdf", CreatedBy: "seed", CreatedAt: created, ModifiedAt: created}
		if err := st.PutDocument(ctx, doc); err != nil && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("devserver: seed document: %w", err)
		}
	}
	for _, seed := range []struct {
		rec    shares.Recipient
		status string
		doc    string
	}{{DemoRecipient, shares.StatusWaiting, "Product data sheet"}, {DemoRegistrant, shares.StatusRegistration, "Price list 2027"}} {
		// Dated when first seeded: the expiry sweep declines recipients
		// waiting longer than SHARE_EXPIRY_DAYS (a later run keeps the date).
		rec, now := seed.rec, time.Now().UnixMilli()
		rec.Status, rec.CreatedAt, rec.ModifiedAt, rec.Version = seed.status, now, now, 1
		id := DemoDocuments[seed.doc]
		rec.Grants = map[string]shares.Grant{id: {DocumentID: id, DocumentName: seed.doc, AssetID: DemoAsset,
			SenderUserID: "paul", SenderUserName: "Paul Producer", SenderUserEmail: "paul@demo.example", CreatedAt: now}}
		if err := st.CreateRecipient(ctx, rec); err != nil && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("devserver: seed recipient: %w", err)
		}
	}
	if sharesDev.standin == nil {
		return nil
	}
	for _, status := range []string{shares.StatusRegistration, shares.StatusWaiting, shares.StatusAccepted} {
		token := ""
		for {
			recs, next, err := st.ListRecipients(ctx, DemoOrg, status, 100, token)
			if err != nil {
				return err
			}
			for _, r := range recs {
				if _, ok := sharesDev.standin.User(r.UserID); ok {
					continue
				}
				u := keycloakkit.User{ID: r.UserID, Username: r.Email, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
					Attributes: map[string][]string{keycloak.OrganizationAttribute: {DemoOrg}}}
				if status == shares.StatusWaiting {
					u.Enabled = true // complete-profile enabled it
				}
				if status == shares.StatusAccepted {
					u.Enabled, u.RequiredActions, u.RealmRoles = true, []string{"UPDATE_PASSWORD"}, []string{r.MarketplaceRole}
				}
				sharesDev.standin.AddUser(u)
			}
			if token = next; token == "" {
				break
			}
		}
	}
	return nil
}

func welcomeShares(w io.Writer, base string, iss *issuerkit.Issuer, d *Demo) {
	mint := func(i int) string {
		u := DemoShareUsers[i]
		tok, err := iss.Mint(issuerkit.Claims{Subject: u.Subject, Organization: DemoOrg, RealmRoles: []string{u.RealmRole},
			Name: u.Name, Email: u.Subject + "@demo.example"})
		if err != nil {
			return "(mint failed: " + err.Error() + ")"
		}
		return tok
	}
	kc := "Keycloak " + sharesDev.keycloak
	if sharesDev.standin != nil {
		kc = "the Keycloak stand-in on " + sharesDev.keycloak + " (each admin call is logged)"
	}
	fmt.Fprintf(w, `
# Document shares (SweetConnect): organization %[2]q, %[3]s.
# The same API answers under %[1]s/api/storage/v1/... (SweetConnect's base path).
# olivia = admin, paul = producer-user (more: make token ORG=%[2]s REALM_ROLES=producer-admin NAME=... EMAIL=...)
export OLIVIA=%[4]s
export PAUL=%[5]s

# 1. olivia uploads a document of the demo asset (multipart, stored in S3); paul shares it with an
#    outside address: a disabled Keycloak user is created, the registration e-mail is queued
DOC=$(curl -s -H "Authorization: Bearer $OLIVIA" -F displayname="Terms 2027" -F organizationId=%[2]s -F categoryId=AA -F languageCodes=en -F file=@README.md %[1]s/api/storage/v1/documents/assets/zip/%[8]s | sed -E 's/^\{"data":\{("id"|.*"document":\{"id"):"([^"]+)".*/\2/'); echo "$DOC"
curl -s -H "Authorization: Bearer $OLIVIA" '%[1]s/api/storage/v1/documents?assetId=%[8]s'
curl -s -X POST -H "Authorization: Bearer $PAUL" -H "Content-Type: application/json" %[1]s/api/storage/v1/shares/$DOC -d '{"recipientEmail":"dana@example.com","assetId":"%[8]s","message":"Our 2027 terms"}'
USER_ID=$(curl -s -H "Authorization: Bearer $PAUL" %[1]s/api/storage/v1/shares/check-recipient/dana@example.com | sed -E 's/.*"userId":"([^"]+)".*/\1/'); echo "$USER_ID"
# 2. the recipient registers (public): the account is enabled, the organization's admins are told
curl -s -X POST -H "Content-Type: application/json" %[1]s/api/storage/v1/shares/complete-profile/$USER_ID -d '{"firstname":"Dana","lastname":"Doe","language":"en"}'
# 3. the pending list of the organization (admin or producer-admin), and what the recipient sees (public)
curl -s -H "Authorization: Bearer $OLIVIA" %[1]s/api/storage/v1/shares/%[2]s/pending-requests
curl -s %[1]s/api/storage/v1/shares/state/$USER_ID
# 4. decline (seed 003): 204, the Keycloak user is deleted, a decline e-mail is queued;
#    declining again is 422 {"status":"DECLINED"}
curl -s -i -X POST -H "Authorization: Bearer $OLIVIA" %[1]s/api/storage/v1/shares/$USER_ID/decline
# (or, instead of 4: accept with a marketplace role: 204, welcome and approval e-mails)
curl -s -i -X POST -H "Authorization: Bearer $OLIVIA" -H "Content-Type: application/json" %[1]s/api/storage/v1/shares/$USER_ID/accept -d '{"marketplaceRole":"buyer"}'
# 5. the e-mails, as .eml files:
ls -l %[7]s
`, base, DemoOrg, kc, mint(0), mint(1),
		DemoDocuments["Price list 2027"], sharesDev.mailDir, DemoAsset)
}

// drainShareMail delivers the "mail.send" outbox messages while the dev
// server runs no outbox dispatcher of its own: every second it looks for
// PENDING ones (a Scan of the local table, dev only) and hands each to an
// outbox.Dispatcher that knows only that kind. The dispatcher's claims make
// it safe beside another dispatcher: each message is delivered once.
func drainShareMail(ctx context.Context, deps *routes.Deps, h Hook) (func(), error) {
	p := deps.Platform
	hs, err := delivery.OutboxHandlers(p, h.Outbox.Messaging.Mail)
	if err != nil {
		return nil, err
	}
	d := outbox.New(p.Store, hs, h.Logger)
	d.MaxWait = 0 // a retry not due yet waits for a later round
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			var msgs []outbox.Message
			err := p.Store.Table().Scan().
				Filter("begins_with(PK, ?) AND kind = ? AND $ = ?", "OUTBOX#", shares.KindMailSend, "status", outbox.StatusPending).
				Consistent(true).All(ctx, &msgs)
			if err != nil && ctx.Err() == nil {
				h.Logger.Warn("share mail: scan outbox", "err", err)
			}
			for _, m := range msgs {
				c := outbox.Change{MessageID: m.ID, Status: m.Status, Attempts: m.Attempts, NextAttemptAt: m.NextAttemptAt}
				if err := d.Process(ctx, c); err != nil && !errors.Is(err, outbox.ErrRetryLater) {
					h.Logger.Warn("share mail: deliver", "outboxId", m.ID, "err", err)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}
