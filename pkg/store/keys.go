package store

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// The key schema: the only place key prefixes are spelled. Every key
// starts with the tenant ("T#{tenant}") or the organization ("O#{org}")
// taken from the verified token, never the body; the few global
// partitions (OUTBOX#, HOOK#, ID#) name no tenant because what reads them
// does not know it yet.
//
//	entity               PK                                   SK            GSIs
//	access request       T#t#AR#{id}                          AR            GSI1 T#t#AG#{agent}#AR#{status}, GSI2 T#t#AG#{agent}#AR, GSI3 T#t#AR#{status}, GSI4 T#t#AR, GSI5 T#t#P#{pid}#AR, ExpiryIndex EXP#AR#PENDING#{shard} (PENDING only)
//	request alias        T#t#AR#{id}                          ALIAS#{pid}   GSI5 (matched participant when approval chose another)
//	pending marker       T#t#PENDING#{connector}#{address}    M             -   (one PENDING request per connector+sender)
//	block marker         T#t#BLOCK#{connector}#{address}      M             -
//	onboarded marker     T#t#ONBOARDED#{connector}#{address}  M             -   (the onboarding message went out once)
//	rejected marker      T#t#REJECTED#{connector}#{address}   M             -   (last reject time: the reject cooldown; TTL expiresAt)
//	flood guard          T#t#FLOOD#{connector}#{epoch hour}   COUNT|TRIPPED -   (new requests this hour; the hour's one event; TTL expiresAt)
//	participant          T#t#P#{id}                           P             GSI4 T#t#P
//	binding              T#t#P#{id}                           B#{agent}     GSI1 T#t#AG#{agent}#P
//	channel index        T#t#CH#{connector}#{address}         M             -   (one participant per channel)
//	oauth connection     T#t#OAUTH#{connector}                {provider}    -   (write-only provider OAuth token)
//	agent member         T#t#AG#{agent}#M                     S#{subject}   -
//	agent alert settings T#t#AG#{agent}#ALERTS                M             -   (the agent's Slack alert channel)
//	alert digest         T#t#DIGEST#{agent}#{recipient}       M             ExpiryIndex DIGEST#{shard} (until sent)
//	connector            T#t#CFG#{id}                         CFG           GSI1 T#t#AG#{agent}#CFG, GSI4 T#t#CFG (sort keys {PROVIDER}#…)
//	webhook key          HOOK#{sha256(key)}                   M             -   (inbound URL key → tenant + connector; no plaintext key)
//	inbound dedupe       T#t#DEDUPE#{connector}#{sha256(eid)} M             -   (provider event id seen; TTL expiresAt)
//	outbox message       OUTBOX#{id}                          O             -   (stream-dispatched side effects)
//	document (shares)    O#o#D#{id}                           D             GSI1 O#o#DA#{assetId}
//	document content     O#o#DH#{sha256}                      M             -   (one document per file content)
//	share recipient      O#o#R#{userId}                       R             GSI1 O#o#RS#{status}, ExpiryIndex EXP#SHARE#{status}#{shard} (waiting only)
//	share id registry    ID#{id}                              ID            -   (entity type + organization of a share-API id)
//
// GSI sort keys are SortKey(createdAt, id), so a Query with
// ScanIndexForward false lists newest first. Times are epoch milliseconds.

func tenantKey(tenant string, parts ...string) string {
	return "T#" + tenant + "#" + strings.Join(parts, "#")
}

func orgKey(org string, parts ...string) string {
	return "O#" + org + "#" + strings.Join(parts, "#")
}

// SortKey orders items newest first under ScanIndexForward=false.
func SortKey(createdAt int64, id string) string {
	return fmt.Sprintf("%013d#%s", createdAt, id)
}

// MarkerSK is the sort key of single-item partitions (markers, indexes).
const MarkerSK = "M"

// Access requests.

// AccessRequestPK is the partition of a request and its aliases.
func AccessRequestPK(tenant, id string) string { return tenantKey(tenant, "AR", id) }

// AccessRequestSK is the sort key of the request item itself.
const AccessRequestSK = "AR"

// AccessRequestAliasSK lists a request under a participant it matched
// although approval chose another.
func AccessRequestAliasSK(participant string) string { return "ALIAS#" + participant }

// RequestsByAgentStatusPK is GSI1: an agent's requests in one status.
func RequestsByAgentStatusPK(tenant, agent, status string) string {
	return tenantKey(tenant, "AG", agent, "AR", status)
}

// RequestsByAgentPK is GSI2: an agent's requests.
func RequestsByAgentPK(tenant, agent string) string { return tenantKey(tenant, "AG", agent, "AR") }

// RequestsByStatusPK is GSI3: a tenant's requests in one status.
func RequestsByStatusPK(tenant, status string) string { return tenantKey(tenant, "AR", status) }

// RequestsPK is GSI4: a tenant's requests.
func RequestsPK(tenant string) string { return tenantKey(tenant, "AR") }

// RequestsByParticipantPK is GSI5: the requests of a participant.
func RequestsByParticipantPK(tenant, participant string) string {
	return tenantKey(tenant, "P", participant, "AR")
}

// PendingPK is the one-PENDING-request marker of a sender on a connector.
func PendingPK(tenant, connector, address string) string {
	return tenantKey(tenant, "PENDING", connector, address)
}

// BlockPK marks a sender blocked on a connector.
func BlockPK(tenant, connector, address string) string {
	return tenantKey(tenant, "BLOCK", connector, address)
}

// OnboardedPK marks a sender who was sent the connector's onboarding
// message (written with its first access request; never removed).
func OnboardedPK(tenant, connector, address string) string {
	return tenantKey(tenant, "ONBOARDED", connector, address)
}

// RejectedPK holds the time of a sender's last reject on a connector (the
// reject cooldown reads it).
func RejectedPK(tenant, connector, address string) string {
	return tenantKey(tenant, "REJECTED", connector, address)
}

// FloodPK is a connector's flood-guard partition of one clock hour (epoch
// hours): FloodCountSK counts new requests, FloodTrippedSK marks the hour
// as reported.
func FloodPK(tenant, connector string, hour int64) string {
	return tenantKey(tenant, "FLOOD", connector, strconv.FormatInt(hour, 10))
}

// Flood-guard sort keys.
const (
	FloodCountSK   = "COUNT"
	FloodTrippedSK = "TRIPPED"
)

// Participants.

// ParticipantPK is the partition of a participant and its bindings.
func ParticipantPK(tenant, id string) string { return tenantKey(tenant, "P", id) }

// ParticipantSK is the sort key of the participant item itself.
const ParticipantSK = "P"

// BindingSKPrefix starts the sort key of every binding.
const BindingSKPrefix = "B#"

// BindingSK is the sort key of a participant's binding to an agent.
func BindingSK(agent string) string { return BindingSKPrefix + agent }

// BindingsByAgentPK is the GSI1 partition listing an agent's participants.
func BindingsByAgentPK(tenant, agent string) string { return tenantKey(tenant, "AG", agent, "P") }

// ParticipantsPK is the GSI4 partition listing a tenant's participants.
func ParticipantsPK(tenant string) string { return tenantKey(tenant, "P") }

// ChannelPK is the unique index item of a channel.
func ChannelPK(tenant, connector, address string) string {
	return tenantKey(tenant, "CH", connector, address)
}

// OAuthPK is the partition of a connector's provider OAuth tokens (the
// sort key is the provider).
func OAuthPK(tenant, connector string) string { return tenantKey(tenant, "OAUTH", connector) }

// Agent members.

// AgentMemberPK is the partition of an agent's members.
func AgentMemberPK(tenant, agent string) string { return tenantKey(tenant, "AG", agent, "M") }

// MemberSK is the sort key of one member.
func MemberSK(subject string) string { return "S#" + subject }

// AgentAlertsPK is the item of an agent's alert settings (pkg/alerts).
func AgentAlertsPK(tenant, agent string) string { return tenantKey(tenant, "AG", agent, "ALERTS") }

// DigestPK is the pending-requests digest of one alert recipient of an
// agent (recipient is "U#{subject}" or "SLACK"): the requests since its
// last alert, until the digest sweep sends and deletes it.
func DigestPK(tenant, agent, recipient string) string {
	return tenantKey(tenant, "DIGEST", agent, recipient)
}

// DigestsDuePK is the ExpiryIndex partition of waiting digests; the sort
// key is SortKey(due time, digest PK).
func DigestsDuePK(shard int) string { return fmt.Sprintf("DIGEST#%d", shard) }

// Connectors and inbound webhooks.

// ConnectorPK is the partition of one connector.
func ConnectorPK(tenant, id string) string { return tenantKey(tenant, "CFG", id) }

// ConnectorSK is the sort key of a connector item.
const ConnectorSK = "CFG"

// ConnectorsByAgentPK is GSI1: an agent's connectors.
func ConnectorsByAgentPK(tenant, agent string) string { return tenantKey(tenant, "AG", agent, "CFG") }

// ConnectorsPK is GSI4: a tenant's connectors.
func ConnectorsPK(tenant string) string { return tenantKey(tenant, "CFG") }

// ConnectorsSK is the GSI1/GSI4 sort key of a connector: the provider
// first, so one integration's configs are a begins_with range, newest
// first within it.
func ConnectorsSK(provider string, createdAt int64, id string) string {
	return ConnectorsSKPrefix(provider) + SortKey(createdAt, id)
}

// ConnectorsSKPrefix is the sort-key range of one provider's connectors.
func ConnectorsSKPrefix(provider string) string { return provider + "#" }

// HookPK is the partition of a webhook key's lookup item (global: the
// URL names no tenant). keyHash is the key's hash, never the key.
func HookPK(keyHash string) string { return "HOOK#" + keyHash }

// DedupePK is the marker of a provider event id on a connector; the id is
// hashed because providers' ids are long and free-form.
func DedupePK(tenant, connector, eventID string) string {
	sum := sha256.Sum256([]byte(eventID))
	return tenantKey(tenant, "DEDUPE", connector, base64.RawURLEncoding.EncodeToString(sum[:]))
}

// Outbox.

// OutboxPKPrefix starts every outbox key; the stream filters in
// template.yaml match on it.
const OutboxPKPrefix = "OUTBOX#"

// OutboxPK is the partition of one outbox message.
func OutboxPK(id string) string { return OutboxPKPrefix + id }

// OutboxSK is the sort key of an outbox message.
const OutboxSK = "O"

// Shares (organization-scoped).

// DocumentPK is the partition of an organization's document.
func DocumentPK(org, id string) string { return orgKey(org, "D", id) }

// DocumentSK is the sort key of a document.
const DocumentSK = "D"

// DocumentsByAssetPK is GSI1: an organization's documents of one asset.
func DocumentsByAssetPK(org, assetID string) string { return orgKey(org, "DA", assetID) }

// DocumentContentPK is the marker of a file content (SHA-256, hex) in an
// organization: an upload of the same bytes is a duplicate.
func DocumentContentPK(org, sha256Hex string) string { return orgKey(org, "DH", sha256Hex) }

// RecipientPK is the partition of a share recipient.
func RecipientPK(org, userID string) string { return orgKey(org, "R", userID) }

// RecipientSK is the sort key of a share recipient.
const RecipientSK = "R"

// RecipientsByStatusPK is GSI1: an organization's recipients in a status.
func RecipientsByStatusPK(org, status string) string { return orgKey(org, "RS", status) }

// OrgSettingsPK is the partition of an organization's shares settings.
func OrgSettingsPK(org string) string { return orgKey(org, "SETTINGS") }

// OrgSettingsSK is the sort key of an organization's settings.
const OrgSettingsSK = "SETTINGS"

// EntityPK is the id registry item of a share-API id (global: a request
// may name an id of another organization, which must answer 403, not 404).
func EntityPK(id string) string { return "ID#" + id }

// EntitySK is the sort key of an id registry item.
const EntitySK = "ID"

// Expiry (cross-tenant: the sweep knows no tenant).

// ExpiryIndex is the sparse index the expiry sweep reads: only items that
// may still expire carry its keys (EXPPK, EXPSK), so decided ones cost
// nothing, and its partitions are sharded statuses, so one partition never
// takes every tenant's writes.
const ExpiryIndex = "ExpiryIndex"

// ExpiryShards is the number of partitions per status in ExpiryIndex.
const ExpiryShards = 4

// ExpiryKeys are ExpiryIndex's key attributes; an item without them is not
// in the index.
type ExpiryKeys struct {
	EXPPK string `dynamo:",omitempty"`
	EXPSK string `dynamo:",omitempty"`
}

// ExpiryShard spreads ids over the ExpiryShards partitions of a status.
func ExpiryShard(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % ExpiryShards)
}

// RequestsExpiryPK is the ExpiryIndex partition of PENDING access
// requests; the sort key is SortKey(time the sweep next looks, id).
func RequestsExpiryPK(shard int) string { return fmt.Sprintf("EXP#AR#PENDING#%d", shard) }

// RecipientsExpiryPK is the ExpiryIndex partition of share recipients
// waiting in status; the sort key is SortKey(createdAt, userId).
func RecipientsExpiryPK(status string, shard int) string {
	return fmt.Sprintf("EXP#SHARE#%s#%d", status, shard)
}

// Audit trail (append-only; a tenant's or an organization's).
//
//	audit entry   {scope}#AUDIT#{id}  AUDIT  GSI1 {scope}#AG#{agent}#AUDIT, GSI2 {scope}#AUDITT#{type}#{target}, GSI3 {scope}#AUDITA#{actor}, GSI4 {scope}#AUDIT (TTL expiresAt)
//	  its copy per further agent      AUDIT#AG#{agent}  GSI1 {scope}#AG#{agent}#AUDIT only

// TenantScope and OrgScope are the key prefix of an audit trail.
func TenantScope(tenant string) string { return "T#" + tenant }

// OrgScope is the key prefix of an organization's audit trail.
func OrgScope(org string) string { return "O#" + org }

// AuditPK is the partition of one audit entry.
func AuditPK(scope, id string) string { return scope + "#AUDIT#" + id }

// AuditSK is the sort key of an audit entry.
const AuditSK = "AUDIT"

// AuditAgentSK is the sort key of an entry's copy filed under one more
// agent (GSI1 only).
func AuditAgentSK(agent string) string { return "AUDIT#AG#" + agent }

// AuditsPK is GSI4: a scope's audit entries.
func AuditsPK(scope string) string { return scope + "#AUDIT" }

// AuditsByAgentPK is GSI1: the entries of an agent's objects.
func AuditsByAgentPK(scope, agent string) string { return scope + "#AG#" + agent + "#AUDIT" }

// AuditsByTargetPK is GSI2: the entries of one object.
func AuditsByTargetPK(scope, targetType, target string) string {
	return scope + "#AUDITT#" + targetType + "#" + target
}

// AuditsByActorPK is GSI3: the entries of one actor.
func AuditsByActorPK(scope, actor string) string { return scope + "#AUDITA#" + actor }
