package shares

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/store"
)

const (
	defPageSize = 50
	maxPageSize = 100
)

// pending lists the organization's recipients waiting for a decision,
// newest first, each with the documents shared with them.
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
	q := r.URL.Query()
	for k := range q {
		if k != "pageSize" && k != "pageToken" {
			return badField(k)
		}
	}
	size := defPageSize
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return badField("pageSize")
		}
		size = n
	}
	recs, next, err := s.store.ListRecipients(r.Context(), org, StatusWaiting, size, q.Get("pageToken"))
	if errors.Is(err, store.ErrInvalidPageToken) {
		return badField("pageToken")
	}
	if err != nil {
		return err
	}
	out := PendingList{PendingRequests: make([]RecipientView, 0, len(recs)), NextPageToken: next}
	for _, rec := range recs {
		out.PendingRequests = append(out.PendingRequests, viewRecipient(rec))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// state is public: the documents waiting for a decision on recipient
// userId. Unknown ids and recipients not waiting get an empty list, so
// the answer reveals nothing beyond what the invitation e-mail said.
func (s *Service) state(w http.ResponseWriter, r *http.Request) error {
	id, err := parseUUID("userId", r.PathValue("userId"))
	if err != nil {
		return err
	}
	out := State{Documents: []StateDocument{}}
	typ, org, err := s.store.Lookup(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && typ != EntityRecipient {
		return httpapi.WriteJSON(w, http.StatusOK, out)
	}
	if err != nil {
		return err
	}
	rec, err := s.store.GetRecipient(r.Context(), org, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if rec.Status == StatusWaiting {
		for _, g := range sortedGrants(rec) {
			if g.RevokedAt == 0 {
				out.Documents = append(out.Documents, StateDocument{DocumentID: g.DocumentID, DocumentName: g.DocumentName,
					SenderUserName: nullable(g.SenderUserName), SenderUserEmail: nullable(g.SenderUserEmail), CreatedAt: g.CreatedAt})
			}
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
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

// decisionTarget validates a decision request and reads its recipient.
func (s *Service) decisionTarget(r *http.Request, body any) (by string, rec Recipient, err error) {
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
	if rec.Status != StatusWaiting {
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

// accept enables the recipient's Keycloak user with the UPDATE_PASSWORD
// required action and the marketplace role, then records ACCEPTED and
// the welcome e-mail in one transaction: 200 with the recipient.
func (s *Service) accept(w http.ResponseWriter, r *http.Request) error {
	var b acceptBody
	by, rec, err := s.decisionTarget(r, &b)
	if err != nil {
		return err
	}
	dir, err := s.directory()
	if err != nil {
		return err
	}
	role := *b.MarketplaceRole
	done, err := s.decide(r.Context(), rec, StatusAccepted, func(ctx context.Context, rec Recipient, token string) error {
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
		msg, err := s.mailAction(outboxID("welcome", rec.OrganizationID, rec.UserID), mail.Welcome(rec.Email, role), at)
		if err != nil {
			return rec, err
		}
		if err := s.store.Decide(ctx, rec, Decision{Status: StatusAccepted, Token: token, Role: role, By: by, At: at}, msg); err != nil {
			return rec, err
		}
		rec.Status, rec.MarketplaceRole, rec.DecidedBy, rec.DecidedAt, rec.ModifiedAt = StatusAccepted, role, by, at, at
		rec.Version++
		return rec, nil
	})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, viewRecipient(done))
}

// decline follows seed 003: the Keycloak user is deleted first (a user
// already gone counts as deleted), then one transaction sets DECLINED,
// revokes every grant and enqueues the decline e-mail. A Keycloak failure
// answers 502 with nothing changed; a retry completes the decline. 204.
func (s *Service) decline(w http.ResponseWriter, r *http.Request) error {
	by, rec, err := s.decisionTarget(r, &struct{}{})
	if err != nil {
		return err
	}
	dir, err := s.directory()
	if err != nil {
		return err
	}
	_, err = s.decide(r.Context(), rec, StatusDeclined, func(ctx context.Context, rec Recipient, token string) error {
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
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decide runs one decision on rec: claim it (waiting for a decision in
// flight), call Keycloak, then commit, and returns the decided recipient
// commit made; the handler writes the response. commit may be run again
// with the recipient re-read when a document was shared in between, so it
// only persists. On any failure the claim is released, so nothing stays
// changed.
func (s *Service) decide(ctx context.Context, rec Recipient, status string,
	idp func(ctx context.Context, rec Recipient, token string) error,
	commit func(ctx context.Context, rec Recipient, token string, at int64) (Recipient, error)) (_ Recipient, err error) {
	rec, token, err := s.claim(ctx, rec, status)
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
		if cur.Status != StatusWaiting {
			return rec, notWaiting(cur.Status)
		}
		if cur.Decision != token {
			return rec, failWith(errors.New("shares: decision claim lost"), CodeConflict, "reason", "DecisionInProgress")
		}
		rec = cur // grants changed: commit again with the current ones
	}
	return rec, failWith(errRetry, CodeConflict)
}

// claim takes the decision claim on a WAITING recipient. While another
// decision holds it, claim waits (up to s.Wait) for it to finish and then
// answers that decision's outcome, e.g. 422 DECLINED to the second of two
// concurrent declines.
func (s *Service) claim(ctx context.Context, rec Recipient, op string) (Recipient, string, error) {
	token := op + ":" + uuid.NewString()
	deadline := s.now().Add(s.Wait)
	for {
		now := s.now()
		got, err := s.store.Claim(ctx, rec.OrganizationID, rec.UserID, token, now.UnixMilli(), now.Add(s.Lease).UnixMilli())
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
		if cur.Status != StatusWaiting {
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
