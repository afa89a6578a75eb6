package shares

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/store"
)

type inviteBody struct {
	RecipientEmail *string `json:"recipientEmail"`
	AssetID        *string `json:"assetId"`
	Message        *string `json:"message"`
}

// errRetry means a concurrent request changed what an attempt read.
var errRetry = errors.New("shares: changed concurrently")

// invite shares a document of the caller's organization with an e-mail
// address: 201 {"data":{}} when the document was newly shared, 200 when it
// already was (nothing is written, no e-mail goes out).
func (s *Service) invite(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r, shareRoles...)
	if err != nil {
		return err
	}
	fileID, err := parseUUID("fileId", r.PathValue("id"))
	if err != nil {
		return err
	}
	var b inviteBody
	if err := httpapi.DecodeJSON(r, &b); err != nil {
		return err
	}
	email, note, err := b.parse()
	if err != nil {
		return err
	}
	doc, err := s.document(r.Context(), p.Organization, fileID)
	if err != nil {
		return err
	}
	if doc.AssetID == "" {
		// Only asset documents may be shared (the docs: an asset document
		// or maintenance file; gatehouse has no maintenance files).
		return fail(CodeUnprocessableEntity, "entityType", EntityDocument)
	}
	if b.AssetID != nil && *b.AssetID != doc.AssetID {
		return badField("assetId")
	}
	dir, err := s.directory()
	if err != nil {
		return err
	}
	_, created, err := s.shareRetrying(r.Context(), dir, p, email, newGrant(p, doc, note))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeData(w, status, struct{}{})
}

// parse validates the body's fields on their own and returns the
// recipient's address and the note ("" without one).
func (b inviteBody) parse() (email, note string, err error) {
	if b.RecipientEmail == nil {
		return "", "", badField("recipientEmail")
	}
	email, ok := parseEmail(*b.RecipientEmail)
	if !ok {
		return "", "", badField("recipientEmail")
	}
	if b.AssetID != nil && !validAssetID(*b.AssetID) {
		return "", "", badField("assetId")
	}
	if b.Message != nil {
		if !validText(*b.Message, maxMessage, true) {
			return "", "", badField("message")
		}
		note = *b.Message
	}
	return email, note, nil
}

// newGrant is the grant of doc from the caller p; a sender without a
// name is shown by e-mail address.
func newGrant(p auth.Principal, doc Document, note string) Grant {
	senderName := p.Name
	if senderName == "" {
		senderName = p.Email
	}
	return Grant{DocumentID: doc.ID, DocumentName: doc.DisplayName, AssetID: doc.AssetID, SenderUserID: p.Subject,
		SenderUserName: senderName, SenderUserEmail: p.Email, Message: note}
}

// shareRetrying makes up to three attempts while concurrent requests
// change what an attempt read.
func (s *Service) shareRetrying(ctx context.Context, dir Directory, p auth.Principal, email string, g Grant) (Recipient, bool, error) {
	for range 3 {
		rec, created, err := s.share(ctx, dir, p, email, g)
		if errors.Is(err, errRetry) {
			continue
		}
		return rec, created, err
	}
	return Recipient{}, false, failWith(errRetry, CodeConflict)
}

// share makes one attempt: find or create the Keycloak user, then create
// the recipient or add the grant, with the e-mail, in one transaction.
// created reports whether the grant is new.
func (s *Service) share(ctx context.Context, dir Directory, p auth.Principal, email string, g Grant) (rec Recipient, created bool, err error) {
	org := p.Organization
	user, fresh, err := recipientUser(ctx, dir, email, org)
	if err != nil {
		return rec, false, err
	}
	now := s.nowMillis()
	g.CreatedAt = now
	rec, err = s.store.GetRecipient(ctx, org, user.ID)
	if errors.Is(err, store.ErrNotFound) {
		// A disabled user of the organization without a recipient is what
		// a crash between the Keycloak create and the transaction leaves:
		// adopt it. An enabled one is a real account: never manage it.
		if !fresh && user.Enabled {
			return rec, false, fail(CodeConflict, "reason", "ExistingAccount")
		}
		return s.createRecipient(ctx, org, user.ID, email, g, now)
	}
	if err != nil {
		return rec, false, err
	}
	if _, ok := rec.Grants[g.DocumentID]; ok {
		return rec, false, nil
	}
	return s.addGrant(ctx, org, rec, g, now)
}

// recipientUser finds the Keycloak user of email or creates it disabled
// in org (fresh). A user of another organization is a conflict.
func recipientUser(ctx context.Context, dir Directory, email, org string) (user keycloak.User, fresh bool, err error) {
	user, err = dir.FindUserByEmail(ctx, email)
	if errors.Is(err, keycloak.ErrNotFound) {
		id, cerr := dir.CreateDisabledUser(ctx, email, org)
		if errors.Is(cerr, keycloak.ErrConflict) {
			return user, false, errRetry // created concurrently: find it next time
		}
		if cerr != nil {
			return user, false, upstream(cerr)
		}
		user, fresh = keycloak.User{ID: id, Email: email, Organization: org}, true
	} else if err != nil {
		return user, false, upstream(err)
	}
	if user.Organization != org {
		return user, false, fail(CodeConflict, "reason", "RecipientInAnotherOrganization")
	}
	if _, err := parseUUID("userId", user.ID); err != nil {
		return user, false, fmt.Errorf("shares: Keycloak user id %q is not a UUID", user.ID)
	}
	return user, fresh, nil
}

// createRecipient writes a recipient with its first grant and the
// invitation: a new account registers first.
func (s *Service) createRecipient(ctx context.Context, org, userID, email string, g Grant, now int64) (Recipient, bool, error) {
	rec := Recipient{UserID: userID, OrganizationID: org, Email: email, Status: StatusRegistration,
		Grants: map[string]Grant{g.DocumentID: g}, CreatedAt: now, ModifiedAt: now, Version: 1}
	msg, err := s.mailAction(outboxID("invite", org, rec.UserID, g.DocumentID), s.invitation(rec, g), now)
	if err != nil {
		return rec, false, err
	}
	err = s.store.CreateRecipient(ctx, rec, msg, s.store.markShared(org, g.DocumentID))
	if errors.Is(err, store.ErrConflict) {
		return rec, false, errRetry
	}
	return rec, err == nil, err
}

// addGrant adds g to an existing recipient of org with the mail its status
// calls for: the invitation again while waiting, a notice once ACCEPTED.
func (s *Service) addGrant(ctx context.Context, org string, rec Recipient, g Grant, now int64) (Recipient, bool, error) {
	var m mail.Message
	switch rec.Status {
	case StatusRegistration, StatusWaiting:
		m = s.invitation(rec, g)
	case StatusAccepted:
		m = documentAdded(rec.Email, g)
	default:
		// Declined, yet the Keycloak user exists: a decline is finishing.
		return rec, false, fail(CodeConflict, "status", rec.Status)
	}
	msg, err := s.mailAction(outboxID("invite", org, rec.UserID, g.DocumentID), m, now)
	if err != nil {
		return rec, false, err
	}
	if err := s.store.AddGrant(ctx, rec, g, now, msg, s.store.markShared(org, g.DocumentID)); errors.Is(err, errCondition) {
		return rec, false, errRetry
	} else if err != nil {
		return rec, false, err
	}
	if rec.Grants == nil {
		rec.Grants = map[string]Grant{}
	}
	rec.Grants[g.DocumentID] = g
	rec.ModifiedAt, rec.Version = now, rec.Version+1
	return rec, true, nil
}

// invitation is the e-mail of a new share: it links to the share's state,
// which tells the recipient what to do next (register, or wait).
func (s *Service) invitation(rec Recipient, g Grant) mail.Message {
	var stateURL string
	if s.StateBaseURL != "" {
		stateURL = s.StateBaseURL + "/v1/shares/state/" + rec.UserID + "/" + shareID(rec.OrganizationID, rec.UserID, g.DocumentID)
	}
	if rec.Status == StatusRegistration {
		return mail.Registration(rec.Email, g.SenderUserName, g.DocumentName, g.Message, stateURL)
	}
	return mail.Invitation(rec.Email, g.SenderUserName, g.DocumentName, g.Message, stateURL)
}

// upstream turns a Keycloak failure into 502: nothing was changed here
// and the request may be retried.
func upstream(err error) error {
	return failWith(err, CodeBadGateway)
}
