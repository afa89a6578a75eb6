package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// KindEventPut is the outbox kind pkg/inbound/deliver publishes to
// EventBridge (the same kind as InboundMessageAccepted).
const KindEventPut = "event.put"

// Source is the EventBridge source of gatehouse events.
const Source = "gatehouse"

// Detail types of the events (schemas/<DetailType>.json each).
const (
	AccessRequestCreated   = "AccessRequestCreated"
	AccessRequestApproved  = "AccessRequestApproved"
	AccessRequestRejected  = "AccessRequestRejected"
	AccessRequestBlocked   = "AccessRequestBlocked"
	AccessRequestUnblocked = "AccessRequestUnblocked"
	AccessRequestExpired   = "AccessRequestExpired"
	ParticipantCreated     = "ParticipantCreated"
	ParticipantUpdated     = "ParticipantUpdated"
	ParticipantDeleted     = "ParticipantDeleted"
	ShareInvited           = "ShareInvited"
	ShareAccepted          = "ShareAccepted"
	ShareDeclined          = "ShareDeclined"
	ShareExpired           = "ShareExpired"
)

// Event is the payload of an "event.put" outbox message, as
// pkg/inbound's Event.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
}

func (e Event) payload() string {
	b, err := json.Marshal(e)
	if err != nil {
		// Details are strings, integers and string lists: this cannot fail.
		panic(fmt.Sprintf("audit: event %s: %v", e.DetailType, err))
	}
	return string(b)
}

func newEvent(detailType string, detail any) Event {
	b, err := json.Marshal(detail)
	if err != nil {
		panic(fmt.Sprintf("audit: event %s detail: %v", detailType, err))
	}
	return Event{Source: Source, DetailType: detailType, Detail: b}
}

// AccessRequestDetail is the detail of the AccessRequest* events.
type AccessRequestDetail struct {
	Tenant              string `json:"tenant"`
	AccessRequestID     string `json:"accessRequestId"`
	AgentID             string `json:"agentId"`
	IntegrationConfigID string `json:"integrationConfigId"`
	Provider            string `json:"provider"`
	Address             string `json:"address"`
	DisplayName         string `json:"displayName,omitempty"`
	Status              string `json:"status"`
	PreviousStatus      string `json:"previousStatus,omitempty"`
	ParticipantID       string `json:"participantId,omitempty"`
	ProcessedBy         string `json:"processedBy,omitempty"`
	Note                string `json:"note,omitempty"`
	At                  int64  `json:"at"`
}

// AccessRequest returns the actions of an access request's change: its
// audit entry and its event detailType.
func AccessRequest(ctx context.Context, detailType string, d AccessRequestDetail) store.TxAction {
	return withEvent(ctx, Change{Scope: store.TenantScope(d.Tenant), AgentID: d.AgentID, Action: detailType,
		TargetType: TargetAccessRequest, TargetID: d.AccessRequestID, StatusBefore: d.PreviousStatus, StatusAfter: d.Status,
		Note: d.Note, Actor: d.ProcessedBy, At: d.At}, d.Tenant, newEvent(detailType, d))
}

// ParticipantDetail is the detail of the Participant* events.
type ParticipantDetail struct {
	Tenant        string   `json:"tenant"`
	ParticipantID string   `json:"participantId"`
	Kind          string   `json:"kind,omitempty"`
	DisplayName   string   `json:"displayName,omitempty"`
	AgentIDs      []string `json:"agentIds"`
	At            int64    `json:"at"`
}

// Participant returns the actions of a participant's change. The entry is
// filed under each of its agents (and also, e.g. agents a change removed)
// so that every one of their admins finds it with agentId; with none it is
// tenant-wide only.
func Participant(ctx context.Context, detailType string, d ParticipantDetail, also ...string) store.TxAction {
	if d.AgentIDs == nil {
		d.AgentIDs = []string{}
	}
	agents := append(append([]string{}, d.AgentIDs...), also...)
	var first string
	if len(agents) > 0 {
		first = agents[0]
	}
	return withEvent(ctx, Change{Scope: store.TenantScope(d.Tenant), AgentID: first, AgentIDs: agents, Action: detailType,
		TargetType: TargetParticipant, TargetID: d.ParticipantID, At: d.At}, d.Tenant, newEvent(detailType, d))
}

// AgentCopies is how many more writes than one an entry filed under
// agents takes (Participant's copies), for transaction budgets.
func AgentCopies(agents ...[]string) int {
	var all []string
	for _, as := range agents {
		for _, a := range as {
			if a != "" && !slices.Contains(all, a) {
				all = append(all, a)
			}
		}
	}
	return max(len(all)-1, 0)
}

// ShareDetail is the detail of the Share* events.
type ShareDetail struct {
	OrganizationID string `json:"organizationId"`
	RecipientID    string `json:"recipientId"`
	RecipientEmail string `json:"recipientEmail,omitempty"`
	Status         string `json:"status"`
	PreviousStatus string `json:"previousStatus,omitempty"`
	DocumentID     string `json:"documentId,omitempty"`
	By             string `json:"by,omitempty"`
	At             int64  `json:"at"`
}

// Share returns the actions of a share recipient's change; its entry goes
// to the organization's trail.
func Share(ctx context.Context, detailType string, d ShareDetail) store.TxAction {
	return withEvent(ctx, Change{Scope: store.OrgScope(d.OrganizationID), Action: detailType,
		TargetType: TargetShareRecipient, TargetID: d.RecipientID, StatusBefore: d.PreviousStatus, StatusAfter: d.Status,
		Actor: d.By, At: d.At}, "", newEvent(detailType, d))
}
