package accessrequests

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/chatmsg"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// DecisionHook adds writes to the transaction of an approval or reject
// (status is StatusApproved or StatusRejected): e.g. the message telling
// the sender the outcome. It runs before the transaction, so it may read.
type DecisionHook func(ctx context.Context, tenant string, ar AccessRequest, status string, at int64) ([]store.TxAction, error)

// ConnectorReader reads a connector (its decision messages).
type ConnectorReader interface {
	Get(ctx context.Context, tenant, id string) (connectors.Connector, error)
}

var decisionNS = uuid.MustParse("5f0c2b1e-8d4a-4c39-9e57-2a6b7d3e1f40")

// DecisionMessageID is the outbox id of the message telling request's
// sender the outcome. It derives from the request, and a request leaves
// PENDING once, so the sender hears at most one outcome per request.
func DecisionMessageID(requestID string) string {
	return uuid.NewSHA1(decisionNS, []byte("decision/"+requestID)).String()
}

// TellSender is the DecisionHook sending the connector's approvedMessage
// or rejectedMessage to the sender through that connector. Nothing is
// sent when the text is unset, the connector is gone, or the request
// lacks what the provider needs to reach the sender (requests opened
// before the reply target was stored, on Teams and Twilio).
func TellSender(conns ConnectorReader) DecisionHook {
	return func(ctx context.Context, tenant string, ar AccessRequest, status string, at int64) ([]store.TxAction, error) {
		c, err := conns.Get(ctx, tenant, ar.IntegrationConfigID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("accessrequests: decision message: %w", err)
		}
		text := c.RejectedMessage
		if status == StatusApproved {
			text = c.ApprovedMessage
		}
		p, ok := replyTarget(ar)
		if text == "" || !ok {
			return nil, nil
		}
		p.IntegrationConfigID, p.Provider, p.Text = c.ID, c.Provider, text
		return []store.TxAction{outbox.Enqueue(chatmsg.Message(DecisionMessageID(ar.ID), tenant, p, at))}, nil
	}
}

// replyTarget is where a message to ar's sender goes: what the webhook
// stored, else the address where it is one (Slack user, Telegram private
// chat, WhatsApp number); Teams needs its service URL and Twilio the
// number the sender wrote to.
func replyTarget(ar AccessRequest) (chatmsg.Payload, bool) {
	p := chatmsg.Payload{ReplyTo: ar.ReplyTo, ServiceURL: ar.ServiceURL, From: ar.ReplyFrom}
	if p.ReplyTo == "" {
		p.ReplyTo = ar.Address
	}
	switch ar.Provider {
	case connectors.Teams:
		return p, ar.ReplyTo != "" && p.ServiceURL != ""
	case connectors.TwilioSMS:
		return p, p.From != ""
	}
	return p, p.ReplyTo != ""
}
