package outbox

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// Outbox statuses.
const (
	StatusPending = "PENDING"
	StatusSent    = "SENT"
	StatusFailed  = "FAILED"
)

// Message is a side effect that must not be lost (a chat message,
// an e-mail, an avatar sync). It is written in the same transaction as
// the state change that causes it; the stream-triggered dispatcher
// (pkg/outbox) delivers it and records the outcome.
type Message struct {
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

// Enqueue returns a transaction action writing m as PENDING; the
// write fails the transaction if a message with that id exists.
func Enqueue(m Message) store.TxAction {
	m.PK, m.SK = store.OutboxPK(m.ID), store.OutboxSK
	if m.Status == "" {
		m.Status = StatusPending
	}
	return func(tx *store.Tx) {
		tx.Put(ActionName(m.ID), tx.Table().Put(m).If("attribute_not_exists(PK)"))
	}
}

// ErrPermanent marks an outbox failure that retrying cannot fix (bad
// credentials, a rejected address); handlers wrap it so the dispatcher
// marks the message FAILED at once.
var ErrPermanent = errors.New("outbox: permanent failure")

// Handler delivers one outbox message of a kind. It must be
// idempotent: a message can be delivered again after a crash.
type Handler func(ctx context.Context, m Message) error

// ActionName is the transaction action name of the message id's write.
func ActionName(id string) string { return "outbox:" + id }
