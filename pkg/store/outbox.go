package store

import (
	"context"
	"errors"

	"github.com/guregu/dynamo/v2"
)

// Outbox statuses.
const (
	OutboxPending = "PENDING"
	OutboxSent    = "SENT"
	OutboxFailed  = "FAILED"
)

// OutboxMessage is a side effect that must not be lost (a chat message,
// an e-mail, an avatar sync). It is written in the same transaction as
// the state change that causes it; the stream-triggered dispatcher
// (pkg/outbox) delivers it and records the outcome.
type OutboxMessage struct {
	PK string `dynamo:"PK,hash"`
	SK string `dynamo:"SK,range"`
	// ID is unique; callers that must not enqueue twice derive it from
	// the cause (e.g. the access request id), the Put is conditional.
	ID     string `dynamo:"id"`
	Kind   string `dynamo:"kind"` // e.g. "chat.send", "mail.send", "avatar.sync"
	Tenant string `dynamo:"tenant,omitempty"`
	// Payload is the kind's JSON document.
	Payload       string `dynamo:"payload"`
	Status        string `dynamo:"status"`
	Attempts      int    `dynamo:"attempts"`
	LastError     string `dynamo:"lastError,omitempty"`
	NextAttemptAt int64  `dynamo:"nextAttemptAt,omitempty"`
	CreatedAt     int64  `dynamo:"createdAt"`
	ModifiedAt    int64  `dynamo:"modifiedAt"`
	// ExpiresAt (epoch seconds) lets TTL remove finished messages.
	ExpiresAt int64 `dynamo:"expiresAt,omitempty"`
}

// OutboxPK is the partition of an outbox message.
func OutboxPK(id string) string { return "OUTBOX#" + id }

// OutboxSK is the sort key of an outbox message.
const OutboxSK = "O"

// EnqueueOutbox returns a transaction action writing m as PENDING; the
// write fails the transaction if a message with that id exists.
func EnqueueOutbox(m OutboxMessage) TxAction {
	m.PK, m.SK = OutboxPK(m.ID), OutboxSK
	if m.Status == "" {
		m.Status = OutboxPending
	}
	return func(tx *dynamo.WriteTx, t dynamo.Table) {
		tx.Put(t.Put(m).If("attribute_not_exists(PK)"))
	}
}

// ErrPermanent marks an outbox failure that retrying cannot fix (bad
// credentials, a rejected address); handlers wrap it so the dispatcher
// marks the message FAILED at once.
var ErrPermanent = errors.New("store: permanent outbox failure")

// OutboxHandler delivers one outbox message of a kind. It must be
// idempotent: a message can be delivered again after a crash.
type OutboxHandler func(ctx context.Context, m OutboxMessage) error
