// Package audit writes the append-only audit trail and the EventBridge
// events of state changes. A feature joins Record's action (or one of the
// event helpers in events.go) to the transaction of the change itself,
// so an entry and an event exist exactly when the change does.
package audit

import (
	"context"
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
	TargetAccessRequest  = "accessRequest"
	TargetParticipant    = "participant"
	TargetShareRecipient = "shareRecipient"
	TargetCollaborator   = "collaborator"
)

// Actions without an event (administrative changes).
const (
	CollaboratorChanged = "CollaboratorChanged" // granted, role or alerts changed, or access requested
	CollaboratorRemoved = "CollaboratorRemoved"
)

// Change is one state change or administrative action.
type Change struct {
	// Scope is store.TenantScope(tenant) or store.OrgScope(org).
	Scope      string
	AgentID    string
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
	ID           string `dynamo:"id"`
	AgentID      string `dynamo:"agentId,omitempty"`
	Actor        string `dynamo:"actor"`
	Action       string `dynamo:"action"`
	TargetType   string `dynamo:"targetType"`
	TargetID     string `dynamo:"targetId"`
	StatusBefore string `dynamo:"statusBefore,omitempty"`
	StatusAfter  string `dynamo:"statusAfter,omitempty"`
	Note         string `dynamo:"note,omitempty"`
	RequestID    string `dynamo:"requestId,omitempty"`
	SourceIP     string `dynamo:"sourceIp,omitempty"`
	UserAgent    string `dynamo:"userAgent,omitempty"`
	At           int64  `dynamo:"at"`
}

type entryItem struct {
	store.Keys
	Entry
	// ExpiresAt (epoch seconds) is the table's TTL: retention.
	ExpiresAt int64 `dynamo:"expiresAt"`
}

func newEntryItem(scope string, e Entry, expires int64) entryItem {
	it := entryItem{Entry: e, ExpiresAt: expires}
	sk := store.SortKey(e.At, e.ID)
	it.PK, it.SK = store.AuditPK(scope, e.ID), store.AuditSK
	if e.AgentID != "" {
		it.GSI1PK, it.GSI1SK = store.AuditsByAgentPK(scope, e.AgentID), sk
	}
	it.GSI2PK, it.GSI2SK = store.AuditsByTargetPK(scope, e.TargetType, e.TargetID), sk
	it.GSI3PK, it.GSI3SK = store.AuditsByActorPK(scope, e.Actor), sk
	it.GSI4PK, it.GSI4SK = store.AuditsPK(scope), sk
	return it
}

// entry completes c with the caller and the request from ctx.
func entry(ctx context.Context, c Change) (Entry, int64) {
	e := Entry{ID: uuid.NewString(), AgentID: c.AgentID, Actor: c.Actor, Action: c.Action, TargetType: c.TargetType,
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

// Record returns the transaction action appending c's entry. The put is
// conditional on a new key: an entry is never overwritten.
func Record(ctx context.Context, c Change) store.TxAction {
	e, expires := entry(ctx, c)
	it := newEntryItem(c.Scope, e, expires)
	return func(tx *store.Tx) {
		tx.Put(ActionName(e.ID), tx.Table().Put(it).If("attribute_not_exists(PK)"))
	}
}

// ActionName is the transaction action name of an entry's write.
func ActionName(id string) string { return "audit:" + id }

// withEvent joins an event.put outbox message to c's entry.
func withEvent(ctx context.Context, c Change, tenant string, ev Event) store.TxAction {
	e, expires := entry(ctx, c)
	it := newEntryItem(c.Scope, e, expires)
	msg := outbox.Message{ID: "event-" + e.ID, Kind: KindEventPut, Tenant: tenant, Payload: ev.payload(),
		CreatedAt: e.At, ModifiedAt: e.At}
	enqueue := outbox.Enqueue(msg)
	return func(tx *store.Tx) {
		tx.Put(ActionName(e.ID), tx.Table().Put(it).If("attribute_not_exists(PK)"))
		enqueue(tx)
	}
}
