package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"
)

// Access request statuses.
const (
	StatusPending  = "PENDING"
	StatusApproved = "APPROVED"
	StatusRejected = "REJECTED"
	StatusBlocked  = "BLOCKED"
)

// ErrNotPending means the request was already decided.
var ErrNotPending = errors.New("store: access request is not pending")

// ErrBlocked means the sender is blocked on the connector.
var ErrBlocked = errors.New("store: sender is blocked")

// AccessRequest is a sender asking to talk to an agent (seed 000).
type AccessRequest struct {
	ID                    string `dynamo:"id"`
	IntegrationConfigID   string `dynamo:"integrationConfigId"`
	Provider              string `dynamo:"provider"`
	Address               string `dynamo:"address"`
	AgentID               string `dynamo:"agentId"`
	MatchedParticipantID  string `dynamo:"matchedParticipantId,omitempty"`
	DisplayName           string `dynamo:"displayName,omitempty"`
	ConversationName      string `dynamo:"conversationName,omitempty"`
	Status                string `dynamo:"status"`
	ProcessedBy           string `dynamo:"processedBy,omitempty"`
	ProcessedAt           int64  `dynamo:"processedAt,omitempty"`
	ProcessingNote        string `dynamo:"processingNote,omitempty"`
	ApprovedParticipantID string `dynamo:"approvedParticipantId,omitempty"`
	CreatedAt             int64  `dynamo:"createdAt"`
	ModifiedAt            int64  `dynamo:"modifiedAt"`
}

// MarshalJSON renders exactly seed 000's fields; unset optional ones are null.
func (a AccessRequest) MarshalJSON() ([]byte, error) {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	num := func(n int64) *int64 {
		if n == 0 {
			return nil
		}
		return &n
	}
	return json.Marshal(struct {
		ID                    string  `json:"id"`
		IntegrationConfigID   string  `json:"integrationConfigId"`
		Provider              string  `json:"provider"`
		Address               string  `json:"address"`
		AgentID               string  `json:"agentId"`
		MatchedParticipantID  *string `json:"matchedParticipantId"`
		DisplayName           *string `json:"displayName"`
		ConversationName      *string `json:"conversationName"`
		Status                string  `json:"status"`
		ProcessedBy           *string `json:"processedBy"`
		ProcessedAt           *int64  `json:"processedAt"`
		ProcessingNote        *string `json:"processingNote"`
		ApprovedParticipantID *string `json:"approvedParticipantId"`
		CreatedAt             int64   `json:"createdAt"`
		ModifiedAt            int64   `json:"modifiedAt"`
	}{a.ID, a.IntegrationConfigID, a.Provider, a.Address, a.AgentID, str(a.MatchedParticipantID),
		str(a.DisplayName), str(a.ConversationName), a.Status, str(a.ProcessedBy), num(a.ProcessedAt),
		str(a.ProcessingNote), str(a.ApprovedParticipantID), a.CreatedAt, a.ModifiedAt})
}

type accessRequestItem struct {
	Keys
	Tenant string `dynamo:"tenant"`
	AccessRequest
}

func accessRequestPK(tenant, id string) string { return tenantKey(tenant, "AR", id) }

const accessRequestSK = "AR"

// participantOf is the participant a request is listed under.
func (a AccessRequest) participantOf() string {
	if a.ApprovedParticipantID != "" {
		return a.ApprovedParticipantID
	}
	return a.MatchedParticipantID
}

func arAgentStatusPK(tenant, agent, status string) string {
	return tenantKey(tenant, "AG", agent, "AR", status)
}
func arAgentPK(tenant, agent string) string     { return tenantKey(tenant, "AG", agent, "AR") }
func arStatusPK(tenant, status string) string   { return tenantKey(tenant, "AR", status) }
func arTenantPK(tenant string) string           { return tenantKey(tenant, "AR") }
func arParticipantPK(tenant, pid string) string { return tenantKey(tenant, "P", pid, "AR") }

func newAccessRequestItem(tenant string, a AccessRequest) accessRequestItem {
	sk := SortKey(a.CreatedAt, a.ID)
	it := accessRequestItem{Tenant: tenant, AccessRequest: a}
	it.PK, it.SK = accessRequestPK(tenant, a.ID), accessRequestSK
	it.GSI1PK, it.GSI1SK = arAgentStatusPK(tenant, a.AgentID, a.Status), sk
	it.GSI2PK, it.GSI2SK = arAgentPK(tenant, a.AgentID), sk
	it.GSI3PK, it.GSI3SK = arStatusPK(tenant, a.Status), sk
	it.GSI4PK, it.GSI4SK = arTenantPK(tenant), sk
	if p := a.participantOf(); p != "" {
		it.GSI5PK, it.GSI5SK = arParticipantPK(tenant, p), sk
	}
	return it
}

// GetAccessRequest reads one request.
func (s *Store) GetAccessRequest(ctx context.Context, tenant, id string) (AccessRequest, error) {
	var it accessRequestItem
	err := s.table.Get("PK", accessRequestPK(tenant, id)).Range("SK", dynamo.Equal, accessRequestSK).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return AccessRequest{}, ErrNotFound
	}
	if err != nil {
		return AccessRequest{}, fmt.Errorf("store: get access request: %w", err)
	}
	return it.AccessRequest, nil
}

// NewPendingRequest is what CreateAccessRequest writes beside the request.
type NewPendingRequest struct {
	Request AccessRequest
	// Extra actions joined to the same transaction (e.g. an outbox message).
	Extra []TxAction
}

// TxAction is one more write in a store transaction.
type TxAction func(tx *dynamo.WriteTx, t dynamo.Table)

// PendingExistsError names the request that already holds the marker.
type PendingExistsError struct{ RequestID string }

func (e *PendingExistsError) Error() string {
	return "store: a pending request already exists: " + e.RequestID
}
func (e *PendingExistsError) Unwrap() error { return ErrConflict }

// CreateAccessRequest writes a PENDING request with its uniqueness marker
// in one transaction. It fails with *PendingExistsError when the sender
// already has a pending request on the connector and with ErrBlocked when
// the sender is blocked there.
func (s *Store) CreateAccessRequest(ctx context.Context, tenant string, n NewPendingRequest) error {
	a := n.Request
	a.Status = StatusPending
	tx := s.db.WriteTx()
	tx.Put(s.table.Put(newAccessRequestItem(tenant, a)).If("attribute_not_exists(PK)"))
	tx.Put(s.table.Put(marker{PK: PendingPK(tenant, a.IntegrationConfigID, a.Address), SK: MarkerSK, RequestID: a.ID, CreatedAt: a.CreatedAt}).If("attribute_not_exists(PK)"))
	tx.Check(s.table.Check("PK", BlockPK(tenant, a.IntegrationConfigID, a.Address)).Range("SK", MarkerSK).IfNotExists())
	for _, x := range n.Extra {
		x(tx, s.table)
	}
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	for _, i := range condFailedAt(err) {
		switch i {
		case 1:
			var m marker
			if gerr := s.table.Get("PK", PendingPK(tenant, a.IntegrationConfigID, a.Address)).Range("SK", dynamo.Equal, MarkerSK).Consistent(true).One(ctx, &m); gerr == nil {
				return &PendingExistsError{RequestID: m.RequestID}
			}
			return &PendingExistsError{}
		case 2:
			return ErrBlocked
		}
	}
	if dynamo.IsCondCheckFailed(err) {
		return ErrConflict
	}
	return fmt.Errorf("store: create access request: %w", err)
}

// marker is a uniqueness or block item.
type marker struct {
	PK          string `dynamo:"PK,hash"`
	SK          string `dynamo:"SK,range"`
	RequestID   string `dynamo:"requestId,omitempty"`
	Participant string `dynamo:"participantId,omitempty"`
	By          string `dynamo:"by,omitempty"`
	Note        string `dynamo:"note,omitempty"`
	CreatedAt   int64  `dynamo:"createdAt"`
}

// Decision closes a PENDING request as REJECTED or BLOCKED.
type Decision struct {
	Status string // StatusRejected or StatusBlocked
	By     string
	Note   string
	At     int64
}

// Decide applies a reject or block: the request leaves PENDING, the pending
// marker is released, and a block writes the block marker, all at once.
func (s *Store) Decide(ctx context.Context, tenant string, cur AccessRequest, d Decision) (AccessRequest, error) {
	if d.Status != StatusRejected && d.Status != StatusBlocked {
		return AccessRequest{}, fmt.Errorf("store: bad decision %q", d.Status)
	}
	next := cur
	next.Status, next.ProcessedBy, next.ProcessedAt, next.ProcessingNote, next.ModifiedAt = d.Status, d.By, d.At, d.Note, d.At
	tx := s.db.WriteTx()
	tx.Update(s.closeRequest(tenant, next))
	tx.Delete(s.releasePending(tenant, cur))
	if d.Status == StatusBlocked {
		tx.Put(s.table.Put(marker{PK: BlockPK(tenant, cur.IntegrationConfigID, cur.Address), SK: MarkerSK, RequestID: cur.ID, By: d.By, Note: d.Note, CreatedAt: d.At}))
	}
	if err := s.runDecision(ctx, tx); err != nil {
		return AccessRequest{}, err
	}
	return next, nil
}

// closeRequest moves a request out of PENDING, re-keying its status indexes.
func (s *Store) closeRequest(tenant string, next AccessRequest) *dynamo.Update {
	it := newAccessRequestItem(tenant, next)
	u := s.table.Update("PK", it.PK).Range("SK", it.SK).
		Set("status", next.Status).
		Set("processedBy", next.ProcessedBy).
		Set("processedAt", next.ProcessedAt).
		Set("modifiedAt", next.ModifiedAt).
		Set("GSI1PK", it.GSI1PK).
		Set("GSI3PK", it.GSI3PK).
		If("$ = ?", "status", StatusPending)
	if next.ProcessingNote != "" {
		u.Set("processingNote", next.ProcessingNote)
	}
	if next.ApprovedParticipantID != "" {
		u.Set("approvedParticipantId", next.ApprovedParticipantID).Set("GSI5PK", it.GSI5PK).Set("GSI5SK", it.GSI5SK)
	}
	return u
}

func (s *Store) releasePending(tenant string, cur AccessRequest) *dynamo.Delete {
	return s.table.Delete("PK", PendingPK(tenant, cur.IntegrationConfigID, cur.Address)).Range("SK", MarkerSK).
		If("attribute_not_exists(PK) OR requestId = ?", cur.ID)
}

// runDecision runs a decision transaction; a failed condition on the
// request (action 0) means someone decided first.
func (s *Store) runDecision(ctx context.Context, tx *dynamo.WriteTx) error {
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	for _, i := range condFailedAt(err) {
		if i == 0 {
			return ErrNotPending
		}
	}
	if dynamo.IsCondCheckFailed(err) {
		return ErrConflict
	}
	return fmt.Errorf("store: decide access request: %w", err)
}

// Unblock lifts the block a request created. It is idempotent.
func (s *Store) Unblock(ctx context.Context, tenant string, ar AccessRequest) error {
	err := s.table.Delete("PK", BlockPK(tenant, ar.IntegrationConfigID, ar.Address)).Range("SK", MarkerSK).Run(ctx)
	if err != nil {
		return fmt.Errorf("store: unblock: %w", err)
	}
	return nil
}

// IsBlocked reports whether a sender is blocked on a connector.
func (s *Store) IsBlocked(ctx context.Context, tenant, connector, address string) (bool, error) {
	var m marker
	err := s.table.Get("PK", BlockPK(tenant, connector, address)).Range("SK", dynamo.Equal, MarkerSK).One(ctx, &m)
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: block lookup: %w", err)
	}
	return true, nil
}

// ListFilter selects access requests. Empty fields do not filter.
type ListFilter struct {
	AgentID       string
	Status        string
	ParticipantID string
	PageSize      int
	PageToken     string
}

// ListAccessRequests returns one page, newest first, and the token of the
// next page ("" when none). A participant filter queries the participant
// index and filters agent and status there (a participant has few
// requests); otherwise the narrowest index serves the page exactly.
func (s *Store) ListAccessRequests(ctx context.Context, tenant string, f ListFilter) ([]AccessRequest, string, error) {
	var index, pkAttr, pk, filter string
	var args []any
	switch {
	case f.ParticipantID != "":
		index, pkAttr, pk = GSI5, "GSI5PK", arParticipantPK(tenant, f.ParticipantID)
		var conds []string
		if f.AgentID != "" {
			conds = append(conds, "agentId = ?")
			args = append(args, f.AgentID)
		}
		if f.Status != "" {
			conds = append(conds, "$ = ?")
			args = append(args, "status", f.Status)
		}
		for i, c := range conds {
			if i > 0 {
				filter += " AND "
			}
			filter += c
		}
	case f.AgentID != "" && f.Status != "":
		index, pkAttr, pk = GSI1, "GSI1PK", arAgentStatusPK(tenant, f.AgentID, f.Status)
	case f.AgentID != "":
		index, pkAttr, pk = GSI2, "GSI2PK", arAgentPK(tenant, f.AgentID)
	case f.Status != "":
		index, pkAttr, pk = GSI3, "GSI3PK", arStatusPK(tenant, f.Status)
	default:
		index, pkAttr, pk = GSI4, "GSI4PK", arTenantPK(tenant)
	}
	q := s.table.Get(pkAttr, pk).Index(index).Order(dynamo.Descending)
	if filter != "" {
		q = q.Filter(filter, args...)
	}
	items, next, err := QueryPage[accessRequestItem](ctx, q, pkAttr, pk, f.PageSize, f.PageToken)
	if err != nil {
		return nil, "", fmt.Errorf("store: list access requests: %w", err)
	}
	out := make([]AccessRequest, 0, len(items))
	for _, it := range items {
		out = append(out, it.AccessRequest)
	}
	return out, next, nil
}
