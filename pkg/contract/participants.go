package contract

// Participants (CONTRACT.md §3; the agent-network tree, whose participant
// has the avatar source fields and avatarAutoSync). Data only: copied from
// the docs' examples and enums.

// ParticipantKinds is the docs' kind enum.
var ParticipantKinds = []string{"UNSPECIFIED", "PERSON", "GROUP", "AI_AGENT"}

// ParticipantChannelActivation is one binding reached through one channel.
var ParticipantChannelActivation = Object{
	"agentId":             String,
	"bindingId":           UUID,
	"integrationConfigId": UUID,
	"provider":            Nullable(String),
	"address":             String,
	"webhookUrl":          Nullable(String),
	"webhookUrlTemplate":  Nullable(String),
	"webhookKeyPrefix":    Nullable(String),
	"scope":               OneOf("UNSPECIFIED", "PER_BINDING"),
}

// Participant is the docs' participant object.
var Participant = Object{
	"id":             UUID,
	"kind":           OneOf(ParticipantKinds...),
	"displayName":    String,
	"email":          Nullable(String),
	"relatedAgentId": Nullable(String),
	"channels": Array(Object{
		"integrationConfigId": Nullable(UUID), // null in the docs' list example
		"address":             String,
		"priority":            Int,
		"label":               Nullable(String),
		"disabled":            Bool,
	}),
	"agentIds":   Array(String),
	"disabledAt": Nullable(Int),
	"health": Object{
		"reachable": Bool,
		"channels": Array(Object{
			"address":       String,
			"reason":        Nullable(String),
			"keyStatus":     String,
			"keyPrefix":     Nullable(String),
			"lastMessageAt": Nullable(Int),
		}),
		"reason": Nullable(String),
	},
	"channelActivations":   Array(ParticipantChannelActivation),
	"avatarFileId":         Nullable(String),
	"avatarSource":         Nullable(String),
	"avatarSourceConfigId": Nullable(UUID),
	"avatarSourceAddress":  Nullable(String),
	"avatarSyncedAt":       Nullable(Int),
	"avatarAutoSync": Object{
		"synced":   Bool,
		"provider": Nullable(String),
		"address":  Nullable(String),
	},
	"createdAt":  Int,
	"modifiedAt": Int,
}

// ParticipantBinding is the answer of PUT .../bindings/{binding}.
var ParticipantBinding = Object{
	"id":                 UUID,
	"tenantId":           String,
	"createdAt":          Int,
	"modifiedAt":         Int,
	"participantId":      UUID,
	"agentId":            String,
	"channelActivations": Array(ParticipantChannelActivation),
}

// ParticipantProblem is the docs' error body, RFC 9457 problem JSON, with
// the extension members the participants API adds to some problems.
var ParticipantProblem = Object{
	"type":     String,
	"title":    String,
	"status":   Int,
	"detail":   String,
	"instance": String,
	// channel-taken names the owner; a 403 the agent; avatar sync the channel.
	"participantId":       Extension(UUID),
	"agentId":             Extension(String),
	"integrationConfigId": Extension(UUID),
	"address":             Extension(String),
}
