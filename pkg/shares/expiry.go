package shares

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// ExpiredBy is the decidedBy of a recipient the expiry sweep declined.
const ExpiredBy = "gatehouse:expiry"

// WaitingStatuses are the statuses a recipient expires from.
var WaitingStatuses = []string{StatusRegistration, StatusWaiting}

// ErrNotExpirable means the recipient was decided meanwhile or another
// decision holds it: nothing for the sweep to do now.
var ErrNotExpirable = errors.New("shares: recipient is no longer waiting")

func expires(status string) bool { return slices.Contains(WaitingStatuses, status) }

// expiryPK is the ExpiryIndex partition of a recipient waiting in status.
func expiryPK(status, userID string) string {
	return store.RecipientsExpiryPK(status, store.ExpiryShard(userID))
}

// WaitingSince returns up to limit recipients of one index shard waiting
// in status whose look-at time (the first share's time, or where
// PostponeExpiry moved it) is before the given time (epoch ms), oldest
// first, and the key to go on from (nil when none remain). The index is
// eventually consistent: the decline re-checks the status under its claim.
func (s *Store) WaitingSince(ctx context.Context, status string, shard int, before int64, limit int, from dynamo.PagingKey) ([]Recipient, dynamo.PagingKey, error) {
	var items []recipientItem
	q := s.table.Get("EXPPK", store.RecipientsExpiryPK(status, shard)).Index(store.ExpiryIndex).
		Range("EXPSK", dynamo.Less, store.SortKey(before, "")).
		Order(dynamo.Ascending).Limit(limit)
	if from != nil {
		q = q.StartFrom(from)
	}
	next, err := q.AllWithLastEvaluatedKey(ctx, &items)
	if err != nil {
		return nil, nil, fmt.Errorf("shares: expiry candidates: %w", err)
	}
	out := make([]Recipient, 0, len(items))
	for _, it := range items {
		out = append(out, it.Recipient)
	}
	return out, next, nil
}

// PostponeExpiry moves a waiting recipient's look-at time to at (its due
// time under its organization's current setting, or a day later for one
// that never expires, so a changed setting is still seen). A recipient
// that moved on meanwhile is left alone.
func (s *Store) PostponeExpiry(ctx context.Context, rec Recipient, at int64) error {
	err := s.table.Update("PK", store.RecipientPK(rec.OrganizationID, rec.UserID)).Range("SK", store.RecipientSK).
		Set("EXPSK", store.SortKey(at, rec.UserID)).
		If("$ = ? AND attribute_exists(EXPPK)", "status", rec.Status).
		Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("shares: postpone expiry: %w", err)
	}
	return nil
}

// ExpiryDays is org's recipientExpiryDays, or def when it set none.
func (s *Store) ExpiryDays(ctx context.Context, org string, def int) (int, error) {
	st, err := s.GetSettings(ctx, org)
	if err != nil {
		return 0, err
	}
	if st.RecipientExpiryDays == nil {
		return def, nil
	}
	return *st.RecipientExpiryDays, nil
}

// Store returns the Service's store (the expiry sweep reads candidates
// through it).
func (s *Service) Store() *Store { return s.store }

// Expire declines a waiting recipient as an admin would (Keycloak user
// deleted, DECLINED, grants revoked, decline e-mail), by ExpiredBy.
// ErrNotExpirable means it is decided or being decided; a Keycloak
// failure changes nothing and the next sweep retries.
func (s *Service) Expire(ctx context.Context, rec Recipient) error {
	err := s.declineAs(ctx, rec, ExpiredBy)
	var e *Error
	if errors.As(err, &e) && (e.Code == CodeUnprocessableEntity || e.Code == CodeConflict && e.Extension["reason"] == "DecisionInProgress") {
		return fmt.Errorf("%w: %w", ErrNotExpirable, err)
	}
	return err
}
