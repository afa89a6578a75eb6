// Package avatarsync queues a participant's avatar sync through the
// outbox. It is small on purpose: the access-request Lambda links it to
// queue syncs from approvals without linking the S3 and provider clients
// that pkg/participants uses to perform them.
package avatarsync

import (
	"encoding/json"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Kind is the outbox message kind; pkg/participants handles it.
const Kind = "avatar.sync"

// Payload is the message's JSON document.
type Payload struct {
	Tenant              string `json:"tenant"`
	ParticipantID       string `json:"participantId"`
	IntegrationConfigID string `json:"integrationConfigId"`
	Address             string `json:"address"`
}

// Providers whose senders have an avatar to pull.
var providers = map[string]bool{"SLACK": true, "TELEGRAM": true, "TEAMS": true}

var ns = uuid.MustParse("0b5b8f5e-6f1e-4b9b-9a57-5d3c8e0e6a21")

// MessageID is the outbox id of the sync queued by an approval, derived
// from the request so that it is queued at most once.
func MessageID(requestID string) string {
	return uuid.NewSHA1(ns, []byte(Kind+"/"+requestID)).String()
}

// Message returns the outbox message syncing p's avatar from a channel.
func Message(id string, p Payload, at int64) outbox.Message {
	b, _ := json.Marshal(p) // strings only: cannot fail
	return outbox.Message{ID: id, Kind: Kind, Tenant: p.Tenant, Payload: string(b),
		Status: outbox.StatusPending, NextAttemptAt: at, CreatedAt: at, ModifiedAt: at}
}

// OnApprove is an accessrequests.ApprovalHook: when an approval creates a
// participant from a Slack, Telegram or Teams sender, it adds the avatar
// sync to the approval's transaction. The sync itself runs later and may
// Enqueue queues the avatar sync of a participant created by approving
// the request requestID on a connector of provider; nil when the provider
// has no avatar source. The message id derives from the request, so a
// retried approval cannot queue it twice.
func Enqueue(p Payload, provider, requestID string, at int64) []store.TxAction {
	if !providers[provider] {
		return nil
	}
	return []store.TxAction{outbox.Enqueue(Message(MessageID(requestID), p, at))}
}
