package contract

// Fruxon participant access requests (CONTRACT.md §1) and the legacy
// chat-user access requests (§2).

// accessRequestStatuses are the documented statuses of a row, plus
// BLOCKED, gatehouse's extension (`:block`; README: "Where gatehouse goes
// beyond the docs"). UNSPECIFIED is a query value only, never a row's.
var accessRequestStatuses = OneOf("PENDING", "APPROVED", "REJECTED", "BLOCKED")

// ParticipantAccessRequest is seed 000's object. The docs' examples show
// only values; gatehouse writes null for an optional field not set yet
// (§8.10).
var ParticipantAccessRequest = Object{
	"id":                    UUID,
	"integrationConfigId":   UUID,
	"provider":              String,
	"address":               String,
	"agentId":               String,
	"matchedParticipantId":  Nullable(UUID),
	"displayName":           Nullable(String),
	"conversationName":      Nullable(String),
	"status":                accessRequestStatuses,
	"processedBy":           Nullable(String),
	"processedAt":           Nullable(Int),
	"processingNote":        Nullable(String),
	"approvedParticipantId": Nullable(UUID),
	"createdAt":             Int,
	"modifiedAt":            Int,
}

// ParticipantAccessRequests is the documented list: a bare array.
var ParticipantAccessRequests = Array(ParticipantAccessRequest)

// ChatUserAccessRequest is the legacy model's object (§2). tenantId is
// documented as a uuid; gatehouse's tenant ids are 1-64 characters
// [A-Za-z0-9_-], so it is the path's tenant as a string.
var ChatUserAccessRequest = Object{
	"id":               UUID,
	"provider":         String,
	"identifier":       String,
	"userName":         Nullable(String),
	"agentId":          String,
	"connectorId":      UUID,
	"conversationName": Nullable(String),
	"status":           accessRequestStatuses,
	"processedBy":      Nullable(String),
	"processedAt":      Nullable(Int),
	"processingNote":   Nullable(String),
	"tenantId":         String,
	"createdAt":        Int,
	"modifiedAt":       Int,
}

// ChatUserAccessRequests is the legacy list: a bare array.
var ChatUserAccessRequests = Array(ChatUserAccessRequest)
