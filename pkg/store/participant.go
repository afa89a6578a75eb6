package store

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/guregu/dynamo/v2"
)

// Participant kinds.
const (
	KindPerson  = "PERSON"
	KindGroup   = "GROUP"
	KindAIAgent = "AI_AGENT"
)

// Channel is a way to reach a participant through a connector.
type Channel struct {
	IntegrationConfigID string `dynamo:"integrationConfigId" json:"integrationConfigId"`
	Address             string `dynamo:"address" json:"address"`
	Priority            int    `dynamo:"priority" json:"priority"`
	Label               string `dynamo:"label,omitempty" json:"label"`
	Disabled            bool   `dynamo:"disabled" json:"disabled"`
	LastMessageAt       int64  `dynamo:"lastMessageAt,omitempty" json:"-"`
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
	Keys
	Tenant string `dynamo:"tenant"`
	Participant
}

// ParticipantSK is the sort key of the participant item itself.
const ParticipantSK = "P"

// BindingSK is the sort key of a participant's binding to an agent.
func BindingSK(agent string) string { return "B#" + agent }

// BindingsByAgentPK is the GSI1 partition listing an agent's participants.
func BindingsByAgentPK(tenant, agent string) string { return tenantKey(tenant, "AG", agent, "P") }

// ParticipantsPK is the GSI4 partition listing a tenant's participants.
func ParticipantsPK(tenant string) string { return tenantKey(tenant, "P") }

// Binding ties a participant to an agent.
type Binding struct {
	Keys
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
	it.PK, it.SK = ParticipantPK(tenant, p.ID), ParticipantSK
	it.GSI4PK, it.GSI4SK = ParticipantsPK(tenant), SortKey(p.CreatedAt, p.ID)
	return it
}

// NewBinding keys a binding for writing.
func NewBinding(tenant, participant, agent, bindingID string, at int64) Binding {
	b := Binding{Tenant: tenant, ParticipantID: participant, AgentID: agent, BindingID: bindingID, CreatedAt: at}
	b.PK, b.SK = ParticipantPK(tenant, participant), BindingSK(agent)
	b.GSI1PK, b.GSI1SK = BindingsByAgentPK(tenant, agent), SortKey(at, participant)
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
	return ChannelIndex{PK: ChannelPK(tenant, connector, address), SK: MarkerSK, ParticipantID: participant, CreatedAt: at}
}

// ChannelTakenError names the participant that already owns a channel.
type ChannelTakenError struct {
	IntegrationConfigID, Address, ParticipantID string
}

func (e *ChannelTakenError) Error() string {
	return fmt.Sprintf("store: channel %s/%s belongs to participant %s", e.IntegrationConfigID, e.Address, e.ParticipantID)
}
func (e *ChannelTakenError) Unwrap() error { return ErrConflict }

// GetParticipant reads one participant.
func (s *Store) GetParticipant(ctx context.Context, tenant, id string) (Participant, error) {
	var it participantItem
	err := s.table.Get("PK", ParticipantPK(tenant, id)).Range("SK", dynamo.Equal, ParticipantSK).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Participant{}, ErrNotFound
	}
	if err != nil {
		return Participant{}, fmt.Errorf("store: get participant: %w", err)
	}
	return it.Participant, nil
}

// ChannelOwner returns the participant owning a channel, or ErrNotFound.
func (s *Store) ChannelOwner(ctx context.Context, tenant, connector, address string) (string, error) {
	var ci ChannelIndex
	err := s.table.Get("PK", ChannelPK(tenant, connector, address)).Range("SK", dynamo.Equal, MarkerSK).One(ctx, &ci)
	if errors.Is(err, dynamo.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: channel owner: %w", err)
	}
	return ci.ParticipantID, nil
}

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
	Extra         []TxAction // joined to the transaction (outbox messages)
}

// ErrParticipantMissing means the approval's target participant is gone.
var ErrParticipantMissing = errors.New("store: participant does not exist")

// Approve moves the request to APPROVED and, in the same transaction,
// creates or updates the participant, binds it to the request's agent,
// claims the sender's channel and releases the pending marker.
func (s *Store) Approve(ctx context.Context, tenant string, cur AccessRequest, a Approval) (AccessRequest, error) {
	next := cur
	next.Status, next.ProcessedBy, next.ProcessedAt, next.ProcessingNote, next.ModifiedAt = StatusApproved, a.By, a.At, a.Note, a.At
	next.ApprovedParticipantID = a.ParticipantID
	ch := Channel{IntegrationConfigID: cur.IntegrationConfigID, Address: cur.Address}

	build := func(claimChannel bool) *dynamo.WriteTx {
		tx := s.db.WriteTx()
		tx.Update(s.closeRequest(tenant, next))  // 0
		tx.Delete(s.releasePending(tenant, cur)) // 1
		ppk := ParticipantPK(tenant, a.ParticipantID)
		switch a.Mode { // 2
		case ModeCreateNew:
			p := Participant{ID: a.ParticipantID, Kind: KindPerson, DisplayName: a.DisplayName,
				Channels: []Channel{ch}, AgentIDs: []string{cur.AgentID}, CreatedAt: a.At, ModifiedAt: a.At}
			tx.Put(s.table.Put(NewParticipantItem(tenant, p)).If("attribute_not_exists(PK)"))
		case ModeAddToExisting:
			u := s.table.Update("PK", ppk).Range("SK", ParticipantSK).
				AddStringsToSet("agentIds", cur.AgentID).Set("modifiedAt", a.At).If("attribute_exists(PK)")
			if claimChannel {
				u.Append("channels", []Channel{ch})
			}
			tx.Update(u)
		default: // BIND_ONLY
			tx.Update(s.table.Update("PK", ppk).Range("SK", ParticipantSK).
				AddStringsToSet("agentIds", cur.AgentID).Set("modifiedAt", a.At).If("attribute_exists(PK)"))
		}
		b := NewBinding(tenant, a.ParticipantID, cur.AgentID, a.BindingID, a.At) // 3
		tx.Update(s.table.Update("PK", b.PK).Range("SK", b.SK).
			Set("tenant", tenant).Set("participantId", b.ParticipantID).Set("agentId", b.AgentID).
			Set("GSI1PK", b.GSI1PK).SetIfNotExists("GSI1SK", b.GSI1SK).
			SetIfNotExists("bindingId", b.BindingID).SetIfNotExists("createdAt", b.CreatedAt))
		if claimChannel && a.Mode != ModeBindOnly { // 4
			tx.Put(s.table.Put(NewChannelIndex(tenant, ch.IntegrationConfigID, ch.Address, a.ParticipantID, a.At)).If("attribute_not_exists(PK)"))
		}
		if cur.MatchedParticipantID != "" && cur.MatchedParticipantID != a.ParticipantID {
			alias := newAccessRequestItem(tenant, next)
			alias.SK = "ALIAS#" + cur.MatchedParticipantID
			alias.GSI1PK, alias.GSI1SK, alias.GSI2PK, alias.GSI2SK = "", "", "", ""
			alias.GSI3PK, alias.GSI3SK, alias.GSI4PK, alias.GSI4SK = "", "", "", ""
			alias.GSI5PK = arParticipantPK(tenant, cur.MatchedParticipantID)
			tx.Put(s.table.Put(alias))
		}
		for _, x := range a.Extra {
			x(tx, s.table)
		}
		return tx
	}

	err := build(true).Run(ctx)
	if err == nil {
		return next, nil
	}
	failed := condFailedAt(err)
	for _, i := range failed {
		switch i {
		case 0:
			return AccessRequest{}, ErrNotPending
		case 2:
			return AccessRequest{}, ErrParticipantMissing
		case 4:
			owner, oerr := s.ChannelOwner(ctx, tenant, ch.IntegrationConfigID, ch.Address)
			if oerr != nil {
				return AccessRequest{}, fmt.Errorf("store: approve: %w", oerr)
			}
			if owner != a.ParticipantID {
				return AccessRequest{}, &ChannelTakenError{ch.IntegrationConfigID, ch.Address, owner}
			}
			// The target already has this channel: approve without claiming it.
			if err := build(false).Run(ctx); err != nil {
				if len(condFailedAt(err)) > 0 && condFailedAt(err)[0] == 0 {
					return AccessRequest{}, ErrNotPending
				}
				return AccessRequest{}, fmt.Errorf("store: approve: %w", err)
			}
			return next, nil
		}
	}
	if dynamo.IsCondCheckFailed(err) {
		return AccessRequest{}, ErrConflict
	}
	return AccessRequest{}, fmt.Errorf("store: approve: %w", err)
}
