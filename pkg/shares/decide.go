package shares

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// pending lists the organization's recipients waiting for a decision,
// newest first, each with the documents shared with them: one Query of
// at most pageSize (default httpapi.DefaultListBound) recipients, with a
// Link header to the next page when more remain.
func (s *Service) pending(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r, decideRoles...)
	if err != nil {
		return err
	}
	org := r.PathValue("id")
	if !validOrg(org) {
		return badField("organizationId")
	}
	if org != p.Organization {
		return fail(CodeNoPermission)
	}
	for k := range r.URL.Query() {
		if !strings.EqualFold(k, "pageSize") && !strings.EqualFold(k, "pageToken") {
			return badField(k)
		}
	}
	lp, err := httpapi.ParseList(r)
	if err != nil {
		return failWith(err, CodeBadRequest, "field", "pageSize") // names are checked: only pageSize can be wrong
	}
	recs, next, err := s.store.ListRecipients(r.Context(), org, StatusWaiting, lp.PageSize, lp.PageToken)
	if errors.Is(err, store.ErrInvalidPageToken) {
		return badField("pageToken")
	}
	if err != nil {
		return err
	}
	out := make([]PendingRecipient, 0, len(recs))
	for _, rec := range recs {
		out = append(out, viewPending(rec))
	}
	setNextLink(w, r, next)
	return writeData(w, http.StatusOK, out)
}

// state is public: the documents waiting for a decision on recipient
// userId; 404 when no recipient has that id, an empty list when the
// recipient is not waiting for a decision (as documented).
func (s *Service) state(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.publicRecipient(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	out := []StateDocument{}
	if rec.Status == StatusWaiting {
		for _, g := range sortedGrants(rec) {
			if g.RevokedAt == 0 {
				out = append(out, StateDocument{DocumentID: g.DocumentID, DocumentName: g.DocumentName,
					SenderUserName: nullable(g.SenderUserName), SenderUserEmail: nullable(g.SenderUserEmail), CreatedAt: isoTime(g.CreatedAt)})
			}
		}
	}
	return writeData(w, http.StatusOK, out)
}

// shareState is public: the status (lower case, as documented) of the
// recipient of one share, with the shared document and its asset.
func (s *Service) shareState(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.publicRecipient(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	id, err := parseUUID("shareId", r.PathValue("shareId"))
	if err != nil {
		return err
	}
	for _, g := range rec.Grants {
		if shareID(rec.OrganizationID, rec.UserID, g.DocumentID) == id {
			return writeData(w, http.StatusOK, ShareState{Status: strings.ToLower(rec.Status), AssetID: nullable(g.AssetID), DocumentID: g.DocumentID})
		}
	}
	return fail(CodeNotFound)
}

// publicRecipient reads the recipient a public route names: 404 for any
// id that is not a recipient's.
func (s *Service) publicRecipient(ctx context.Context, raw string) (Recipient, error) {
	id, err := parseUUID("userId", raw)
	if err != nil {
		return Recipient{}, err
	}
	typ, org, err := s.store.Lookup(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && typ != EntityRecipient {
		return Recipient{}, fail(CodeNotFound)
	}
	if err != nil {
		return Recipient{}, err
	}
	rec, err := s.store.GetRecipient(ctx, org, id)
	if errors.Is(err, store.ErrNotFound) {
		return Recipient{}, fail(CodeNotFound)
	}
	return rec, err
}

// checkRecipient tells whether an address has an account and, for an
// account of the caller's organization, its id and share status.
func (s *Service) checkRecipient(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r, checkRoles...)
	if err != nil {
		return err
	}
	email, ok := parseEmail(r.PathValue("email"))
	if !ok {
		return badField("email")
	}
	dir, err := s.directory()
	if err != nil {
		return err
	}
	user, err := dir.FindUserByEmail(r.Context(), email)
	if errors.Is(err, keycloak.ErrNotFound) {
		return writeData(w, http.StatusOK, RecipientCheck{})
	}
	if err != nil {
		return upstream(err)
	}
	same := user.Organization == p.Organization
	out := RecipientCheck{Exists: true, SameOrganization: &same}
	if same {
		out.UserID = &user.ID
		rec, err := s.store.GetRecipient(r.Context(), p.Organization, user.ID)
		switch {
		case err == nil:
			out.Status = &rec.Status
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	return writeData(w, http.StatusOK, out)
}

type profileBody struct {
	FirstName *string `json:"firstname"`
	LastName  *string `json:"lastname"`
	Language  *string `json:"language"`
}

func (b profileBody) parse() (first, last, lang string, err error) {
	for _, f := range []struct {
		name string
		v    *string
	}{{"firstname", b.FirstName}, {"lastname", b.LastName}} {
		if f.v == nil || !validName(*f.v, maxPersonName) {
			return "", "", "", badField(f.name)
		}
	}
	if b.Language == nil || !validLanguage(*b.Language) {
		return "", "", "", badField("language")
	}
	return strings.TrimSpace(*b.FirstName), strings.TrimSpace(*b.LastName), strings.ToLower(*b.Language), nil
}

// completeProfile is the public registration step of a new recipient:
// Keycloak enables the account and stores names and language, then one
// transaction moves the recipient to WAITING_FOR_ADMIN_DECISION with the
// e-mails to the organization's admins. Any other status is 422.
func (s *Service) completeProfile(w http.ResponseWriter, r *http.Request) error {
	id, err := parseUUID("userId", r.PathValue("userId"))
	if err != nil {
		return err
	}
	var b profileBody
	if err := httpapi.DecodeJSON(r, &b); err != nil {
		return err
	}
	first, last, lang, err := b.parse()
	if err != nil {
		return err
	}
	typ, org, err := s.store.Lookup(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(CodeNotFound)
	case err != nil:
		return err
	case typ != EntityRecipient:
		return fail(CodeUnprocessableEntity, "entityType", typ)
	}
	rec, err := s.store.GetRecipient(r.Context(), org, id)
	if errors.Is(err, store.ErrNotFound) {
		return fail(CodeNotFound)
	}
	if err != nil {
		return err
	}
	now := s.nowMillis()
	if err := registering(rec, now); err != nil {
		return err
	}
	dir, err := s.directory()
	if err != nil {
		return err
	}
	// Idempotent: a retry after a failed transaction converges.
	if err := dir.CompleteProfile(r.Context(), id, first, last, lang); errors.Is(err, keycloak.ErrNotFound) {
		return failWith(err, CodeConflict, "reason", "AccountMissing")
	} else if err != nil {
		return upstream(err)
	}
	rec.FirstName, rec.LastName, rec.Language = first, last, lang
	msgs, err := s.registrationMails(r.Context(), dir, rec, now)
	if err != nil {
		return err
	}
	err = s.store.Registered(r.Context(), rec, now, msgs...)
	if errors.Is(err, errCondition) {
		cur, gerr := s.store.GetRecipient(r.Context(), org, id)
		if gerr != nil {
			return gerr
		}
		return registering(cur, s.nowMillis())
	}
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, ProfileView{ID: rec.UserID, Email: rec.Email, Enabled: true})
}

// registering refuses a recipient not registering (422 with its status)
// or held by a decision in flight (409).
func registering(rec Recipient, now int64) error {
	if rec.Status != StatusRegistration {
		return fail(CodeUnprocessableEntity, "status", rec.Status)
	}
	if rec.Decision != "" && rec.DecisionUntil >= now {
		return fail(CodeConflict, "reason", "DecisionInProgress")
	}
	return nil
}

// maxNotified bounds the e-mails of one registration (each is an action
// of its transaction, of at most 100).
const maxNotified = 25

// registrationMails are the e-mails telling the organization's admins
// that rec waits for their decision; without admins the support address
// gets it, without one the senders of rec's shares.
func (s *Service) registrationMails(ctx context.Context, dir Directory, rec Recipient, now int64) ([]store.TxAction, error) {
	admins, err := dir.OrganizationUsersInRoles(ctx, rec.OrganizationID, adminRoles...)
	if err != nil {
		return nil, upstream(err)
	}
	var to []string
	for _, a := range admins {
		if a.Email != "" {
			to = append(to, strings.ToLower(a.Email))
		}
	}
	if len(to) == 0 && s.SupportEmail != "" {
		to = append(to, s.SupportEmail)
	}
	if len(to) == 0 {
		for _, g := range sortedGrants(rec) {
			if g.SenderUserEmail != "" {
				to = append(to, strings.ToLower(g.SenderUserEmail))
			}
		}
	}
	slices.Sort(to)
	to = slices.Compact(to)
	if len(to) > maxNotified {
		to = to[:maxNotified]
	}
	var out []store.TxAction
	for _, addr := range to {
		msg, err := s.mailAction(outboxID("registered", rec.OrganizationID, rec.UserID, addr), mail.ProfileCompleted(addr, rec.Email, recipientName(rec), ""), now)
		if err != nil {
			return nil, err
		}
		out = append(out, msg)
	}
	return out, nil
}

// setNextLink sets the RFC 8288 Link header to the next page.
func setNextLink(w http.ResponseWriter, r *http.Request, next string) {
	if next != "" {
		w.Header().Set("Link", "<"+httpapi.NextPageURL(r, next)+`>; rel="next"`)
	}
}

// recipient reads a recipient of org for a decision: 404 when the id
// names nothing, 422 with entityType when it names another kind of
// entity, 403 when another organization's recipient.
func (s *Service) recipient(ctx context.Context, org, id string) (Recipient, error) {
	rec, err := s.store.GetRecipient(ctx, org, id)
	if !errors.Is(err, store.ErrNotFound) {
		return rec, err
	}
	if err := s.refuse(ctx, org, id, EntityRecipient); err != nil {
		return Recipient{}, err
	}
	rec, err = s.store.GetRecipient(ctx, org, id)
	if errors.Is(err, store.ErrNotFound) {
		return Recipient{}, fail(CodeNotFound)
	}
	return rec, err
}

// notWaiting is the 422 of a decision on a recipient already decided.
func notWaiting(status string) error {
	return fail(CodeUnprocessableEntity, "status", status)
}

// decisionTarget validates a decision request and reads its recipient,
// which must be in one of the statuses.
func (s *Service) decisionTarget(r *http.Request, body any, statuses []string) (by string, rec Recipient, err error) {
	p, err := caller(r, decideRoles...)
	if err != nil {
		return "", rec, err
	}
	id, err := parseUUID("userId", r.PathValue("id"))
	if err != nil {
		return "", rec, err
	}
	if err := httpapi.DecodeJSON(r, body); err != nil {
		return "", rec, err
	}
	if v, ok := body.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return "", rec, err
		}
	}
	rec, err = s.recipient(r.Context(), p.Organization, id)
	if err != nil {
		return "", rec, err
	}
	if !slices.Contains(statuses, rec.Status) {
		return "", rec, notWaiting(rec.Status)
	}
	return p.Subject, rec, nil
}

type acceptBody struct {
	MarketplaceRole *string `json:"marketplaceRole"`
}

func (b *acceptBody) validate() error {
	if b.MarketplaceRole == nil || !slices.Contains(MarketplaceRoles, *b.MarketplaceRole) {
		return badField("marketplaceRole")
	}
	return nil
}

// The statuses a decision may start from: only a registered recipient
// can be accepted; a share may be declined before registration too.
var (
	acceptFrom  = []string{StatusWaiting}
	declineFrom = []string{StatusWaiting, StatusRegistration}
)

// accept enables the recipient's Keycloak user with the UPDATE_PASSWORD
// required action and the marketplace role, then records ACCEPTED with
// the welcome and the approval e-mail in one transaction: 204.
func (s *Service) accept(w http.ResponseWriter, r *http.Request) error {
	var b acceptBody
	by, rec, err := s.decisionTarget(r, &b, acceptFrom)
	if err != nil {
		return err
	}
	dir, err := s.directory()
	if err != nil {
		return err
	}
	role := *b.MarketplaceRole
	_, err = s.decide(r.Context(), rec, StatusAccepted, acceptFrom, func(ctx context.Context, rec Recipient, token string) error {
		// Both calls are idempotent, so a retry after a failure converges.
		if err := dir.EnableWithPasswordReset(ctx, rec.UserID); errors.Is(err, keycloak.ErrNotFound) {
			return failWith(err, CodeConflict, "reason", "AccountMissing")
		} else if err != nil {
			return upstream(err)
		}
		if err := dir.AssignRealmRole(ctx, rec.UserID, role); errors.Is(err, keycloak.ErrNotFound) {
			return err // the realm lacks the role: a deployment error, 500
		} else if err != nil {
			return upstream(err)
		}
		return nil
	}, func(ctx context.Context, rec Recipient, token string, at int64) (Recipient, error) {
		welcome, err := s.mailAction(outboxID("welcome", rec.OrganizationID, rec.UserID), mail.Welcome(rec.Email, role), at)
		if err != nil {
			return rec, err
		}
		approval, err := s.mailAction(outboxID("approval", rec.OrganizationID, rec.UserID), mail.Approval(rec.Email, rec.OrganizationID), at)
		if err != nil {
			return rec, err
		}
		if err := s.store.Decide(ctx, rec, Decision{Status: StatusAccepted, Token: token, Role: role, By: by, At: at}, welcome, approval); err != nil {
			return rec, err
		}
		rec.Status, rec.MarketplaceRole, rec.DecidedBy, rec.DecidedAt, rec.ModifiedAt = StatusAccepted, role, by, at, at
		rec.Version++
		return rec, nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decline follows seed 003: the Keycloak user is deleted first (a user
// already gone counts as deleted), then one transaction sets DECLINED,
// revokes every grant and enqueues the decline e-mail. A Keycloak failure
// answers 502 with nothing changed; a retry completes the decline. 204.
func (s *Service) decline(w http.ResponseWriter, r *http.Request) error {
	by, rec, err := s.decisionTarget(r, &struct{}{}, declineFrom)
	if err != nil {
		return err
	}
	if err := s.declineAs(r.Context(), rec, by); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// declineAs declines rec on behalf of by: the admin route and the expiry
// sweep share it.
func (s *Service) declineAs(ctx context.Context, rec Recipient, by string) error {
	dir, err := s.directory()
	if err != nil {
		return err
	}
	_, err = s.decide(ctx, rec, StatusDeclined, declineFrom, func(ctx context.Context, rec Recipient, token string) error {
		if err := dir.DeleteUser(ctx, rec.UserID); err != nil {
			return upstream(err)
		}
		return nil
	}, func(ctx context.Context, rec Recipient, token string, at int64) (Recipient, error) {
		msg, err := s.mailAction(outboxID("decline", rec.OrganizationID, rec.UserID), mail.Decline(rec.Email, rec.OrganizationID), at)
		if err != nil {
			return rec, err
		}
		return rec, s.store.Decide(ctx, rec, Decision{Status: StatusDeclined, Token: token, By: by, At: at}, msg)
	})
	return err
}

// decide runs one decision on rec: claim it (waiting for a decision in
// flight), call Keycloak, then commit, and returns the decided recipient
// commit made; the handler writes the response. commit may be run again
// with the recipient re-read when a document was shared in between, so it
// only persists. On any failure the claim is released, so nothing stays
// changed.
func (s *Service) decide(ctx context.Context, rec Recipient, status string, from []string,
	idp func(ctx context.Context, rec Recipient, token string) error,
	commit func(ctx context.Context, rec Recipient, token string, at int64) (Recipient, error)) (_ Recipient, err error) {
	rec, token, err := s.claim(ctx, rec, status, from)
	if err != nil {
		return rec, err
	}
	defer func() {
		if err != nil {
			s.release(ctx, rec, token)
		}
	}()
	if err := idp(ctx, rec, token); err != nil {
		return rec, err
	}
	for range 5 {
		done, err := commit(ctx, rec, token, s.nowMillis())
		if !errors.Is(err, errCondition) {
			return done, err
		}
		cur, gerr := s.store.GetRecipient(ctx, rec.OrganizationID, rec.UserID)
		if gerr != nil {
			return rec, gerr
		}
		if cur.Status != rec.Status {
			return rec, notWaiting(cur.Status)
		}
		if cur.Decision != token {
			return rec, failWith(errors.New("shares: decision claim lost"), CodeConflict, "reason", "DecisionInProgress")
		}
		rec = cur // grants changed: commit again with the current ones
	}
	return rec, failWith(errRetry, CodeConflict)
}

// claim takes the decision claim on a recipient in one of the from statuses. While another
// decision holds it, claim waits (up to s.Wait) for it to finish and then
// answers that decision's outcome, e.g. 422 DECLINED to the second of two
// concurrent declines.
func (s *Service) claim(ctx context.Context, rec Recipient, op string, from []string) (Recipient, string, error) {
	token := op + ":" + uuid.NewString()
	deadline := s.now().Add(s.Wait)
	for {
		now := s.now()
		got, err := s.store.Claim(ctx, rec.OrganizationID, rec.UserID, token, now.UnixMilli(), now.Add(s.Lease).UnixMilli(), from...)
		if err == nil {
			return got, token, nil
		}
		if !errors.Is(err, errCondition) {
			return rec, "", err
		}
		cur, err := s.store.GetRecipient(ctx, rec.OrganizationID, rec.UserID)
		if err != nil {
			return rec, "", err
		}
		if !slices.Contains(from, cur.Status) {
			return rec, "", notWaiting(cur.Status)
		}
		if s.now().After(deadline) {
			return rec, "", fail(CodeConflict, "reason", "DecisionInProgress")
		}
		if cur.Decision == "" || cur.DecisionUntil < s.now().UnixMilli() {
			continue // released or expired meanwhile: claim again at once
		}
		select {
		case <-ctx.Done():
			return rec, "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// release drops a claim after a failed decision; if that fails too, the
// claim expires after s.Lease.
func (s *Service) release(ctx context.Context, rec Recipient, token string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.store.Release(ctx, rec.OrganizationID, rec.UserID, token); err != nil {
		s.log.ErrorContext(ctx, "release decision claim", "userId", rec.UserID, "err", err)
	}
}
