// Package roster stores participants, their agent bindings, the channel
// index that makes a channel unique, and provider OAuth connections. It is
// apart from the participants API (pkg/participants) because three
// Lambdas write these items — participants, access-request approval and
// the webhooks — and the latter two must not link the avatar code's S3
// and Slack clients.
package roster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/guregu/dynamo/v2"
)

// Repo reads and writes participants, their bindings, channel index items
// and provider OAuth connections.
type Repo struct {
	st    *store.Store
	table dynamo.Table // st.Table(), used by every method
}

// NewRepo returns a Repo over the table.
func NewRepo(st *store.Store) *Repo { return &Repo{st: st, table: st.Table()} }

// Participant kinds.
const (
	KindPerson  = "PERSON"
	KindGroup   = "GROUP"
	KindAIAgent = "AI_AGENT"
)

// Channel is a way to reach a participant through a connector.
type Channel struct {
	IntegrationConfigID string `dynamo:"integrationConfigId"`
	Address             string `dynamo:"address"`
	Priority            int    `dynamo:"priority"`
	Label               string `dynamo:"label,omitempty"`
	Disabled            bool   `dynamo:"disabled"`
	LastMessageAt       int64  `dynamo:"lastMessageAt,omitempty"`
}

// Participant is a person, group or AI agent an agent talks with (seed 001).
// Health and channel activations are derived when read.
type Participant struct {
	ID                   string    `dynamo:"id"`
	Kind                 string    `dynamo:"kind"`
	DisplayName          string    `dynamo:"displayName"`
	Email                string    `dynamo:"email,omitempty"`
	RelatedAgentID       string    `dynamo:"relatedAgentId,omitempty"`
	Channels             []Channel `dynamo:"channels"`
	AgentIDs             []string  `dynamo:"agentIds,set,omitempty"`
	DisabledAt           int64     `dynamo:"disabledAt,omitempty"`
	AvatarFileID         string    `dynamo:"avatarFileId,omitempty"`
	AvatarSource         string    `dynamo:"avatarSource,omitempty"`
	AvatarSourceConfigID string    `dynamo:"avatarSourceConfigId,omitempty"`
	AvatarSourceAddress  string    `dynamo:"avatarSourceAddress,omitempty"`
	AvatarSyncedAt       int64     `dynamo:"avatarSyncedAt,omitempty"`
	CreatedAt            int64     `dynamo:"createdAt"`
	ModifiedAt           int64     `dynamo:"modifiedAt"`
}

type participantItem struct {
	store.Keys
	Tenant string `dynamo:"tenant"`
	Participant
}

// Binding ties a participant to an agent.
type Binding struct {
	store.Keys
	Tenant        string `dynamo:"tenant"`
	ParticipantID string `dynamo:"participantId"`
	AgentID       string `dynamo:"agentId"`
	BindingID     string `dynamo:"bindingId"`
	CreatedAt     int64  `dynamo:"createdAt"`
}

// NewParticipantItem keys a participant for writing.
func NewParticipantItem(tenant string, p Participant) any {
	sort.Strings(p.AgentIDs)
	it := participantItem{Tenant: tenant, Participant: p}
	it.PK, it.SK = store.ParticipantPK(tenant, p.ID), store.ParticipantSK
	it.GSI4PK, it.GSI4SK = store.ParticipantsPK(tenant), store.SortKey(p.CreatedAt, p.ID)
	return it
}

// NewBinding keys a binding for writing.
func NewBinding(tenant, participant, agent, bindingID string, at int64) Binding {
	b := Binding{Tenant: tenant, ParticipantID: participant, AgentID: agent, BindingID: bindingID, CreatedAt: at}
	b.PK, b.SK = store.ParticipantPK(tenant, participant), store.BindingSK(agent)
	b.GSI1PK, b.GSI1SK = store.BindingsByAgentPK(tenant, agent), store.SortKey(at, participant)
	return b
}

// ChannelIndex is the item that makes a channel unique in a tenant.
type ChannelIndex struct {
	PK            string `dynamo:"PK,hash"`
	SK            string `dynamo:"SK,range"`
	ParticipantID string `dynamo:"participantId"`
	CreatedAt     int64  `dynamo:"createdAt"`
	// LastMessageAt is the last accepted inbound message on the channel
	// (epoch ms); kept here so a webhook updates one small item.
	LastMessageAt int64 `dynamo:"lastMessageAt,omitempty"`
}

// NewChannelIndex keys a channel index item.
func NewChannelIndex(tenant, connector, address, participant string, at int64) ChannelIndex {
	return ChannelIndex{PK: store.ChannelPK(tenant, connector, address), SK: store.MarkerSK, ParticipantID: participant, CreatedAt: at}
}

// ChannelTakenError names the participant that already owns a channel.
type ChannelTakenError struct {
	IntegrationConfigID, Address, ParticipantID string
}

func (e *ChannelTakenError) Error() string {
	return fmt.Sprintf("roster: channel %s/%s belongs to participant %s", e.IntegrationConfigID, e.Address, e.ParticipantID)
}
func (e *ChannelTakenError) Unwrap() error { return store.ErrConflict }

// Problem names the owner, so a client can bind to it instead.
func (e *ChannelTakenError) Problem() *problem.Error {
	return problem.Conflict("channel-taken", "the channel already belongs to participant "+e.ParticipantID).With("participantId", e.ParticipantID)
}

// GetParticipant reads one participant.
func (s *Repo) GetParticipant(ctx context.Context, tenant, id string) (Participant, error) {
	return s.getParticipant(ctx, tenant, id, false)
}

func (s *Repo) getParticipant(ctx context.Context, tenant, id string, consistent bool) (Participant, error) {
	var it participantItem
	err := s.table.Get("PK", store.ParticipantPK(tenant, id)).Range("SK", dynamo.Equal, store.ParticipantSK).Consistent(consistent).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Participant{}, store.ErrNotFound
	}
	if err != nil {
		return Participant{}, fmt.Errorf("roster: get participant: %w", err)
	}
	return it.Participant, nil
}

// ChannelOwner returns the participant owning a channel, or store.ErrNotFound.
func (s *Repo) ChannelOwner(ctx context.Context, tenant, connector, address string) (string, error) {
	var ci ChannelIndex
	err := s.table.Get("PK", store.ChannelPK(tenant, connector, address)).Range("SK", dynamo.Equal, store.MarkerSK).One(ctx, &ci)
	if errors.Is(err, dynamo.ErrNotFound) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("roster: channel owner: %w", err)
	}
	return ci.ParticipantID, nil
}

// Bounds that keep every participant write inside one transaction of at
// most 100 actions: a PATCH may remove and add every channel and every
// binding (1 + 2*MaxChannels + 2*MaxAgents = 81 actions).
const (
	MaxChannels = 20
	MaxAgents   = 20
)

// ErrTooMany means a participant would exceed MaxChannels or MaxAgents.
var ErrTooMany = errors.New("roster: too many channels or bindings")

// ErrChangeTooLarge means one replace would need more writes than a
// transaction holds (swapping most channels and agents at once, with the
// audit entry's copy per agent); two smaller changes fit.
var ErrChangeTooLarge = errors.New("roster: change too large for one transaction")

// ChannelKey names a channel: connector and address.
type ChannelKey struct{ IntegrationConfigID, Address string }

// Key returns the channel's key.
func (c Channel) Key() ChannelKey { return ChannelKey{c.IntegrationConfigID, c.Address} }

// ParticipantRecord is a participant with the binding items of its
// partition.
type ParticipantRecord struct {
	Participant
	Bindings []Binding // sorted by agent id
}

// Binding returns the binding to agent, if any.
func (r ParticipantRecord) Binding(agent string) (Binding, bool) {
	for _, b := range r.Bindings {
		if b.AgentID == agent {
			return b, true
		}
	}
	return Binding{}, false
}

// partitionItem decodes any item of a participant's partition.
type partitionItem struct {
	participantItem
	ParticipantID string `dynamo:"participantId"`
	AgentID       string `dynamo:"agentId"`
	BindingID     string `dynamo:"bindingId"`
}

func (it partitionItem) binding() Binding {
	return Binding{Keys: it.Keys, Tenant: it.Tenant, ParticipantID: it.ParticipantID, AgentID: it.AgentID,
		BindingID: it.BindingID, CreatedAt: it.CreatedAt}
}

// GetParticipantRecord reads a participant and its bindings with one
// strongly consistent Query of its partition.
func (s *Repo) GetParticipantRecord(ctx context.Context, tenant, id string) (ParticipantRecord, error) {
	var items []partitionItem
	err := s.table.Get("PK", store.ParticipantPK(tenant, id)).Consistent(true).Limit(MaxAgents*4).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return ParticipantRecord{}, fmt.Errorf("roster: get participant: %w", err)
	}
	var rec ParticipantRecord
	found := false
	for _, it := range items {
		switch {
		case it.SK == store.ParticipantSK:
			rec.Participant, found = it.Participant, true
		case len(it.SK) > 2 && it.SK[:2] == "B#":
			rec.Bindings = append(rec.Bindings, it.binding())
		}
	}
	if !found {
		return ParticipantRecord{}, store.ErrNotFound
	}
	sort.Slice(rec.Bindings, func(i, j int) bool { return rec.Bindings[i].AgentID < rec.Bindings[j].AgentID })
	return rec, nil
}

// channelOwnerErr turns a failed channel claim into *ChannelTakenError.
func (s *Repo) channelOwnerErr(ctx context.Context, tenant string, c ChannelKey, me string) error {
	owner, err := s.ChannelOwner(ctx, tenant, c.IntegrationConfigID, c.Address)
	if errors.Is(err, store.ErrNotFound) {
		return store.ErrConflict // released meanwhile: the caller may retry
	}
	if err != nil {
		return err
	}
	if owner == me {
		return store.ErrConflict
	}
	return &ChannelTakenError{IntegrationConfigID: c.IntegrationConfigID, Address: c.Address, ParticipantID: owner}
}

// Names of the actions of participant transactions.
const actParticipant = "participant"

func actClaim(c ChannelKey) string   { return "claim:" + c.IntegrationConfigID + "/" + c.Address }
func actRelease(c ChannelKey) string { return "release:" + c.IntegrationConfigID + "/" + c.Address }
func actBind(agent string) string    { return "bind:" + agent }
func actUnbind(agent string) string  { return "unbind:" + agent }

// failedAny reports a transaction cancelled by a failed condition.
func failedAny(err error) bool {
	var te *store.TxError
	return errors.As(err, &te) && len(te.Failed) > 0
}

func checkBounds(p Participant) error {
	if len(p.Channels) > MaxChannels || len(p.AgentIDs) > MaxAgents {
		return fmt.Errorf("%w: at most %d channels and %d agents", ErrTooMany, MaxChannels, MaxAgents)
	}
	return nil
}

// CreateParticipant writes a participant, a binding per agent (ids from
// bindingIDs) and a channel index item per channel in one transaction. A
// channel owned by another participant fails with *ChannelTakenError.
func (s *Repo) CreateParticipant(ctx context.Context, tenant string, p Participant, bindingIDs map[string]string) error {
	if err := checkBounds(p); err != nil {
		return err
	}
	tx := s.st.Tx().Put(actParticipant, s.table.Put(NewParticipantItem(tenant, p)).If("attribute_not_exists(PK)"))
	for _, c := range p.Channels {
		tx.Put(actClaim(c.Key()), s.table.Put(NewChannelIndex(tenant, c.IntegrationConfigID, c.Address, p.ID, p.CreatedAt)).If("attribute_not_exists(PK)"))
	}
	for _, a := range p.AgentIDs {
		tx.Put(actBind(a), s.table.Put(NewBinding(tenant, p.ID, a, bindingIDs[a], p.CreatedAt)))
	}
	err := tx.Join(p.audit(ctx, tenant, audit.ParticipantCreated, p.CreatedAt)).Run(ctx)
	if err == nil {
		return nil
	}
	claimed := make([]ChannelKey, 0, len(p.Channels))
	for _, c := range p.Channels {
		claimed = append(claimed, c.Key())
	}
	return s.claimTxErr(ctx, tenant, p.ID, claimed, err, "create participant")
}

// ReplaceParticipant writes next over cur (a record read before) and
// reconciles in the same transaction: channel index items of removed
// channels are deleted and those of added channels claimed; bindings of
// removed agents are deleted and those of added agents created with ids
// from bindingIDs. It fails with store.ErrConflict when the participant changed
// since cur was read, and with *ChannelTakenError when an added channel
// belongs to another participant.
func (s *Repo) ReplaceParticipant(ctx context.Context, tenant string, cur ParticipantRecord, next Participant, bindingIDs map[string]string) error {
	if err := checkGrowth(cur.Participant, next); err != nil {
		return err
	}
	next.ID, next.CreatedAt = cur.ID, cur.CreatedAt
	put := s.table.Put(NewParticipantItem(tenant, next)).If("attribute_exists(PK) AND modifiedAt = ?", cur.ModifiedAt)
	plan, err := planReplace(cur, next)
	if err != nil {
		return err
	}
	// +2: the audit entry and the event; then the entry's copies for the
	// other agents, removed ones included (their admins see the removal).
	if n := plan.writes() + 2 + audit.AgentCopies(next.AgentIDs, plan.unbind); n > 100 {
		return fmt.Errorf("%w: it needs %d writes", ErrChangeTooLarge, n)
	}
	err = s.replaceTx(tenant, cur.ID, next.ModifiedAt, put, plan, bindingIDs).
		Join(next.audit(ctx, tenant, audit.ParticipantUpdated, next.ModifiedAt, plan.unbind...)).Run(ctx)
	if err == nil {
		return nil
	}
	return s.claimTxErr(ctx, tenant, cur.ID, plan.claim, err, "replace participant")
}

// checkGrowth applies the bounds to a replacement: approvals may have
// grown a participant past them, and a change that does not grow it
// further is still allowed.
func checkGrowth(cur, next Participant) error {
	if len(next.Channels) > MaxChannels && len(next.Channels) > len(cur.Channels) ||
		len(next.AgentIDs) > MaxAgents && len(next.AgentIDs) > len(cur.AgentIDs) {
		return fmt.Errorf("%w: at most %d channels and %d agents", ErrTooMany, MaxChannels, MaxAgents)
	}
	return nil
}

// replacePlan is what replacing a participant writes besides its item.
type replacePlan struct {
	claim   []ChannelKey // channels added
	release []ChannelKey // channels removed
	unbind  []string     // agents no longer bound
	bind    []string     // agents newly bound
}

// writes counts the transaction's actions, the participant's Put included.
func (p replacePlan) writes() int {
	return 1 + len(p.claim) + len(p.release) + len(p.unbind) + len(p.bind)
}

// planReplace diffs next against cur; next must not repeat a channel.
func planReplace(cur ParticipantRecord, next Participant) (replacePlan, error) {
	var plan replacePlan
	var err error
	if plan.claim, plan.release, err = diffChannels(cur.Channels, next.Channels); err != nil {
		return replacePlan{}, err
	}
	plan.unbind, plan.bind = diffAgents(cur, next.AgentIDs)
	return plan, nil
}

func diffChannels(cur, next []Channel) (added, removed []ChannelKey, err error) {
	oldCh := map[ChannelKey]bool{}
	for _, c := range cur {
		oldCh[c.Key()] = true
	}
	newCh := map[ChannelKey]bool{}
	for _, c := range next {
		if newCh[c.Key()] {
			return nil, nil, fmt.Errorf("roster: duplicate channel %s/%s", c.IntegrationConfigID, c.Address)
		}
		newCh[c.Key()] = true
		if !oldCh[c.Key()] {
			added = append(added, c.Key())
		}
	}
	for _, c := range cur {
		if !newCh[c.Key()] {
			removed = append(removed, c.Key())
		}
	}
	return added, removed, nil
}

// diffAgents counts an agent as bound when agentIds names it or a
// binding item exists, so stray bindings are removed too.
func diffAgents(cur ParticipantRecord, next []string) (unbind, bind []string) {
	oldAg := map[string]bool{}
	for _, a := range cur.AgentIDs {
		oldAg[a] = true
	}
	for _, b := range cur.Bindings {
		oldAg[b.AgentID] = true
	}
	newAg := map[string]bool{}
	for _, a := range next {
		newAg[a] = true
	}
	for a := range oldAg {
		if !newAg[a] {
			unbind = append(unbind, a)
		}
	}
	sort.Strings(unbind)
	for _, a := range next {
		if !oldAg[a] {
			bind = append(bind, a)
		}
	}
	return unbind, bind
}

// replaceTx is the transaction of a plan: put, then claims, releases,
// unbinds and binds of participant id, stamped at.
func (s *Repo) replaceTx(tenant, id string, at int64, put *dynamo.Put, plan replacePlan, bindingIDs map[string]string) *store.Tx {
	tx := s.st.Tx().Put(actParticipant, put)
	for _, c := range plan.claim {
		tx.Put(actClaim(c), s.table.Put(NewChannelIndex(tenant, c.IntegrationConfigID, c.Address, id, at)).If("attribute_not_exists(PK)"))
	}
	for _, c := range plan.release {
		tx.Delete(actRelease(c), s.table.Delete("PK", store.ChannelPK(tenant, c.IntegrationConfigID, c.Address)).Range("SK", store.MarkerSK).
			If("attribute_not_exists(PK) OR participantId = ?", id))
	}
	for _, a := range plan.unbind {
		tx.Delete(actUnbind(a), s.table.Delete("PK", store.ParticipantPK(tenant, id)).Range("SK", store.BindingSK(a)))
	}
	for _, a := range plan.bind {
		tx.Put(actBind(a), s.table.Put(NewBinding(tenant, id, a, bindingIDs[a], at)))
	}
	return tx
}

// claimTxErr explains a failed transaction that claimed channels for
// participant me: *ChannelTakenError when a claim failed, store.ErrConflict
// when another condition did.
func (s *Repo) claimTxErr(ctx context.Context, tenant, me string, claimed []ChannelKey, err error, op string) error {
	for _, c := range claimed {
		if store.ConditionFailed(err, actClaim(c)) {
			return s.channelOwnerErr(ctx, tenant, c, me)
		}
	}
	if failedAny(err) {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return fmt.Errorf("roster: %s: %w", op, err)
}

// DeleteParticipant removes the participant of cur, its bindings and its
// channel index items in one transaction; store.ErrConflict when it changed
// since cur was read.
func (s *Repo) DeleteParticipant(ctx context.Context, tenant string, cur ParticipantRecord) error {
	tx := s.st.Tx()
	n := 1
	tx.Delete(actParticipant, s.table.Delete("PK", store.ParticipantPK(tenant, cur.ID)).Range("SK", store.ParticipantSK).If("modifiedAt = ?", cur.ModifiedAt))
	agents := map[string]bool{}
	for _, a := range cur.AgentIDs {
		agents[a] = true
	}
	for _, b := range cur.Bindings {
		agents[b.AgentID] = true
	}
	for a := range agents {
		tx.Delete(actUnbind(a), s.table.Delete("PK", store.ParticipantPK(tenant, cur.ID)).Range("SK", store.BindingSK(a)))
		n++
	}
	for _, c := range cur.Channels {
		tx.Delete(actRelease(c.Key()), s.table.Delete("PK", store.ChannelPK(tenant, c.IntegrationConfigID, c.Address)).Range("SK", store.MarkerSK).
			If("attribute_not_exists(PK) OR participantId = ?", cur.ID))
		n++
	}
	also := slices.Collect(maps.Keys(agents))
	slices.Sort(also)
	if n += 2 + audit.AgentCopies(cur.AgentIDs, also); n > 100 {
		return fmt.Errorf("%w: deleting needs %d writes", ErrTooMany, n)
	}
	err := tx.Join(cur.audit(ctx, tenant, audit.ParticipantDeleted, time.Now().UnixMilli(), also...)).Run(ctx)
	if failedAny(err) {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("roster: delete participant: %w", err)
	}
	return nil
}

// SetDisabled sets (disabled) or removes disabledAt, with its audit entry
// (ParticipantDisabled / ParticipantEnabled) in the same transaction.
// Setting it on a disabled participant or removing it from an enabled one
// changes nothing, records nothing and returns the participant as it is.
func (s *Repo) SetDisabled(ctx context.Context, tenant, id string, disabled bool, at int64) (Participant, error) {
	cur, err := s.getParticipant(ctx, tenant, id, true)
	if err != nil {
		return Participant{}, err
	}
	if cur.Disabled() == disabled {
		return cur, nil
	}
	u := s.table.Update("PK", store.ParticipantPK(tenant, id)).Range("SK", store.ParticipantSK)
	c := audit.Change{Scope: store.TenantScope(tenant), Action: audit.ParticipantEnabled, TargetType: audit.TargetParticipant,
		TargetID: id, StatusBefore: StatusDisabled, StatusAfter: StatusEnabled, At: at}
	if disabled {
		u.Set("disabledAt", at).Set("modifiedAt", at).If("attribute_exists(PK) AND attribute_not_exists(disabledAt)")
		c.Action, c.StatusBefore, c.StatusAfter = audit.ParticipantDisabled, StatusEnabled, StatusDisabled
	} else {
		// REMOVE, never zero: the webhook's known-sender check tests
		// attribute_not_exists(disabledAt).
		u.Remove("disabledAt").Set("modifiedAt", at).If("attribute_exists(PK) AND attribute_exists(disabledAt)")
	}
	err = s.st.Tx().Update(actParticipant, u).Join(audit.Record(ctx, filed(c, cur.AgentIDs))).Run(ctx)
	if err != nil && !store.ConditionFailed(err, actParticipant) {
		return Participant{}, fmt.Errorf("roster: set disabled: %w", err)
	}
	// Changed now, or already so by a concurrent call (which recorded it).
	return s.getParticipant(ctx, tenant, id, true)
}

// Participant states of the audit trail (the API shows disabledAt).
const (
	StatusEnabled  = "ENABLED"
	StatusDisabled = "DISABLED"
)

// Disabled reports whether the participant is disabled.
func (p Participant) Disabled() bool { return p.DisabledAt != 0 }

// filed files c under agents (the first is its agentId).
func filed(c audit.Change, agents []string) audit.Change {
	if len(agents) > 0 {
		c.AgentID, c.AgentIDs = agents[0], agents
	}
	return c
}

// AddBinding binds the participant to agent (creating the binding item
// with bindingID unless one exists) and adds agent to agentIds, in one
// transaction. store.ErrNotFound when the participant is gone, ErrTooMany when
// it already has MaxAgents other agents.
func (s *Repo) AddBinding(ctx context.Context, tenant, id, agent, bindingID string, at int64) error {
	b := NewBinding(tenant, id, agent, bindingID, at)
	tx := s.st.Tx()
	tx.Update(actParticipant, s.table.Update("PK", store.ParticipantPK(tenant, id)).Range("SK", store.ParticipantSK).
		AddStringsToSet("agentIds", agent).Set("modifiedAt", at).
		If("attribute_exists(PK) AND (attribute_not_exists(agentIds) OR contains(agentIds, ?) OR size(agentIds) < ?)", agent, MaxAgents))
	tx.Update(actBind(agent), s.table.Update("PK", b.PK).Range("SK", b.SK).
		Set("tenant", tenant).Set("participantId", id).Set("agentId", agent).
		Set("GSI1PK", b.GSI1PK).SetIfNotExists("GSI1SK", b.GSI1SK).
		SetIfNotExists("bindingId", b.BindingID).SetIfNotExists("createdAt", b.CreatedAt))
	err := tx.Join(audit.Participant(ctx, audit.ParticipantUpdated, audit.ParticipantDetail{Tenant: tenant, ParticipantID: id, AgentIDs: []string{agent}, At: at})).Run(ctx)
	if store.ConditionFailed(err, actParticipant) {
		if _, gerr := s.GetParticipant(ctx, tenant, id); gerr != nil {
			return gerr
		}
		return fmt.Errorf("%w: at most %d agents", ErrTooMany, MaxAgents)
	}
	if err != nil {
		return fmt.Errorf("roster: add binding: %w", err)
	}
	return nil
}

// RemoveBinding deletes the binding to agent and removes agent from
// agentIds in one transaction; store.ErrNotFound when the participant is gone.
func (s *Repo) RemoveBinding(ctx context.Context, tenant, id, agent string, at int64) error {
	err := s.st.Tx().
		Update(actParticipant, s.table.Update("PK", store.ParticipantPK(tenant, id)).Range("SK", store.ParticipantSK).
			DeleteStringsFromSet("agentIds", agent).Set("modifiedAt", at).If("attribute_exists(PK)")).
		Delete(actUnbind(agent), s.table.Delete("PK", store.ParticipantPK(tenant, id)).Range("SK", store.BindingSK(agent))).
		Join(audit.Participant(ctx, audit.ParticipantUpdated, audit.ParticipantDetail{Tenant: tenant, ParticipantID: id, AgentIDs: []string{agent}, At: at})).
		Run(ctx)
	if store.ConditionFailed(err, actParticipant) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("roster: remove binding: %w", err)
	}
	return nil
}

// Avatar is where a participant's avatar came from. An empty FileID
// clears the avatar and its source fields.
type Avatar struct {
	FileID, Source, SourceConfigID, SourceAddress string
	SyncedAt                                      int64
}

// Avatar sources besides the providers.
const AvatarUploaded = "UPLOADED"

// SetAvatar writes the avatar fields, with a ParticipantAvatarSynced
// audit entry in the same transaction, if the participant still exists and
// returns it updated; store.ErrNotFound otherwise.
func (s *Repo) SetAvatar(ctx context.Context, tenant, id string, a Avatar, at int64) (Participant, error) {
	cur, err := s.getParticipant(ctx, tenant, id, true)
	if err != nil {
		return Participant{}, err
	}
	note := "avatar cleared"
	if a.FileID != "" {
		note = "avatar from " + a.Source
		if a.SourceConfigID != "" {
			note += " (integration config " + a.SourceConfigID + ", address " + a.SourceAddress + ")"
		}
	}
	entry := audit.Record(ctx, filed(audit.Change{Scope: store.TenantScope(tenant), Action: audit.ParticipantAvatarSynced,
		TargetType: audit.TargetParticipant, TargetID: id, Note: note, At: at}, cur.AgentIDs))
	u := s.table.Update("PK", store.ParticipantPK(tenant, id)).Range("SK", store.ParticipantSK).Set("modifiedAt", at).If("attribute_exists(PK)")
	for name, v := range map[string]string{"avatarFileId": a.FileID, "avatarSource": a.Source,
		"avatarSourceConfigId": a.SourceConfigID, "avatarSourceAddress": a.SourceAddress} {
		if v == "" || a.FileID == "" {
			u.Remove(name)
		} else {
			u.Set(name, v)
		}
	}
	if a.SyncedAt == 0 || a.FileID == "" {
		u.Remove("avatarSyncedAt")
	} else {
		u.Set("avatarSyncedAt", a.SyncedAt)
	}
	err = s.st.Tx().Update(actParticipant, u).Join(entry).Run(ctx)
	if store.ConditionFailed(err, actParticipant) {
		return Participant{}, store.ErrNotFound
	}
	if err != nil {
		return Participant{}, fmt.Errorf("roster: set avatar: %w", err)
	}
	return s.getParticipant(ctx, tenant, id, true)
}

// ListParticipants returns one page of participants, newest first: those
// bound to agent (store.GSI1, newest binding first) or, with agent "", every
// participant of the tenant (store.GSI4). One Query, plus one BatchGet of the
// participant items when listing by agent.
func (s *Repo) ListParticipants(ctx context.Context, tenant, agent string, pageSize int, pageToken string) ([]Participant, string, error) {
	index, pkAttr, pk := store.GSI4, "GSI4PK", store.ParticipantsPK(tenant)
	if agent != "" {
		index, pkAttr, pk = store.GSI1, "GSI1PK", store.BindingsByAgentPK(tenant, agent)
	}
	q := s.table.Get(pkAttr, pk).Index(index).Order(dynamo.Descending)
	items, next, err := store.QueryPage[partitionItem](ctx, q, pkAttr, pk, pageSize, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("roster: list participants: %w", err)
	}
	if agent == "" {
		out := make([]Participant, 0, len(items))
		for _, it := range items {
			out = append(out, it.Participant)
		}
		return out, next, nil
	}
	if len(items) == 0 {
		return []Participant{}, next, nil
	}
	keys := make([]dynamo.Keyed, 0, len(items))
	for _, it := range items {
		keys = append(keys, dynamo.Keys{store.ParticipantPK(tenant, it.ParticipantID), store.ParticipantSK})
	}
	var got []participantItem
	err = s.table.Batch("PK", "SK").Get(keys...).All(ctx, &got)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, "", fmt.Errorf("roster: list participants: %w", err)
	}
	byID := make(map[string]Participant, len(got))
	for _, it := range got {
		byID[it.ID] = it.Participant
	}
	out := make([]Participant, 0, len(items))
	for _, it := range items {
		if p, ok := byID[it.ParticipantID]; ok { // a binding outliving its participant is skipped
			out = append(out, p)
		}
	}
	return out, next, nil
}

// ParticipantDetails are the items a participant's response is derived
// from besides the participant item.
type ParticipantDetails struct {
	// Bindings by participant id (only when asked for).
	Bindings map[string][]Binding
	// LastMessageAt by channel: epoch ms of the last accepted inbound
	// message, 0 when none was recorded.
	LastMessageAt map[ChannelKey]int64
}

type detailItem struct {
	PK            string `dynamo:"PK"`
	SK            string `dynamo:"SK"`
	Tenant        string `dynamo:"tenant"`
	ParticipantID string `dynamo:"participantId"`
	AgentID       string `dynamo:"agentId"`
	BindingID     string `dynamo:"bindingId"`
	CreatedAt     int64  `dynamo:"createdAt"`
	LastMessageAt int64  `dynamo:"lastMessageAt"`
}

// LoadParticipantDetails reads the channel index items of ps's channels
// and, with bindings, the binding items of their agentIds: one BatchGet
// per 100 keys.
func (s *Repo) LoadParticipantDetails(ctx context.Context, tenant string, ps []Participant, bindings bool) (ParticipantDetails, error) {
	d := ParticipantDetails{Bindings: map[string][]Binding{}, LastMessageAt: map[ChannelKey]int64{}}
	keys, chByPK := detailKeys(tenant, ps, bindings)
	if len(keys) == 0 {
		return d, nil
	}
	var items []detailItem
	err := s.table.Batch("PK", "SK").Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return d, fmt.Errorf("roster: participant details: %w", err)
	}
	owner := map[ChannelKey]string{}
	for _, it := range items {
		if ck, ok := chByPK[it.PK]; ok && it.SK == store.MarkerSK {
			d.LastMessageAt[ck] = it.LastMessageAt
			owner[ck] = it.ParticipantID
			continue
		}
		b := Binding{Tenant: it.Tenant, ParticipantID: it.ParticipantID, AgentID: it.AgentID, BindingID: it.BindingID, CreatedAt: it.CreatedAt}
		b.PK, b.SK = it.PK, it.SK
		d.Bindings[it.ParticipantID] = append(d.Bindings[it.ParticipantID], b)
	}
	dropForeignActivity(d.LastMessageAt, ps, owner)
	for id := range d.Bindings {
		slices.SortFunc(d.Bindings[id], func(a, b Binding) int { return strings.Compare(a.AgentID, b.AgentID) })
	}
	return d, nil
}

// detailKeys lists the keys LoadParticipantDetails reads: each channel's
// index item once, and with bindings each binding item; chByPK maps a
// channel index item's PK back to its channel.
func detailKeys(tenant string, ps []Participant, bindings bool) (keys []dynamo.Keyed, chByPK map[string]ChannelKey) {
	chByPK = map[string]ChannelKey{}
	for _, p := range ps {
		for _, c := range p.Channels {
			pk := store.ChannelPK(tenant, c.IntegrationConfigID, c.Address)
			if _, dup := chByPK[pk]; !dup {
				chByPK[pk] = c.Key()
				keys = append(keys, dynamo.Keys{pk, store.MarkerSK})
			}
		}
		if bindings {
			for _, a := range p.AgentIDs {
				keys = append(keys, dynamo.Keys{store.ParticipantPK(tenant, p.ID), store.BindingSK(a)})
			}
		}
	}
	return keys, chByPK
}

// dropForeignActivity deletes the activity of channels a participant of
// ps names but another owns. Two participants can name one channel only
// while an inconsistent write is repaired; the activity belongs to the
// owner.
func dropForeignActivity(last map[ChannelKey]int64, ps []Participant, owner map[ChannelKey]string) {
	for _, p := range ps {
		for _, c := range p.Channels {
			if o, ok := owner[c.Key()]; ok && o != p.ID {
				delete(last, c.Key())
			}
		}
	}
}

// OAuthConnection is a provider OAuth token a connector uses besides its
// own credentials (today: the Slack workspace token avatar sync needs).
// It lives in its own item so the connector item stays its owner's.
// The token is write-only through the API.
type OAuthConnection struct {
	IntegrationConfigID string `dynamo:"integrationConfigId"`
	Provider            string `dynamo:"provider"`
	Token               string `dynamo:"token"`
	TeamID              string `dynamo:"teamId,omitempty"`
	ConnectedBy         string `dynamo:"connectedBy,omitempty"`
	ConnectedAt         int64  `dynamo:"connectedAt"`
}

type oauthItem struct {
	PK     string `dynamo:"PK,hash"`
	SK     string `dynamo:"SK,range"`
	Tenant string `dynamo:"tenant"`
	OAuthConnection
}

// PutOAuthConnection stores (or replaces) the connection of c's provider,
// with a SlackOAuthConnected audit entry (actor c.ConnectedBy, filed under
// the connector's agent) in the same transaction.
func (s *Repo) PutOAuthConnection(ctx context.Context, tenant, agent string, c OAuthConnection) error {
	it := oauthItem{PK: store.OAuthPK(tenant, c.IntegrationConfigID), SK: c.Provider, Tenant: tenant, OAuthConnection: c}
	entry := audit.Record(ctx, audit.Change{Scope: store.TenantScope(tenant), AgentID: agent, Action: audit.SlackOAuthConnected,
		TargetType: audit.TargetIntegrationConfig, TargetID: c.IntegrationConfigID, StatusAfter: StatusConnected,
		Note: c.Provider + " team " + c.TeamID, Actor: c.ConnectedBy, At: c.ConnectedAt})
	if err := s.st.Tx().Put(actOAuth, s.table.Put(it)).Join(entry).Run(ctx); err != nil {
		return fmt.Errorf("roster: put oauth connection: %w", err)
	}
	return nil
}

// StatusConnected is an OAuth connection's state in the audit trail.
const StatusConnected = "CONNECTED"

const actOAuth = "oauth"

// GetOAuthConnection reads a connector's connection to provider, or
// ErrNotFound.
func (s *Repo) GetOAuthConnection(ctx context.Context, tenant, connector, provider string) (OAuthConnection, error) {
	var it oauthItem
	err := s.table.Get("PK", store.OAuthPK(tenant, connector)).Range("SK", dynamo.Equal, provider).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return OAuthConnection{}, store.ErrNotFound
	}
	if err != nil {
		return OAuthConnection{}, fmt.Errorf("roster: get oauth connection: %w", err)
	}
	return it.OAuthConnection, nil
}

// DeleteOAuthConnection forgets a connector's connection to provider with
// a SlackOAuthDisconnected audit entry; deleting none is not an error and
// records nothing.
func (s *Repo) DeleteOAuthConnection(ctx context.Context, tenant, agent, connector, provider string) error {
	entry := audit.Record(ctx, audit.Change{Scope: store.TenantScope(tenant), AgentID: agent, Action: audit.SlackOAuthDisconnected,
		TargetType: audit.TargetIntegrationConfig, TargetID: connector, StatusBefore: StatusConnected, Note: provider})
	err := s.st.Tx().Delete(actOAuth, s.table.Delete("PK", store.OAuthPK(tenant, connector)).Range("SK", provider).If("attribute_exists(PK)")).
		Join(entry).Run(ctx)
	if err != nil && !store.ConditionFailed(err, actOAuth) {
		return fmt.Errorf("roster: delete oauth connection: %w", err)
	}
	return nil
}

// audit is the audit entry and event of a change to p.
// also are more agents to file the entry under (removed ones).
func (p Participant) audit(ctx context.Context, tenant, detailType string, at int64, also ...string) store.TxAction {
	return audit.Participant(ctx, detailType, audit.ParticipantDetail{Tenant: tenant, ParticipantID: p.ID, Kind: p.Kind,
		DisplayName: p.DisplayName, AgentIDs: p.AgentIDs, At: at}, also...)
}
