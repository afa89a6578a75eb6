// Package audit writes the append-only audit trail and the EventBridge
// events of state changes. A feature joins Record's action (or one of the
// event helpers in events.go) to the transaction of the change itself,
// so an entry and an event exist exactly when the change does.
package audit

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// DefaultRetention is how long an entry is kept when no request set it.
const DefaultRetention = 400 * 24 * time.Hour

// Actors that are not a caller.
const (
	ActorSystem = "gatehouse"        // no caller: a webhook, a sweep, the dev seed
	ActorExpiry = "gatehouse:expiry" // the expiry sweep's processedBy
)

// Target types.
const (
	TargetAccessRequest     = "accessRequest"
	TargetParticipant       = "participant"
	TargetShareRecipient    = "shareRecipient"
	TargetCollaborator      = "collaborator"
	TargetIntegrationConfig = "integrationConfig"
	TargetShareSettings     = "shareSettings"
	TargetAlertSettings     = "alertSettings"
)

// Actions without an event (administrative changes).
const (
	CollaboratorGranted         = "CollaboratorGranted"         // PUT of a new user
	CollaboratorChanged         = "CollaboratorChanged"         // PUT: an active grant's role or alerts
	CollaboratorRevoked         = "CollaboratorRevoked"         // DELETE of a grant
	CollaboratorAccessRequested = "CollaboratorAccessRequested" // requestAccess (new or refreshed)
	CollaboratorApproved        = "CollaboratorApproved"        // a pending request granted
	CollaboratorRejected        = "CollaboratorRejected"        // a pending request deleted

	ParticipantDisabled     = "ParticipantDisabled"
	ParticipantEnabled      = "ParticipantEnabled"
	ParticipantAvatarSynced = "ParticipantAvatarSynced" // avatar:syncFromChannel or an approval's queued sync

	IntegrationConfigCreated = "IntegrationConfigCreated"
	IntegrationConfigUpdated = "IntegrationConfigUpdated"
	IntegrationConfigDeleted = "IntegrationConfigDeleted"
	WebhookURLGenerated      = "WebhookUrlGenerated"
	WebhookURLRotated        = "WebhookUrlRotated"
	WebhookURLApplied        = "WebhookUrlApplied" // :applyWebhookToProvider, whatever the provider answered
	SlackOAuthConnected      = "SlackOAuthConnected"
	SlackOAuthDisconnected   = "SlackOAuthDisconnected"

	ShareRegistered      = "ShareRegistered" // complete-profile
	ShareSettingsChanged = "ShareSettingsChanged"
	AlertSettingsChanged = "AlertSettingsChanged" // an agent's Slack alert target
)

// Change is one state change or administrative action.
type Change struct {
	// Scope is store.TenantScope(tenant) or store.OrgScope(org).
	Scope   string
	AgentID string
	// AgentIDs are more agents whose admins find the entry with agentId
	// (a participant's other agents); AgentID is the first.
	AgentIDs   []string
	Action     string
	TargetType string
	TargetID   string
	// StatusBefore and StatusAfter are the target's status ("" for none).
	StatusBefore, StatusAfter string
	Note                      string
	// Actor overrides the caller's subject (system actors).
	Actor string
	At    int64 // epoch ms; 0 = now
}

// Entry is a stored audit entry.
type Entry struct {
	ID      string `dynamo:"id"`
	AgentID string `dynamo:"agentId,omitempty"`
	// AgentIDs are all the agents the entry is filed under (AgentID first);
	// nil for entries of one agent or none.
	AgentIDs     []string `dynamo:"agentIds,omitempty"`
	Actor        string   `dynamo:"actor"`
	Action       string   `dynamo:"action"`
	TargetType   string   `dynamo:"targetType"`
	TargetID     string   `dynamo:"targetId"`
	StatusBefore string   `dynamo:"statusBefore,omitempty"`
	StatusAfter  string   `dynamo:"statusAfter,omitempty"`
	Note         string   `dynamo:"note,omitempty"`
	RequestID    string   `dynamo:"requestId,omitempty"`
	SourceIP     string   `dynamo:"sourceIp,omitempty"`
	UserAgent    string   `dynamo:"userAgent,omitempty"`
	At           int64    `dynamo:"at"`
}

type entryItem struct {
	store.Keys
	Entry
	// ExpiresAt (epoch seconds) is the table's TTL: retention.
	ExpiresAt int64 `dynamo:"expiresAt"`
}

// newEntryItems returns the entry's item and, per agent after the first,
// a copy indexed only by that agent (GSI1): every agent's admins find the
// entry with agentId, and every other view lists it once.
func newEntryItems(scope string, e Entry, expires int64) []entryItem {
	it := entryItem{Entry: e, ExpiresAt: expires}
	sk := store.SortKey(e.At, e.ID)
	it.PK, it.SK = store.AuditPK(scope, e.ID), store.AuditSK
	if e.AgentID != "" {
		it.GSI1PK, it.GSI1SK = store.AuditsByAgentPK(scope, e.AgentID), sk
	}
	it.GSI2PK, it.GSI2SK = store.AuditsByTargetPK(scope, e.TargetType, e.TargetID), sk
	it.GSI3PK, it.GSI3SK = store.AuditsByActorPK(scope, e.Actor), sk
	it.GSI4PK, it.GSI4SK = store.AuditsPK(scope), sk
	out := []entryItem{it}
	for _, a := range e.AgentIDs {
		if a == e.AgentID {
			continue
		}
		cp := entryItem{Entry: e, ExpiresAt: expires}
		cp.PK, cp.SK = store.AuditPK(scope, e.ID), store.AuditAgentSK(a)
		cp.GSI1PK, cp.GSI1SK = store.AuditsByAgentPK(scope, a), sk
		out = append(out, cp)
	}
	return out
}

// put joins the conditional puts of the entry's items to tx: an entry is
// never overwritten.
func put(tx *store.Tx, items []entryItem) {
	for _, it := range items {
		name := ActionName(it.ID)
		if it.SK != store.AuditSK {
			name += ":" + it.SK
		}
		tx.Put(name, tx.Table().Put(it).If("attribute_not_exists(PK)"))
	}
}

// entry completes c with the caller and the request from ctx.
func entry(ctx context.Context, c Change) (Entry, int64) {
	e := Entry{ID: uuid.NewString(), AgentID: c.AgentID, AgentIDs: agentList(c.AgentID, c.AgentIDs), Actor: c.Actor, Action: c.Action, TargetType: c.TargetType,
		TargetID: c.TargetID, StatusBefore: c.StatusBefore, StatusAfter: c.StatusAfter, Note: c.Note, At: c.At}
	if e.At == 0 {
		e.At = time.Now().UnixMilli()
	}
	if e.Actor == "" {
		if p, ok := auth.FromContext(ctx); ok && p.Subject != "" {
			e.Actor = p.Subject
		} else {
			e.Actor = ActorSystem
		}
	}
	retention := DefaultRetention
	if m, ok := httpapi.RequestMetaFrom(ctx); ok {
		e.RequestID, e.SourceIP, e.UserAgent = m.RequestID, m.SourceIP, m.UserAgent
		if m.AuditRetention > 0 {
			retention = m.AuditRetention
		}
	}
	return e, time.UnixMilli(e.At).Add(retention).Unix()
}

// agentList is first followed by the others, without repeats; nil when
// that is one agent or none.
func agentList(first string, others []string) []string {
	var out []string
	if first != "" {
		out = append(out, first)
	}
	for _, a := range others {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// Record returns the transaction action appending c's entry. The puts are
// conditional on a new key: an entry is never overwritten.
func Record(ctx context.Context, c Change) store.TxAction {
	e, expires := entry(ctx, c)
	items := newEntryItems(c.Scope, e, expires)
	return func(tx *store.Tx) { put(tx, items) }
}

// Append writes c's entry alone: an administrative action that changes
// nothing gatehouse stores (e.g. a call to a provider).
func Append(ctx context.Context, st *store.Store, c Change) error {
	if err := st.Tx().Join(Record(ctx, c)).Run(ctx); err != nil {
		return fmt.Errorf("audit: append %s: %w", c.Action, err)
	}
	return nil
}

// ActionName is the transaction action name of an entry's write.
func ActionName(id string) string { return "audit:" + id }

// withEvent joins an event.put outbox message to c's entry.
func withEvent(ctx context.Context, c Change, tenant string, ev Event) store.TxAction {
	e, expires := entry(ctx, c)
	items := newEntryItems(c.Scope, e, expires)
	msg := outbox.Message{ID: "event-" + e.ID, Kind: KindEventPut, Tenant: tenant, Payload: ev.payload(),
		CreatedAt: e.At, ModifiedAt: e.At}
	enqueue := outbox.Enqueue(msg)
	return func(tx *store.Tx) {
		put(tx, items)
		enqueue(tx)
	}
}
