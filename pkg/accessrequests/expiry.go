package accessrequests

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// ExpiredBy is the processedBy of a request the expiry sweep rejected.
const ExpiredBy = "gatehouse:expiry"

// expiryFloor is the youngest a request can expire (one day, the shortest
// requestExpiryDays): a new request enters the sweep's index due then.
const expiryFloor = 24 * time.Hour

// expiryKeys place a PENDING request in store.ExpiryIndex: sharded by id,
// sorted by when the sweep should first look at it (creation + one day).
func expiryKeys(a AccessRequest) (pk, sk string) {
	return store.RequestsExpiryPK(store.ExpiryShard(a.ID)), store.SortKey(a.CreatedAt+expiryFloor.Milliseconds(), a.ID)
}

// ExpiryCandidate is a PENDING request the sweep may look at, with its tenant.
type ExpiryCandidate struct {
	Tenant  string
	Request AccessRequest
}

// DueForExpiry returns up to limit PENDING requests of one index shard
// whose look-at time is at or before now, oldest first, and the key to go
// on from ("" when the shard has no more). The index is eventually
// consistent: a candidate may have been decided meanwhile, which the
// conditional decide notices.
func (s *Repo) DueForExpiry(ctx context.Context, shard int, now int64, limit int, from dynamo.PagingKey) ([]ExpiryCandidate, dynamo.PagingKey, error) {
	var items []accessRequestItem
	q := s.table.Get("EXPPK", store.RequestsExpiryPK(shard)).Index(store.ExpiryIndex).
		Range("EXPSK", dynamo.Less, store.SortKey(now+1, "")).
		Order(dynamo.Ascending).Limit(limit)
	if from != nil {
		q = q.StartFrom(from)
	}
	next, err := q.AllWithLastEvaluatedKey(ctx, &items)
	if err != nil {
		return nil, nil, fmt.Errorf("accessrequests: expiry candidates: %w", err)
	}
	out := make([]ExpiryCandidate, 0, len(items))
	for _, it := range items {
		out = append(out, ExpiryCandidate{Tenant: it.Tenant, Request: it.AccessRequest})
	}
	return out, next, nil
}

// PostponeExpiry moves a PENDING request's look-at time to at (its due
// time under the connector's current setting, or a day later for a
// connector that never expires, so a changed setting is still seen). A
// request decided meanwhile is left alone.
func (s *Repo) PostponeExpiry(ctx context.Context, tenant string, ar AccessRequest, at int64) error {
	err := s.table.Update("PK", store.AccessRequestPK(tenant, ar.ID)).Range("SK", store.AccessRequestSK).
		Set("EXPSK", store.SortKey(at, ar.ID)).
		If("$ = ? AND attribute_exists(EXPPK)", "status", StatusPending).
		Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("accessrequests: postpone expiry: %w", err)
	}
	return nil
}

// Expire rejects a PENDING request as gatehouse:expiry through Decide, the
// reject path: the pending marker is released, so the sender's next
// message opens a fresh request. ErrNotPending means it was decided
// first (by an operator or an overlapping sweep).
func (s *Repo) Expire(ctx context.Context, tenant string, ar AccessRequest, days int, at int64, extra ...store.TxAction) (AccessRequest, error) {
	note := fmt.Sprintf("Expired: no decision within %d days.", days)
	if days == 1 {
		note = "Expired: no decision within 1 day."
	}
	out, err := s.Decide(ctx, tenant, ar, Decision{Status: StatusRejected, By: ExpiredBy, Note: note, At: at, Extra: extra})
	if errors.Is(err, store.ErrConflict) {
		// A transaction conflict with a concurrent decision: the next
		// sweep sees what won.
		return AccessRequest{}, err
	}
	return out, err
}
