// Package chatmsg is the "chat.send" outbox message: a text to a chat
// sender through a connector. It is a leaf so that the features queuing
// such texts (inbound's onboarding message, accessrequests' decision
// messages) share one wire shape without importing each other.
package chatmsg

import (
	"encoding/json"

	"github.com/gatehouse/gatehouse/pkg/outbox"
)

// Kind is the outbox kind; pkg/inbound/deliver delivers it.
const Kind = "chat.send"

// Payload is the message's JSON document. Credentials are read from the
// connector at delivery time, never stored in the outbox.
type Payload struct {
	IntegrationConfigID string `json:"integrationConfigId"`
	Provider            string `json:"provider"`
	ReplyTo             string `json:"replyTo"`
	ServiceURL          string `json:"serviceUrl,omitempty"` // Teams
	From                string `json:"from,omitempty"`       // Twilio: the number the sender wrote to
	Text                string `json:"text"`
}

// Message returns the outbox message sending p; id must derive from its
// cause so that a retried cause cannot queue it twice.
func Message(id, tenant string, p Payload, at int64) outbox.Message {
	b, _ := json.Marshal(p) // strings only: cannot fail
	return outbox.Message{ID: id, Kind: Kind, Tenant: tenant, Payload: string(b),
		Status: outbox.StatusPending, CreatedAt: at, ModifiedAt: at}
}
