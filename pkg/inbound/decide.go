package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/alertmsg"
	"github.com/gatehouse/gatehouse/pkg/chatmsg"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/webhook"
)

// Outbox kinds this package enqueues and handles.
const (
	KindChatSend = chatmsg.Kind
	KindEventPut = "event.put"
)

// EventInboundMessageAccepted is the detail-type of the accepted-message event.
const EventInboundMessageAccepted = "InboundMessageAccepted"

// EventSource is the EventBridge source of gatehouse events.
const EventSource = "gatehouse"

const (
	maxAddress   = 256
	maxEventID   = 1024
	maxName      = 150
	maxRef       = 2048     // reply targets, service URLs, ids
	maxEventText = 64 << 10 // bytes of text in an event
	// maxDetail keeps an event inside EventBridge's 256 KB and its outbox
	// item inside DynamoDB's 400 KB, however the text escapes in JSON.
	maxDetail = 200 << 10
)

// Names of the actions of the webhook transactions (with the outbox's).
const (
	actDedupe      = "dedupe"
	actParticipant = "participant"
	actChannel     = "channel"
	actOnboarded   = "onboarded-marker"
)

// Outcome is what became of one message; tests and logs read it.
type Outcome string

// Outcomes.
const (
	Accepted  Outcome = "accepted"
	Requested Outcome = "requested" // a PENDING request and the onboarding message
	// Rerequested is a PENDING request of a sender who was onboarded
	// before (e.g. rejected): the message goes out on the first
	// interaction only.
	Rerequested Outcome = "rerequested"
	Duplicate   Outcome = "duplicate" // the provider event id was seen before
	Pending     Outcome = "pending"   // the sender already has a PENDING request
	Blocked     Outcome = "blocked"
	Skipped     Outcome = "skipped" // unusable address or event id
	// Flooded: the connector's flood limit for this hour is reached; no
	// request, no message (logged once per hour, not per message).
	Flooded Outcome = "flooded"
	// Cooldown: the sender was rejected less than the connector's
	// rejectCooldownSeconds ago; no request.
	Cooldown Outcome = "cooldown"
)

type dedupeMarker struct {
	PK        string `dynamo:"PK,hash"`
	SK        string `dynamo:"SK,range"`
	EventID   string `dynamo:"eventId"`
	CreatedAt int64  `dynamo:"createdAt"`
	ExpiresAt int64  `dynamo:"expiresAt"` // epoch seconds, the table's TTL attribute
}

// dedupe returns the transaction action claiming m's event id. The
// condition checks expiry itself, since TTL deletion lags.
func (s *Service) dedupe(tenant, connector string, m webhook.Message, now time.Time) store.TxAction {
	mk := dedupeMarker{PK: store.DedupePK(tenant, connector, m.EventID), SK: store.MarkerSK, EventID: m.EventID,
		CreatedAt: now.UnixMilli(), ExpiresAt: now.Add(s.DedupeTTL).Unix()}
	return func(tx *store.Tx) {
		tx.Put(actDedupe, tx.Table().Put(mk).If("attribute_not_exists(PK) OR expiresAt < ?", now.Unix()))
	}
}

// receive decides one message (see the package documentation).
func (s *Service) receive(ctx context.Context, rc connectors.Resolved, m webhook.Message, from string) error {
	if m.SenderAddress == "" || len(m.SenderAddress) > maxAddress || m.EventID == "" || len(m.EventID) > maxEventID ||
		len(m.ReplyTo) > maxRef || len(m.ServiceURL) > maxRef || len(from) > maxAddress {
		s.log.WarnContext(ctx, "inbound message skipped", "provider", m.Provider, "reason", "address, event id or reply target missing or too long")
		return nil
	}
	// A channel can change owner between the read and the write; the
	// transaction then fails its owner condition and the decision reruns.
	// Transaction conflicts (many copies of one message at once) that
	// outlast the SDK's retries rerun too: a provider should not see a 5xx.
	out, err := rerun(ctx, decideAttempts, rerunDelay, func() (Outcome, error) { return s.decide(ctx, rc, m, from) })
	if err != nil {
		return err
	}
	if out == Flooded {
		return nil // one warning per hour instead (tripFlood)
	}
	s.log.InfoContext(ctx, "inbound message", "tenant", rc.Tenant, "integrationConfigId", rc.Connector.ID,
		"provider", m.Provider, "address", m.SenderAddress, "outcome", string(out))
	return nil
}

// decideAttempts bounds the reruns of one decision.
const decideAttempts = 6

// rerunDelay is a short jittered pause that grows per attempt, so that
// concurrent copies of one message spread out.
func rerunDelay(attempt int) time.Duration {
	return time.Duration(10+rand.IntN(40*(attempt+1))) * time.Millisecond
}

// rerun calls decide up to attempts times while it fails with a channel
// that moved or a transaction conflict, pausing delay(attempt) in
// between. A done ctx ends a pause at once: the provider has gone.
func rerun(ctx context.Context, attempts int, delay func(attempt int) time.Duration, decide func() (Outcome, error)) (Outcome, error) {
	var err error
	for attempt := range attempts {
		var out Outcome
		out, err = decide()
		if !errors.Is(err, errChannelMoved) && !errors.Is(err, errOnboardedMoved) && !isTxConflict(err) {
			return out, err
		}
		if attempt == attempts-1 {
			break
		}
		t := time.NewTimer(delay(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
	}
	return "", err
}

// isTxConflict reports a transaction cancelled only by concurrent
// transactions on the same items.
func isTxConflict(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	conflict := false
	for _, r := range tce.CancellationReasons {
		if r.Code == nil {
			continue
		}
		switch *r.Code {
		case "TransactionConflict":
			conflict = true
		case "None":
		default:
			return false
		}
	}
	return conflict
}

var (
	errChannelMoved = errors.New("inbound: the channel changed owner concurrently")
	// errOnboardedMoved: the sender was onboarded between the marker read
	// and the write; the rerun opens the request without the message.
	errOnboardedMoved = errors.New("inbound: the sender was onboarded concurrently")
	errNotAccepted    = errors.New("inbound: sender not accepted")
)

func (s *Service) decide(ctx context.Context, rc connectors.Resolved, m webhook.Message, from string) (Outcome, error) {
	t, c := rc.Tenant, rc.Connector
	owner, err := s.channelOwner(ctx, t, c.ID, m.SenderAddress)
	if err != nil {
		return "", err
	}
	now := s.now()
	if !c.Onboarding.Enabled {
		return s.accept(ctx, rc, m, owner, false, now)
	}
	if owner != "" {
		out, err := s.accept(ctx, rc, m, owner, true, now)
		if !errors.Is(err, errNotAccepted) {
			return out, err
		}
	}
	return s.requestAccess(ctx, rc, m, owner, from, now)
}

// channelOwner is the participant owning the sender's channel, or "".
func (s *Service) channelOwner(ctx context.Context, tenant, connector, address string) (string, error) {
	owner, err := s.roster.ChannelOwner(ctx, tenant, connector, address)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("inbound: %w", err)
	}
	return owner, nil
}

// accept writes, in one transaction: the dedupe marker, (when the sender
// must be a bound participant) a check of the participant, lastMessageAt
// on the channel, and the event. errNotAccepted when the participant check
// fails.
func (s *Service) accept(ctx context.Context, rc connectors.Resolved, m webhook.Message, owner string, mustBeBound bool, now time.Time) (Outcome, error) {
	t, c := rc.Tenant, rc.Connector
	ev, err := acceptedEvent(rc, m, owner, now)
	if err != nil {
		return "", err
	}
	tx := s.store.Tx().Join(s.dedupe(t, c.ID, m, now))
	if mustBeBound {
		tx.Check(actParticipant, s.table.Check("PK", store.ParticipantPK(t, owner)).Range("SK", store.ParticipantSK).
			If("attribute_exists(PK) AND (attribute_not_exists(disabledAt) OR disabledAt = ?) AND contains(agentIds, ?)", 0, c.AgentID))
	}
	if owner != "" {
		tx.Update(actChannel, s.table.Update("PK", store.ChannelPK(t, c.ID, m.SenderAddress)).Range("SK", store.MarkerSK).
			Set("lastMessageAt", now.UnixMilli()).If("participantId = ?", owner))
	}
	err = tx.Join(outbox.Enqueue(ev)).Run(ctx)
	switch {
	case err == nil:
		return Accepted, nil
	case store.ConditionFailed(err, actDedupe):
		return Duplicate, nil
	case store.ConditionFailed(err, actParticipant):
		return "", errNotAccepted
	case store.ConditionFailed(err, actChannel):
		return "", errChannelMoved
	case store.ConditionFailed(err, outbox.ActionName(ev.ID)):
		return Duplicate, nil // the event of this provider event id exists
	}
	return "", fmt.Errorf("inbound: accept: %w", err)
}

// requestAccess opens a PENDING request, with the onboarding message on
// the sender's first interaction only (the product docs): the onboarded
// marker is written in the transaction that opens the first request.
func (s *Service) requestAccess(ctx context.Context, rc connectors.Resolved, m webhook.Message, matched, from string, now time.Time) (Outcome, error) {
	t, c := rc.Tenant, rc.Connector
	// A cheap read first: repeat messages of a waiting or blocked sender
	// (the common case) need no transaction and contend on nothing.
	held, err := s.markers(ctx, t, c.ID, m.SenderAddress, now)
	switch {
	case err != nil:
		return "", err
	case held.blocked:
		return Blocked, nil
	case held.pending:
		return Pending, nil
	case inCooldown(c, held.rejectedAt, now):
		return Cooldown, nil
	case held.floodTripped:
		return Flooded, nil // the hour is full: no counter write
	}
	if limit := c.FloodLimitPerHour(); limit > 0 {
		err := s.reserveFlood(ctx, t, c.ID, limit, now)
		if errors.Is(err, errFloodLimit) {
			return Flooded, s.tripFlood(ctx, rc, limit, now)
		}
		if err != nil {
			return "", err
		}
		out, err := s.openRequest(ctx, rc, m, matched, from, held, now)
		if out != Requested && out != Rerequested && (err == nil || definitelyNotCreated(err)) {
			s.releaseFlood(ctx, t, c.ID, now)
		}
		return out, err
	}
	return s.openRequest(ctx, rc, m, matched, from, held, now)
}

// openRequest writes the PENDING request, its markers and (first
// interaction only) the onboarding message in one transaction.
func (s *Service) openRequest(ctx context.Context, rc connectors.Resolved, m webhook.Message, matched, from string, held heldMarkers, now time.Time) (Outcome, error) {
	t, c := rc.Tenant, rc.Connector
	ar := accessrequests.AccessRequest{
		ID: uuid.NewString(), IntegrationConfigID: c.ID, Provider: c.Provider, Address: m.SenderAddress, AgentID: c.AgentID,
		MatchedParticipantID: matched, DisplayName: truncate(m.DisplayName, maxName), ConversationName: truncate(m.ConversationName, maxName),
		ReplyTo: m.ReplyTo, ServiceURL: m.ServiceURL, ReplyFrom: from, // where a decision message goes
		CreatedAt: now.UnixMilli(), ModifiedAt: now.UnixMilli(),
	}
	payload, err := json.Marshal(ChatSend{
		IntegrationConfigID: c.ID, Provider: c.Provider, ReplyTo: m.ReplyTo, ServiceURL: m.ServiceURL, From: from, Text: c.Onboarding.Message,
	})
	if err != nil {
		return "", err
	}
	onboarding := outbox.Message{
		// Derived from the request: the message can never be enqueued twice.
		ID: "onboarding-" + ar.ID, Kind: KindChatSend, Tenant: t, Payload: string(payload),
		CreatedAt: now.UnixMilli(), ModifiedAt: now.UnixMilli(),
	}
	// The approvers' alert (pkg/alerts): one more write, no read here.
	alert := alertmsg.Enqueue(alertmsg.Payload{Tenant: t, AgentID: c.AgentID, RequestID: ar.ID, CreatedAt: ar.CreatedAt})
	extra, out := []store.TxAction{s.dedupe(t, c.ID, m, now), alert}, Rerequested
	if !held.onboarded {
		mk := onboardedMarker{PK: store.OnboardedPK(t, c.ID, m.SenderAddress), SK: store.MarkerSK, RequestID: ar.ID, CreatedAt: now.UnixMilli()}
		extra = append(extra, outbox.Enqueue(onboarding), func(tx *store.Tx) {
			tx.Put(actOnboarded, tx.Table().Put(mk).If("attribute_not_exists(PK)"))
		})
		out = Requested
	}
	err = s.requests.CreateAccessRequest(ctx, t, accessrequests.NewPendingRequest{Request: ar, Extra: extra})
	var pe *accessrequests.PendingExistsError
	switch {
	case err == nil:
		return out, nil
	case store.ConditionFailed(err, actOnboarded):
		return "", errOnboardedMoved
	case errors.As(err, &pe):
		return Pending, nil
	case errors.Is(err, accessrequests.ErrBlocked):
		return Blocked, nil
	case errors.Is(err, store.ErrConflict):
		// Only the dedupe marker can fail otherwise: a repeat of an event
		// already handled (e.g. before a rejection).
		return Duplicate, nil
	}
	return "", fmt.Errorf("inbound: create access request: %w", err)
}

// onboardedMarker records that a sender was sent the onboarding message
// (with the request that sent it).
type onboardedMarker struct {
	PK        string `dynamo:"PK,hash"`
	SK        string `dynamo:"SK,range"`
	RequestID string `dynamo:"requestId"`
	CreatedAt int64  `dynamo:"createdAt"`
}

// heldMarkers are the sender's markers on a connector, and whether the
// connector's flood guard tripped this hour.
type heldMarkers struct {
	pending, blocked, onboarded bool
	rejectedAt                  int64 // epoch ms of the last reject, 0 if none
	floodTripped                bool
}

// markers reads the sender's pending, block, onboarded and rejected
// markers and the connector's flood marker of the hour in one call.
func (s *Service) markers(ctx context.Context, tenant, connector, address string, now time.Time) (heldMarkers, error) {
	var got []struct {
		PK         string `dynamo:"PK"`
		RejectedAt int64  `dynamo:"rejectedAt"`
	}
	pending, block, onboarded := store.PendingPK(tenant, connector, address), store.BlockPK(tenant, connector, address), store.OnboardedPK(tenant, connector, address)
	rejected, flood := store.RejectedPK(tenant, connector, address), store.FloodPK(tenant, connector, floodHour(now))
	err := s.table.Batch("PK", "SK").Get(dynamo.Keys{pending, store.MarkerSK}, dynamo.Keys{block, store.MarkerSK}, dynamo.Keys{onboarded, store.MarkerSK},
		dynamo.Keys{rejected, store.MarkerSK}, dynamo.Keys{flood, store.FloodTrippedSK}).
		Consistent(true).All(ctx, &got)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return heldMarkers{}, fmt.Errorf("inbound: marker lookup: %w", err)
	}
	var h heldMarkers
	for _, g := range got {
		switch g.PK {
		case block:
			h.blocked = true
		case pending:
			h.pending = true
		case onboarded:
			h.onboarded = true
		case rejected:
			h.rejectedAt = g.RejectedAt
		case flood:
			h.floodTripped = true
		}
	}
	return h, nil
}

func truncate(s string, n int) string {
	if !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// ChatSend is the payload of a "chat.send" outbox message.
type ChatSend = chatmsg.Payload

// Event is the payload of an "event.put" outbox message.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
}

// MessageAccepted is the detail of an InboundMessageAccepted event.
type MessageAccepted struct {
	Tenant              string `json:"tenant"`
	IntegrationConfigID string `json:"integrationConfigId"`
	Provider            string `json:"provider"`
	AgentID             string `json:"agentId"`
	ParticipantID       string `json:"participantId,omitempty"` // "" when onboarding is off and the sender is unknown
	Address             string `json:"address"`
	DisplayName         string `json:"displayName,omitempty"`
	ConversationID      string `json:"conversationId,omitempty"`
	ConversationName    string `json:"conversationName,omitempty"`
	Text                string `json:"text"`
	TextTruncated       bool   `json:"textTruncated,omitempty"`
	MessageID           string `json:"messageId,omitempty"`
	EventID             string `json:"eventId"`
	ReplyTo             string `json:"replyTo,omitempty"`
	ServiceURL          string `json:"serviceUrl,omitempty"`
	ReceivedAt          int64  `json:"receivedAt"`
}

func acceptedEvent(rc connectors.Resolved, m webhook.Message, participant string, now time.Time) (outbox.Message, error) {
	d := MessageAccepted{
		Tenant: rc.Tenant, IntegrationConfigID: rc.Connector.ID, Provider: rc.Connector.Provider, AgentID: rc.Connector.AgentID,
		ParticipantID: participant, Address: m.SenderAddress, DisplayName: truncate(m.DisplayName, maxName),
		ConversationID: truncateBytes(m.ConversationID, maxRef), ConversationName: truncate(m.ConversationName, maxName),
		Text: m.Text, MessageID: truncateBytes(m.MessageID, maxRef), EventID: m.EventID,
		ReplyTo: m.ReplyTo, ServiceURL: m.ServiceURL, ReceivedAt: now.UnixMilli(),
	}
	if len(d.Text) > maxEventText {
		d.Text, d.TextTruncated = truncateBytes(d.Text, maxEventText), true
	}
	detail, err := json.Marshal(d)
	// Text that escapes to more than it weighs (control characters) is
	// cut further until the event fits.
	for err == nil && len(detail) > maxDetail {
		d.Text, d.TextTruncated = truncateBytes(d.Text, len(d.Text)/2), true
		detail, err = json.Marshal(d)
	}
	if err != nil {
		return outbox.Message{}, err
	}
	payload, err := json.Marshal(Event{Source: EventSource, DetailType: EventInboundMessageAccepted, Detail: detail})
	if err != nil {
		return outbox.Message{}, err
	}
	// One event per provider event id, like the dedupe marker.
	sum := sha256.Sum256([]byte(rc.Tenant + "\x00" + rc.Connector.ID + "\x00" + m.EventID))
	return outbox.Message{
		ID: "event-" + base64.RawURLEncoding.EncodeToString(sum[:]), Kind: KindEventPut, Tenant: rc.Tenant,
		Payload: string(payload), CreatedAt: now.UnixMilli(), ModifiedAt: now.UnixMilli(),
	}, nil
}

// truncateBytes cuts s to at most n bytes on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
