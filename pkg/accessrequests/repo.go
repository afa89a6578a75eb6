package accessrequests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/pkg/audit"

	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/guregu/dynamo/v2"
)

// Repo reads and writes access requests and runs their decisions.
type Repo struct {
	st    *store.Store
	table dynamo.Table // st.Table(), used by every method
}

// NewRepo returns a Repo over the table.
func NewRepo(st *store.Store) *Repo { return &Repo{st: st, table: st.Table()} }

// Access request statuses.
const (
	StatusPending  = "PENDING"
	StatusApproved = "APPROVED"
	StatusRejected = "REJECTED"
	StatusBlocked  = "BLOCKED"
)

// ErrNotPending means the request was already decided.
var ErrNotPending = errors.New("accessrequests: access request is not pending")

// ErrBlocked means the sender is blocked on the connector.
var ErrBlocked = errors.New("accessrequests: sender is blocked")

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
	// Where a message to the sender goes (as the webhook gave it): reply
	// target, Teams service URL, Twilio number written to. Not in the API.
	ReplyTo    string `dynamo:"replyTo,omitempty"`
	ServiceURL string `dynamo:"serviceUrl,omitempty"`
	ReplyFrom  string `dynamo:"replyFrom,omitempty"`
	CreatedAt  int64  `dynamo:"createdAt"`
	ModifiedAt int64  `dynamo:"modifiedAt"`
}

type accessRequestItem struct {
	store.Keys
	store.ExpiryKeys
	Tenant string `dynamo:"tenant"`
	AccessRequest
}

// participantOf is the participant a request is listed under.
func (a AccessRequest) participantOf() string {
	if a.ApprovedParticipantID != "" {
		return a.ApprovedParticipantID
	}
	return a.MatchedParticipantID
}

func newAccessRequestItem(tenant string, a AccessRequest) accessRequestItem {
	sk := store.SortKey(a.CreatedAt, a.ID)
	it := accessRequestItem{Tenant: tenant, AccessRequest: a}
	it.PK, it.SK = store.AccessRequestPK(tenant, a.ID), store.AccessRequestSK
	it.GSI1PK, it.GSI1SK = store.RequestsByAgentStatusPK(tenant, a.AgentID, a.Status), sk
	it.GSI2PK, it.GSI2SK = store.RequestsByAgentPK(tenant, a.AgentID), sk
	it.GSI3PK, it.GSI3SK = store.RequestsByStatusPK(tenant, a.Status), sk
	it.GSI4PK, it.GSI4SK = store.RequestsPK(tenant), sk
	if p := a.participantOf(); p != "" {
		it.GSI5PK, it.GSI5SK = store.RequestsByParticipantPK(tenant, p), sk
	}
	if a.Status == StatusPending {
		it.EXPPK, it.EXPSK = expiryKeys(a)
	}
	return it
}

// GetAccessRequest reads one request.
func (s *Repo) GetAccessRequest(ctx context.Context, tenant, id string) (AccessRequest, error) {
	var it accessRequestItem
	err := s.table.Get("PK", store.AccessRequestPK(tenant, id)).Range("SK", dynamo.Equal, store.AccessRequestSK).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return AccessRequest{}, store.ErrNotFound
	}
	if err != nil {
		return AccessRequest{}, fmt.Errorf("accessrequests: get access request: %w", err)
	}
	return it.AccessRequest, nil
}

// NewPendingRequest is what CreateAccessRequest writes beside the request.
type NewPendingRequest struct {
	Request AccessRequest
	// Extra actions joined to the same transaction (e.g. an outbox message).
	Extra []store.TxAction
}

// PendingExistsError names the request that already holds the marker.
type PendingExistsError struct{ RequestID string }

func (e *PendingExistsError) Error() string {
	return "accessrequests: a pending request already exists: " + e.RequestID
}
func (e *PendingExistsError) Unwrap() error { return store.ErrConflict }

// CreateAccessRequest writes a PENDING request with its uniqueness marker
// in one transaction. It fails with *PendingExistsError when the sender
// already has a pending request on the connector and with ErrBlocked when
// the sender is blocked there.
func (s *Repo) CreateAccessRequest(ctx context.Context, tenant string, n NewPendingRequest) error {
	a := n.Request
	a.Status = StatusPending
	err := s.st.Tx().
		Put(actRequest, s.table.Put(newAccessRequestItem(tenant, a)).If("attribute_not_exists(PK)")).
		Put(actPending, s.table.Put(marker{PK: store.PendingPK(tenant, a.IntegrationConfigID, a.Address), SK: store.MarkerSK, RequestID: a.ID, CreatedAt: a.CreatedAt}).If("attribute_not_exists(PK)")).
		Check(actNotBlocked, s.table.Check("PK", store.BlockPK(tenant, a.IntegrationConfigID, a.Address)).Range("SK", store.MarkerSK).IfNotExists()).
		Join(audit.AccessRequest(ctx, audit.AccessRequestCreated, a.detail(tenant, ""))).
		Join(n.Extra...).
		Run(ctx)
	switch {
	case err == nil:
		return nil
	case store.ConditionFailed(err, actPending):
		var m marker
		if gerr := s.table.Get("PK", store.PendingPK(tenant, a.IntegrationConfigID, a.Address)).Range("SK", dynamo.Equal, store.MarkerSK).Consistent(true).One(ctx, &m); gerr == nil {
			return &PendingExistsError{RequestID: m.RequestID}
		}
		return &PendingExistsError{}
	case store.ConditionFailed(err, actNotBlocked):
		return ErrBlocked
	case store.ConditionFailed(err, actRequest):
		return store.ErrConflict
	}
	var te *store.TxError
	if errors.As(err, &te) && len(te.Failed) > 0 {
		return fmt.Errorf("accessrequests: create access request: %w: %w", store.ErrConflict, err)
	}
	return fmt.Errorf("accessrequests: create access request: %w", err)
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

// RejectedMarker records a sender's last reject on a connector, so the
// inbound decision can apply the connector's reject cooldown with a read.
type RejectedMarker struct {
	PK         string `dynamo:"PK,hash"`
	SK         string `dynamo:"SK,range"`
	RequestID  string `dynamo:"requestId"`
	RejectedAt int64  `dynamo:"rejectedAt"` // epoch ms
	ExpiresAt  int64  `dynamo:"expiresAt"`  // epoch seconds (TTL)
}

// rejectedMarkerTTL outlives the longest cooldown (365 days).
const rejectedMarkerTTL = 366 * 24 * 3600

// Decision closes a PENDING request as REJECTED or BLOCKED.
type Decision struct {
	Status string // StatusRejected or StatusBlocked
	By     string
	Note   string
	At     int64
	Extra  []store.TxAction // joined to the transaction (outbox messages)
}

// Decide applies a reject or block: the request leaves PENDING, the pending
// marker is released, a reject records its time (the reject cooldown) and
// a block writes the block marker, all at once.
func (s *Repo) Decide(ctx context.Context, tenant string, cur AccessRequest, d Decision) (AccessRequest, error) {
	if d.Status != StatusRejected && d.Status != StatusBlocked {
		return AccessRequest{}, fmt.Errorf("accessrequests: bad decision %q", d.Status)
	}
	next := cur
	next.Status, next.ProcessedBy, next.ProcessedAt, next.ProcessingNote, next.ModifiedAt = d.Status, d.By, d.At, d.Note, d.At
	tx := s.st.Tx().
		Update(actRequest, s.closeRequest(tenant, next)).
		Delete(actPending, s.releasePending(tenant, cur))
	if d.Status == StatusRejected {
		tx.Put(actRejected, s.table.Put(RejectedMarker{PK: store.RejectedPK(tenant, cur.IntegrationConfigID, cur.Address), SK: store.MarkerSK,
			RequestID: cur.ID, RejectedAt: d.At, ExpiresAt: d.At/1000 + rejectedMarkerTTL}))
	}
	if d.Status == StatusBlocked {
		tx.Put(actBlock, s.table.Put(marker{PK: store.BlockPK(tenant, cur.IntegrationConfigID, cur.Address), SK: store.MarkerSK, RequestID: cur.ID, By: d.By, Note: d.Note, CreatedAt: d.At}))
	}
	tx.Join(d.Extra...)
	tx.Join(audit.AccessRequest(ctx, decisionEvent(d), next.detail(tenant, cur.Status)))
	if err := s.runDecision(ctx, tx); err != nil {
		return AccessRequest{}, err
	}
	return next, nil
}

// closeRequest moves a request out of PENDING, re-keying its status indexes.
func (s *Repo) closeRequest(tenant string, next AccessRequest) *dynamo.Update {
	it := newAccessRequestItem(tenant, next)
	u := s.table.Update("PK", it.PK).Range("SK", it.SK).
		Set("status", next.Status).
		Set("processedBy", next.ProcessedBy).
		Set("processedAt", next.ProcessedAt).
		Set("modifiedAt", next.ModifiedAt).
		Set("GSI1PK", it.GSI1PK).
		Set("GSI3PK", it.GSI3PK).
		Remove("EXPPK", "EXPSK"). // decided: out of the expiry sweep's index
		If("$ = ?", "status", StatusPending)
	if next.ProcessingNote != "" {
		u.Set("processingNote", next.ProcessingNote)
	}
	if next.ApprovedParticipantID != "" {
		u.Set("approvedParticipantId", next.ApprovedParticipantID).Set("GSI5PK", it.GSI5PK).Set("GSI5SK", it.GSI5SK)
	}
	return u
}

func (s *Repo) releasePending(tenant string, cur AccessRequest) *dynamo.Delete {
	return s.table.Delete("PK", store.PendingPK(tenant, cur.IntegrationConfigID, cur.Address)).Range("SK", store.MarkerSK).
		If("attribute_not_exists(PK) OR requestId = ?", cur.ID)
}

// runDecision runs a decision transaction; a failed condition on the
// request means someone decided first.
func (s *Repo) runDecision(ctx context.Context, tx *store.Tx) error {
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	if store.ConditionFailed(err, actRequest) {
		return ErrNotPending
	}
	var te *store.TxError
	if errors.As(err, &te) && len(te.Failed) > 0 {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return fmt.Errorf("accessrequests: decide access request: %w", err)
}

// Unblock lifts the block a request created, with its audit entry and
// event. It is idempotent: lifting no block writes nothing.
func (s *Repo) Unblock(ctx context.Context, tenant string, ar AccessRequest) error {
	d := ar.detail(tenant, ar.Status)
	d.At = time.Now().UnixMilli()
	d.ProcessedBy, d.Note = "", "" // the caller unblocks; the block's own note stays on the request
	err := s.st.Tx().
		Delete(actBlock, s.table.Delete("PK", store.BlockPK(tenant, ar.IntegrationConfigID, ar.Address)).Range("SK", store.MarkerSK).If("attribute_exists(PK)")).
		Join(audit.AccessRequest(ctx, audit.AccessRequestUnblocked, d)).
		Run(ctx)
	if err != nil && !store.ConditionFailed(err, actBlock) {
		return fmt.Errorf("accessrequests: unblock: %w", err)
	}
	return nil
}

// decisionEvent is the event of a reject or block; a reject by the
// expiry sweep is an expiry.
func decisionEvent(d Decision) string {
	switch {
	case d.Status == StatusBlocked:
		return audit.AccessRequestBlocked
	case d.By == audit.ActorExpiry:
		return audit.AccessRequestExpired
	}
	return audit.AccessRequestRejected
}

// detail is a's event detail; before is its previous status.
func (a AccessRequest) detail(tenant, before string) audit.AccessRequestDetail {
	at := a.ModifiedAt
	if a.ProcessedAt != 0 {
		at = a.ProcessedAt
	}
	return audit.AccessRequestDetail{Tenant: tenant, AccessRequestID: a.ID, AgentID: a.AgentID, IntegrationConfigID: a.IntegrationConfigID,
		Provider: a.Provider, Address: a.Address, DisplayName: a.DisplayName, Status: a.Status, PreviousStatus: before,
		ParticipantID: a.participantOf(), ProcessedBy: a.ProcessedBy, Note: a.ProcessingNote, At: at}
}

// IsBlocked reports whether a sender is blocked on a connector.
func (s *Repo) IsBlocked(ctx context.Context, tenant, connector, address string) (bool, error) {
	var m marker
	err := s.table.Get("PK", store.BlockPK(tenant, connector, address)).Range("SK", dynamo.Equal, store.MarkerSK).One(ctx, &m)
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("accessrequests: block lookup: %w", err)
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
func (s *Repo) ListAccessRequests(ctx context.Context, tenant string, f ListFilter) ([]AccessRequest, string, error) {
	var index, pkAttr, pk, filter string
	var args []any
	switch {
	case f.ParticipantID != "":
		index, pkAttr, pk = store.GSI5, "GSI5PK", store.RequestsByParticipantPK(tenant, f.ParticipantID)
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
		index, pkAttr, pk = store.GSI1, "GSI1PK", store.RequestsByAgentStatusPK(tenant, f.AgentID, f.Status)
	case f.AgentID != "":
		index, pkAttr, pk = store.GSI2, "GSI2PK", store.RequestsByAgentPK(tenant, f.AgentID)
	case f.Status != "":
		index, pkAttr, pk = store.GSI3, "GSI3PK", store.RequestsByStatusPK(tenant, f.Status)
	default:
		index, pkAttr, pk = store.GSI4, "GSI4PK", store.RequestsPK(tenant)
	}
	q := s.table.Get(pkAttr, pk).Index(index).Order(dynamo.Descending)
	if filter != "" {
		q = q.Filter(filter, args...)
	}
	items, next, err := store.QueryPage[accessRequestItem](ctx, q, pkAttr, pk, f.PageSize, f.PageToken)
	if err != nil {
		return nil, "", fmt.Errorf("accessrequests: list access requests: %w", err)
	}
	out := make([]AccessRequest, 0, len(items))
	for _, it := range items {
		out = append(out, it.AccessRequest)
	}
	return out, next, nil
}

// PutAccessRequests writes requests as they are, in batches, without the
// pending and block markers CreateAccessRequest keeps: for bulk seeding
// (benchmarks, imports), never for requests a sender opens.
func (s *Repo) PutAccessRequests(ctx context.Context, tenant string, ars []AccessRequest) error {
	items := make([]any, len(ars))
	for i, a := range ars {
		items[i] = newAccessRequestItem(tenant, a)
	}
	if _, err := s.table.Batch().Write().Put(items...).Run(ctx); err != nil {
		return fmt.Errorf("accessrequests: put access requests: %w", err)
	}
	return nil
}

// Names of the actions of the request transactions; a cancelled
// transaction reports its failed conditions by these names.
const (
	actRequest     = "request"
	actPending     = "pending-marker"
	actNotBlocked  = "not-blocked"
	actBlock       = "block-marker"
	actRejected    = "rejected-marker"
	actParticipant = "participant"
	actBinding     = "binding"
	actChannel     = "channel-index"
	actAlias       = "alias"
)

// Approval modes.
const (
	ModeUnspecified   = "UNSPECIFIED"
	ModeCreateNew     = "CREATE_NEW"
	ModeAddToExisting = "ADD_TO_EXISTING"
	ModeBindOnly      = "BIND_ONLY"
)

// Approval approves a PENDING request. Mode is resolved (never UNSPECIFIED).
type Approval struct {
	Mode          string
	ParticipantID string // target for ADD_TO_EXISTING and BIND_ONLY; new id for CREATE_NEW
	DisplayName   string // CREATE_NEW
	BindingID     string // used when the binding is new
	By, Note      string
	At            int64
	Extra         []store.TxAction // joined to the transaction (outbox messages)
}

// ErrParticipantMissing means the approval's target participant is gone.
var ErrParticipantMissing = problem.NewKind("accessrequests: participant does not exist", http.StatusBadRequest, "participant-not-found", "the participant does not exist")

// Approve moves the request to APPROVED and, in the same transaction,
// creates or updates the participant, binds it to the request's agent,
// claims the sender's channel and releases the pending marker.
func (s *Repo) Approve(ctx context.Context, tenant string, cur AccessRequest, a Approval) (AccessRequest, error) {
	next := cur
	next.Status, next.ProcessedBy, next.ProcessedAt, next.ProcessingNote, next.ModifiedAt = StatusApproved, a.By, a.At, a.Note, a.At
	next.ApprovedParticipantID = a.ParticipantID

	err := s.approveTx(ctx, tenant, cur, next, a, true).Run(ctx)
	switch {
	case err == nil:
		return next, nil
	case store.ConditionFailed(err, actRequest):
		return AccessRequest{}, ErrNotPending
	case store.ConditionFailed(err, actParticipant):
		return AccessRequest{}, ErrParticipantMissing
	case store.ConditionFailed(err, actChannel):
		return s.approveClaimed(ctx, tenant, cur, next, a)
	}
	var te *store.TxError
	if errors.As(err, &te) && len(te.Failed) > 0 {
		return AccessRequest{}, fmt.Errorf("accessrequests: approve: %w: %w", store.ErrConflict, err)
	}
	return AccessRequest{}, fmt.Errorf("accessrequests: approve: %w", err)
}

// approveClaimed handles a channel claim that failed: the channel is
// taken unless the target owns it already, and then the approval is
// retried without claiming it.
func (s *Repo) approveClaimed(ctx context.Context, tenant string, cur, next AccessRequest, a Approval) (AccessRequest, error) {
	owner, err := roster.NewRepo(s.st).ChannelOwner(ctx, tenant, cur.IntegrationConfigID, cur.Address)
	if err != nil {
		return AccessRequest{}, fmt.Errorf("accessrequests: approve: %w", err)
	}
	if owner != a.ParticipantID {
		return AccessRequest{}, &roster.ChannelTakenError{IntegrationConfigID: cur.IntegrationConfigID, Address: cur.Address, ParticipantID: owner}
	}
	if err := s.approveTx(ctx, tenant, cur, next, a, false).Run(ctx); err != nil {
		if store.ConditionFailed(err, actRequest) {
			return AccessRequest{}, ErrNotPending
		}
		return AccessRequest{}, fmt.Errorf("accessrequests: approve: %w", err)
	}
	return next, nil
}

// approveTx closes the request, writes the participant and its binding,
// claims the sender's channel when claimChannel (never for BIND_ONLY),
// and files the request under the matched participant when the approval
// chose another.
func (s *Repo) approveTx(ctx context.Context, tenant string, cur, next AccessRequest, a Approval, claimChannel bool) *store.Tx {
	ch := roster.Channel{IntegrationConfigID: cur.IntegrationConfigID, Address: cur.Address}
	tx := s.st.Tx().
		Update(actRequest, s.closeRequest(tenant, next)).
		Delete(actPending, s.releasePending(tenant, cur))
	s.approveParticipant(tx, tenant, cur.AgentID, ch, a, claimChannel)
	b := roster.NewBinding(tenant, a.ParticipantID, cur.AgentID, a.BindingID, a.At)
	tx.Update(actBinding, s.table.Update("PK", b.PK).Range("SK", b.SK).
		Set("tenant", tenant).Set("participantId", b.ParticipantID).Set("agentId", b.AgentID).
		Set("GSI1PK", b.GSI1PK).SetIfNotExists("GSI1SK", b.GSI1SK).
		SetIfNotExists("bindingId", b.BindingID).SetIfNotExists("createdAt", b.CreatedAt))
	if claimChannel && a.Mode != ModeBindOnly {
		tx.Put(actChannel, s.table.Put(roster.NewChannelIndex(tenant, ch.IntegrationConfigID, ch.Address, a.ParticipantID, a.At)).If("attribute_not_exists(PK)"))
	}
	if cur.MatchedParticipantID != "" && cur.MatchedParticipantID != a.ParticipantID {
		tx.Put(actAlias, s.table.Put(aliasItem(tenant, next, cur.MatchedParticipantID)))
	}
	tx.Join(audit.AccessRequest(ctx, audit.AccessRequestApproved, next.detail(tenant, cur.Status)))
	if a.Mode == ModeCreateNew {
		tx.Join(audit.Participant(ctx, audit.ParticipantCreated, audit.ParticipantDetail{Tenant: tenant, ParticipantID: a.ParticipantID,
			Kind: roster.KindPerson, DisplayName: a.DisplayName, AgentIDs: []string{cur.AgentID}, At: a.At}))
	}
	return tx.Join(a.Extra...)
}

// approveParticipant adds the participant's write for a.Mode to tx:
// CREATE_NEW puts a person with the channel and agent; the others add
// the agent to an existing one (ADD_TO_EXISTING also the channel, when
// claimed).
func (s *Repo) approveParticipant(tx *store.Tx, tenant, agent string, ch roster.Channel, a Approval, claimChannel bool) {
	if a.Mode == ModeCreateNew {
		p := roster.Participant{ID: a.ParticipantID, Kind: roster.KindPerson, DisplayName: a.DisplayName,
			Channels: []roster.Channel{ch}, AgentIDs: []string{agent}, CreatedAt: a.At, ModifiedAt: a.At}
		tx.Put(actParticipant, s.table.Put(roster.NewParticipantItem(tenant, p)).If("attribute_not_exists(PK)"))
		return
	}
	u := s.table.Update("PK", store.ParticipantPK(tenant, a.ParticipantID)).Range("SK", store.ParticipantSK).
		AddStringsToSet("agentIds", agent).Set("modifiedAt", a.At).If("attribute_exists(PK)")
	if a.Mode == ModeAddToExisting && claimChannel {
		u.Append("channels", []roster.Channel{ch})
	}
	tx.Update(actParticipant, u)
}

// aliasItem lists request next under participant matched too (GSI5
// only), so the participant it was matched to still finds it.
func aliasItem(tenant string, next AccessRequest, matched string) accessRequestItem {
	alias := newAccessRequestItem(tenant, next)
	alias.SK = store.AccessRequestAliasSK(matched)
	alias.GSI1PK, alias.GSI1SK, alias.GSI2PK, alias.GSI2SK = "", "", "", ""
	alias.GSI3PK, alias.GSI3SK, alias.GSI4PK, alias.GSI4SK = "", "", "", ""
	alias.GSI5PK = store.RequestsByParticipantPK(tenant, matched)
	return alias
}
