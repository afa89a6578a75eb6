// Package alertmsg is the "alert.pending" outbox message: a PENDING access
// request appeared on an agent, so its approvers' digests (pkg/alerts)
// must list it. It is a leaf so that the webhook path (pkg/inbound) queues
// it without linking the digest code.
package alertmsg

import (
	"encoding/json"

	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Kind is the outbox kind; pkg/alerts handles it in DispatcherFunction.
const Kind = "alert.pending"

// Payload is the message's JSON document.
type Payload struct {
	Tenant    string `json:"tenant"`
	AgentID   string `json:"agentId"`
	RequestID string `json:"requestId"`
	CreatedAt int64  `json:"createdAt"` // the request's, epoch ms
}

// Enqueue returns the transaction action queuing the alert of a new
// PENDING request; its id derives from the request, so it is queued once.
func Enqueue(p Payload) store.TxAction {
	b, _ := json.Marshal(p) // strings and an int: cannot fail
	return outbox.Enqueue(outbox.Message{ID: "alert-" + p.RequestID, Kind: Kind, Tenant: p.Tenant, Payload: string(b),
		CreatedAt: p.CreatedAt, ModifiedAt: p.CreatedAt})
}
