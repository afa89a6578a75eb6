package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/guregu/dynamo/v2"
)

// Bounds that keep every participant write inside one transaction of at
// most 100 actions: a PATCH may remove and add every channel and every
// binding (1 + 2*MaxChannels + 2*MaxAgents = 81 actions).
const (
	MaxChannels = 20
	MaxAgents   = 20
)

// ErrTooMany means a participant would exceed MaxChannels or MaxAgents.
var ErrTooMany = errors.New("store: too many channels or bindings")

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
func (s *Store) GetParticipantRecord(ctx context.Context, tenant, id string) (ParticipantRecord, error) {
	var items []partitionItem
	err := s.table.Get("PK", ParticipantPK(tenant, id)).Consistent(true).Limit(MaxAgents*4).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return ParticipantRecord{}, fmt.Errorf("store: get participant: %w", err)
	}
	var rec ParticipantRecord
	found := false
	for _, it := range items {
		switch {
		case it.SK == ParticipantSK:
			rec.Participant, found = it.Participant, true
		case len(it.SK) > 2 && it.SK[:2] == "B#":
			rec.Bindings = append(rec.Bindings, it.binding())
		}
	}
	if !found {
		return ParticipantRecord{}, ErrNotFound
	}
	sort.Slice(rec.Bindings, func(i, j int) bool { return rec.Bindings[i].AgentID < rec.Bindings[j].AgentID })
	return rec, nil
}

// channelOwnerErr turns a failed channel claim into *ChannelTakenError.
func (s *Store) channelOwnerErr(ctx context.Context, tenant string, c ChannelKey, me string) error {
	owner, err := s.ChannelOwner(ctx, tenant, c.IntegrationConfigID, c.Address)
	if errors.Is(err, ErrNotFound) {
		return ErrConflict // released meanwhile: the caller may retry
	}
	if err != nil {
		return err
	}
	if owner == me {
		return ErrConflict
	}
	return &ChannelTakenError{IntegrationConfigID: c.IntegrationConfigID, Address: c.Address, ParticipantID: owner}
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
func (s *Store) CreateParticipant(ctx context.Context, tenant string, p Participant, bindingIDs map[string]string) error {
	if err := checkBounds(p); err != nil {
		return err
	}
	tx := s.db.WriteTx()
	// Action 0 is the participant, 1..len(channels) the channel claims.
	tx.Put(s.table.Put(NewParticipantItem(tenant, p)).If("attribute_not_exists(PK)"))
	for _, c := range p.Channels {
		tx.Put(s.table.Put(NewChannelIndex(tenant, c.IntegrationConfigID, c.Address, p.ID, p.CreatedAt)).If("attribute_not_exists(PK)"))
	}
	for _, a := range p.AgentIDs {
		tx.Put(s.table.Put(NewBinding(tenant, p.ID, a, bindingIDs[a], p.CreatedAt)))
	}
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	for _, i := range condFailedAt(err) {
		if i >= 1 && i <= len(p.Channels) {
			return s.channelOwnerErr(ctx, tenant, p.Channels[i-1].Key(), p.ID)
		}
	}
	if dynamo.IsCondCheckFailed(err) {
		return ErrConflict
	}
	return fmt.Errorf("store: create participant: %w", err)
}

// ReplaceParticipant writes next over cur (a record read before) and
// reconciles in the same transaction: channel index items of removed
// channels are deleted and those of added channels claimed; bindings of
// removed agents are deleted and those of added agents created with ids
// from bindingIDs. It fails with ErrConflict when the participant changed
// since cur was read, and with *ChannelTakenError when an added channel
// belongs to another participant.
func (s *Store) ReplaceParticipant(ctx context.Context, tenant string, cur ParticipantRecord, next Participant, bindingIDs map[string]string) error {
	// Approvals may have grown a participant past the bounds; a change
	// that does not grow it further is still allowed.
	if len(next.Channels) > MaxChannels && len(next.Channels) > len(cur.Channels) ||
		len(next.AgentIDs) > MaxAgents && len(next.AgentIDs) > len(cur.AgentIDs) {
		return fmt.Errorf("%w: at most %d channels and %d agents", ErrTooMany, MaxChannels, MaxAgents)
	}
	next.ID, next.CreatedAt = cur.ID, cur.CreatedAt
	oldCh := map[ChannelKey]bool{}
	for _, c := range cur.Channels {
		oldCh[c.Key()] = true
	}
	newCh := map[ChannelKey]bool{}
	var added []ChannelKey
	for _, c := range next.Channels {
		if newCh[c.Key()] {
			return fmt.Errorf("store: duplicate channel %s/%s", c.IntegrationConfigID, c.Address)
		}
		newCh[c.Key()] = true
		if !oldCh[c.Key()] {
			added = append(added, c.Key())
		}
	}
	oldAg := map[string]bool{}
	for _, a := range cur.AgentIDs {
		oldAg[a] = true
	}
	for _, b := range cur.Bindings {
		oldAg[b.AgentID] = true
	}
	newAg := map[string]bool{}
	for _, a := range next.AgentIDs {
		newAg[a] = true
	}

	tx := s.db.WriteTx()
	n := 0
	tx.Put(s.table.Put(NewParticipantItem(tenant, next)).If("attribute_exists(PK) AND modifiedAt = ?", cur.ModifiedAt)) // 0
	n++
	for _, c := range added { // 1..len(added)
		tx.Put(s.table.Put(NewChannelIndex(tenant, c.IntegrationConfigID, c.Address, cur.ID, next.ModifiedAt)).If("attribute_not_exists(PK)"))
		n++
	}
	for _, c := range cur.Channels {
		if !newCh[c.Key()] {
			tx.Delete(s.table.Delete("PK", ChannelPK(tenant, c.IntegrationConfigID, c.Address)).Range("SK", MarkerSK).
				If("attribute_not_exists(PK) OR participantId = ?", cur.ID))
			n++
		}
	}
	for a := range oldAg {
		if !newAg[a] {
			tx.Delete(s.table.Delete("PK", ParticipantPK(tenant, cur.ID)).Range("SK", BindingSK(a)))
			n++
		}
	}
	for _, a := range next.AgentIDs {
		if !oldAg[a] {
			tx.Put(s.table.Put(NewBinding(tenant, cur.ID, a, bindingIDs[a], next.ModifiedAt)))
			n++
		}
	}
	if n == 1 {
		// Only the participant item changes: a plain conditional Put.
		err := s.table.Put(NewParticipantItem(tenant, next)).If("attribute_exists(PK) AND modifiedAt = ?", cur.ModifiedAt).Run(ctx)
		if dynamo.IsCondCheckFailed(err) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("store: replace participant: %w", err)
		}
		return nil
	}
	if n > 100 {
		return fmt.Errorf("%w: the change needs %d writes", ErrTooMany, n)
	}
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	for _, i := range condFailedAt(err) {
		if i >= 1 && i <= len(added) {
			return s.channelOwnerErr(ctx, tenant, added[i-1], cur.ID)
		}
	}
	if dynamo.IsCondCheckFailed(err) {
		return ErrConflict
	}
	return fmt.Errorf("store: replace participant: %w", err)
}

// DeleteParticipant removes the participant of cur, its bindings and its
// channel index items in one transaction; ErrConflict when it changed
// since cur was read.
func (s *Store) DeleteParticipant(ctx context.Context, tenant string, cur ParticipantRecord) error {
	tx := s.db.WriteTx()
	n := 1
	tx.Delete(s.table.Delete("PK", ParticipantPK(tenant, cur.ID)).Range("SK", ParticipantSK).If("modifiedAt = ?", cur.ModifiedAt))
	agents := map[string]bool{}
	for _, a := range cur.AgentIDs {
		agents[a] = true
	}
	for _, b := range cur.Bindings {
		agents[b.AgentID] = true
	}
	for a := range agents {
		tx.Delete(s.table.Delete("PK", ParticipantPK(tenant, cur.ID)).Range("SK", BindingSK(a)))
		n++
	}
	for _, c := range cur.Channels {
		tx.Delete(s.table.Delete("PK", ChannelPK(tenant, c.IntegrationConfigID, c.Address)).Range("SK", MarkerSK).
			If("attribute_not_exists(PK) OR participantId = ?", cur.ID))
		n++
	}
	if n > 100 {
		return fmt.Errorf("%w: deleting needs %d writes", ErrTooMany, n)
	}
	err := tx.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("store: delete participant: %w", err)
	}
	return nil
}

// SetDisabled sets (disabled) or removes disabledAt. Setting it on a
// disabled participant or removing it from an enabled one changes nothing
// and returns the participant as it is.
func (s *Store) SetDisabled(ctx context.Context, tenant, id string, disabled bool, at int64) (Participant, error) {
	u := s.table.Update("PK", ParticipantPK(tenant, id)).Range("SK", ParticipantSK)
	if disabled {
		u.Set("disabledAt", at).Set("modifiedAt", at).If("attribute_exists(PK) AND attribute_not_exists(disabledAt)")
	} else {
		// REMOVE, never zero: the webhook's known-sender check tests
		// attribute_not_exists(disabledAt).
		u.Remove("disabledAt").Set("modifiedAt", at).If("attribute_exists(PK) AND attribute_exists(disabledAt)")
	}
	var it participantItem
	err := u.Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return s.GetParticipant(ctx, tenant, id) // ErrNotFound, or already so
	}
	if err != nil {
		return Participant{}, fmt.Errorf("store: set disabled: %w", err)
	}
	return it.Participant, nil
}

// AddBinding binds the participant to agent (creating the binding item
// with bindingID unless one exists) and adds agent to agentIds, in one
// transaction. ErrNotFound when the participant is gone, ErrTooMany when
// it already has MaxAgents other agents.
func (s *Store) AddBinding(ctx context.Context, tenant, id, agent, bindingID string, at int64) error {
	b := NewBinding(tenant, id, agent, bindingID, at)
	tx := s.db.WriteTx()
	tx.Update(s.table.Update("PK", ParticipantPK(tenant, id)).Range("SK", ParticipantSK).
		AddStringsToSet("agentIds", agent).Set("modifiedAt", at).
		If("attribute_exists(PK) AND (attribute_not_exists(agentIds) OR contains(agentIds, ?) OR size(agentIds) < ?)", agent, MaxAgents))
	tx.Update(s.table.Update("PK", b.PK).Range("SK", b.SK).
		Set("tenant", tenant).Set("participantId", id).Set("agentId", agent).
		Set("GSI1PK", b.GSI1PK).SetIfNotExists("GSI1SK", b.GSI1SK).
		SetIfNotExists("bindingId", b.BindingID).SetIfNotExists("createdAt", b.CreatedAt))
	err := tx.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		if _, gerr := s.GetParticipant(ctx, tenant, id); gerr != nil {
			return gerr
		}
		return fmt.Errorf("%w: at most %d agents", ErrTooMany, MaxAgents)
	}
	if err != nil {
		return fmt.Errorf("store: add binding: %w", err)
	}
	return nil
}

// RemoveBinding deletes the binding to agent and removes agent from
// agentIds in one transaction; ErrNotFound when the participant is gone.
func (s *Store) RemoveBinding(ctx context.Context, tenant, id, agent string, at int64) error {
	tx := s.db.WriteTx()
	tx.Update(s.table.Update("PK", ParticipantPK(tenant, id)).Range("SK", ParticipantSK).
		DeleteStringsFromSet("agentIds", agent).Set("modifiedAt", at).If("attribute_exists(PK)"))
	tx.Delete(s.table.Delete("PK", ParticipantPK(tenant, id)).Range("SK", BindingSK(agent)))
	err := tx.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: remove binding: %w", err)
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

// SetAvatar writes the avatar fields if the participant still exists and
// returns it updated; ErrNotFound otherwise.
func (s *Store) SetAvatar(ctx context.Context, tenant, id string, a Avatar, at int64) (Participant, error) {
	u := s.table.Update("PK", ParticipantPK(tenant, id)).Range("SK", ParticipantSK).Set("modifiedAt", at).If("attribute_exists(PK)")
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
	var it participantItem
	err := u.Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return Participant{}, ErrNotFound
	}
	if err != nil {
		return Participant{}, fmt.Errorf("store: set avatar: %w", err)
	}
	return it.Participant, nil
}

// ListParticipants returns one page of participants, newest first: those
// bound to agent (GSI1, newest binding first) or, with agent "", every
// participant of the tenant (GSI4). One Query, plus one BatchGet of the
// participant items when listing by agent.
func (s *Store) ListParticipants(ctx context.Context, tenant, agent string, pageSize int, pageToken string) ([]Participant, string, error) {
	index, pkAttr, pk := GSI4, "GSI4PK", ParticipantsPK(tenant)
	if agent != "" {
		index, pkAttr, pk = GSI1, "GSI1PK", BindingsByAgentPK(tenant, agent)
	}
	q := s.table.Get(pkAttr, pk).Index(index).Order(dynamo.Descending)
	items, next, err := QueryPage[partitionItem](ctx, q, pkAttr, pk, pageSize, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("store: list participants: %w", err)
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
		keys = append(keys, dynamo.Keys{ParticipantPK(tenant, it.ParticipantID), ParticipantSK})
	}
	var got []participantItem
	err = s.table.Batch("PK", "SK").Get(keys...).All(ctx, &got)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, "", fmt.Errorf("store: list participants: %w", err)
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
func (s *Store) LoadParticipantDetails(ctx context.Context, tenant string, ps []Participant, bindings bool) (ParticipantDetails, error) {
	d := ParticipantDetails{Bindings: map[string][]Binding{}, LastMessageAt: map[ChannelKey]int64{}}
	chByPK := map[string]ChannelKey{}
	var keys []dynamo.Keyed
	for _, p := range ps {
		for _, c := range p.Channels {
			pk := ChannelPK(tenant, c.IntegrationConfigID, c.Address)
			if _, dup := chByPK[pk]; !dup {
				chByPK[pk] = c.Key()
				keys = append(keys, dynamo.Keys{pk, MarkerSK})
			}
		}
		if bindings {
			for _, a := range p.AgentIDs {
				keys = append(keys, dynamo.Keys{ParticipantPK(tenant, p.ID), BindingSK(a)})
			}
		}
	}
	if len(keys) == 0 {
		return d, nil
	}
	var items []detailItem
	err := s.table.Batch("PK", "SK").Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return d, fmt.Errorf("store: participant details: %w", err)
	}
	owner := map[ChannelKey]string{}
	for _, it := range items {
		if ck, ok := chByPK[it.PK]; ok && it.SK == MarkerSK {
			d.LastMessageAt[ck] = it.LastMessageAt
			owner[ck] = it.ParticipantID
			continue
		}
		b := Binding{Tenant: it.Tenant, ParticipantID: it.ParticipantID, AgentID: it.AgentID, BindingID: it.BindingID, CreatedAt: it.CreatedAt}
		b.PK, b.SK = it.PK, it.SK
		d.Bindings[it.ParticipantID] = append(d.Bindings[it.ParticipantID], b)
	}
	// Two participants can name one channel only while an inconsistent
	// write is repaired; the activity belongs to the owner.
	for _, p := range ps {
		for _, c := range p.Channels {
			if o, ok := owner[c.Key()]; ok && o != p.ID {
				delete(d.LastMessageAt, c.Key())
			}
		}
	}
	for id := range d.Bindings {
		slices.SortFunc(d.Bindings[id], func(a, b Binding) int {
			switch {
			case a.AgentID < b.AgentID:
				return -1
			case a.AgentID > b.AgentID:
				return 1
			}
			return 0
		})
	}
	return d, nil
}

// MemberRoles returns subject's role on each of agents that it has one
// on, with one BatchGet.
func (s *Store) MemberRoles(ctx context.Context, tenant, subject string, agents []string) (map[string]string, error) {
	out := map[string]string{}
	if len(agents) == 0 {
		return out, nil
	}
	keys := make([]dynamo.Keyed, 0, len(agents))
	seen := map[string]bool{}
	for _, a := range agents {
		if !seen[a] {
			seen[a] = true
			keys = append(keys, dynamo.Keys{AgentMemberPK(tenant, a), memberSK(subject)})
		}
	}
	var items []memberItem
	err := s.table.Batch("PK", "SK").Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, fmt.Errorf("store: member roles: %w", err)
	}
	for _, it := range items {
		out[it.AgentID] = it.Role
	}
	return out, nil
}
