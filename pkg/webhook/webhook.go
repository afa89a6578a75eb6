// Package webhook checks that an inbound webhook really comes from its
// messaging provider and turns the provider's payload into [Message] values.
//
// It is the pure provider layer: no storage, no HTTP routing. A handler reads
// the raw body (bounded), calls the provider's Verify function first, and only
// then the matching Parse function. Verify functions return an error that
// wraps [ErrUnauthenticated] (answer 401), [ErrForbidden] (403, the Meta
// subscription GET) or, for parsers, [ErrMalformed] (400). Any other error
// means the check could not be made (for example the Bot Framework keys could
// not be fetched): answer 5xx so that the provider retries.
//
// Every provider retries or redelivers, so callers dedupe on Message.EventID.
// A retry (Slack's X-Slack-Retry-Num, Twilio's I-Twilio-Idempotency-Token)
// verifies and parses like the first delivery: never drop one for its header
// alone, since the first may never have been processed.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
)

// Provider names, as stored on a connector.
const (
	ProviderSlack     = "SLACK"
	ProviderTeams     = "TEAMS"
	ProviderTelegram  = "TELEGRAM"
	ProviderWhatsApp  = "WHATSAPP"
	ProviderTwilioSMS = "TWILIO_SMS"
)

var (
	// ErrUnauthenticated means a missing, malformed, stale or wrong
	// signature or token (HTTP 401).
	ErrUnauthenticated = errors.New("webhook: unauthenticated")
	// ErrForbidden means the Meta subscription handshake did not match (HTTP 403).
	ErrForbidden = errors.New("webhook: forbidden")
	// ErrMalformed means an authentic request whose payload cannot be used (HTTP 400).
	ErrMalformed = errors.New("webhook: malformed payload")
)

// Message is one inbound chat message, normalised across providers.
type Message struct {
	Provider string // SLACK, TEAMS, TELEGRAM, WHATSAPP or TWILIO_SMS
	// EventID is the provider's delivery id to dedupe on: Slack event_id,
	// Telegram update_id, WhatsApp message id, Twilio MessageSid, Teams activity id.
	EventID string
	// SenderAddress identifies the sender at the provider: Slack user id,
	// Telegram user id, WhatsApp wa_id, E.164 phone number, Teams AAD object id.
	SenderAddress    string
	DisplayName      string
	ConversationID   string
	ConversationName string
	Text             string
	MessageID        string
	ServiceURL       string // Teams only: where replies go
	// ReplyTo is what an outbound reply is addressed to: Slack channel id,
	// Telegram chat id, wa_id, E.164 phone number, Teams conversation id.
	ReplyTo string
}

// Result is what a parser found in one webhook delivery.
type Result struct {
	// Challenge is set for Slack's url_verification; echo it as the body.
	Challenge string
	// Messages are the user messages in the delivery (WhatsApp may batch several).
	Messages []Message
	// Ignored is true when the delivery is authentic but holds nothing to act
	// on (bots, edits, joins, statuses, other event types): acknowledge it.
	Ignored bool
}

func ignored() Result { return Result{Ignored: true} }

// equalHMACHex reports whether gotHex is the hex HMAC-SHA256 of parts under key,
// in constant time.
func equalHMACHex(key []byte, gotHex string, parts ...[]byte) bool {
	mac := hmac.New(sha256.New, key)
	for _, p := range parts {
		mac.Write(p)
	}
	// Compare the lowercase hex the providers send, byte for byte: one
	// accepted spelling per signature.
	want := hex.AppendEncode(nil, mac.Sum(nil))
	return hmac.Equal(want, []byte(gotHex))
}

// equalSecret compares two shared secrets in constant time; hashing first
// keeps the comparison from leaking the configured secret's length.
func equalSecret(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
