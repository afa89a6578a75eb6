package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// slackMaxSkew is Slack's documented replay window, applied both ways.
const slackMaxSkew = 5 * time.Minute

// VerifySlack checks Slack's v0 request signature: X-Slack-Signature is
// "v0=" + hex HMAC-SHA256(signingSecret, "v0:" + X-Slack-Request-Timestamp + ":" + body),
// and the timestamp is within five minutes of now.
//
// slack-go's SecretsVerifier does the same but reads the wall clock itself;
// taking now keeps the check testable against Slack's published vector.
func VerifySlack(header http.Header, body []byte, signingSecret string, now time.Time) error {
	if signingSecret == "" {
		return fmt.Errorf("%w: slack signing secret not configured", ErrUnauthenticated)
	}
	ts := header.Get("X-Slack-Request-Timestamp")
	sig := header.Get("X-Slack-Signature")
	if ts == "" || sig == "" {
		return fmt.Errorf("%w: slack signature headers missing", ErrUnauthenticated)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: slack timestamp not a number", ErrUnauthenticated)
	}
	// Compare without subtracting so that absurd timestamps cannot overflow.
	skew := int64(slackMaxSkew / time.Second)
	if n := now.Unix(); sec < n-skew || sec > n+skew {
		return fmt.Errorf("%w: slack timestamp outside the 5 minute window", ErrUnauthenticated)
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok || !equalHMACHex([]byte(signingSecret), hexSig, []byte("v0:"+ts+":"), body) {
		return fmt.Errorf("%w: slack signature mismatch", ErrUnauthenticated)
	}
	return nil
}

type slackEnvelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	EventID   string `json:"event_id"`
	Event     *struct {
		Type    string `json:"type"`
		Subtype string `json:"subtype"`
		BotID   string `json:"bot_id"`
		User    string `json:"user"`
		Channel string `json:"channel"`
		Text    string `json:"text"`
		TS      string `json:"ts"`
	} `json:"event"`
}

// slackUserSubtypes are message subtypes that are still a new message written
// by a person; every other subtype (edits, deletes, joins, bot messages...) is
// ignored.
var slackUserSubtypes = map[string]bool{"": true, "file_share": true, "thread_broadcast": true}

// ParseSlack parses an Events API delivery. url_verification yields
// Result.Challenge; an event_callback holding a user's message yields one
// Message with the event_id as EventID; everything else is ignored.
func ParseSlack(body []byte) (Result, error) {
	var env slackEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Result{}, fmt.Errorf("%w: slack: %v", ErrMalformed, err)
	}
	switch env.Type {
	case "url_verification":
		if env.Challenge == "" {
			return Result{}, fmt.Errorf("%w: slack url_verification without challenge", ErrMalformed)
		}
		return Result{Challenge: env.Challenge}, nil
	case "event_callback":
	case "":
		return Result{}, fmt.Errorf("%w: slack payload without type", ErrMalformed)
	default:
		return ignored(), nil // app_rate_limited and future envelope types
	}
	if env.EventID == "" || env.Event == nil {
		return Result{}, fmt.Errorf("%w: slack event_callback without event_id or event", ErrMalformed)
	}
	ev := env.Event
	if ev.Type != "message" || ev.BotID != "" || !slackUserSubtypes[ev.Subtype] || ev.User == "" {
		return ignored(), nil
	}
	if ev.Channel == "" {
		return Result{}, fmt.Errorf("%w: slack message without channel", ErrMalformed)
	}
	return Result{Messages: []Message{{
		Provider:       ProviderSlack,
		EventID:        env.EventID,
		SenderAddress:  ev.User,
		ConversationID: ev.Channel,
		Text:           ev.Text,
		MessageID:      ev.TS,
		ReplyTo:        ev.Channel,
	}}}, nil
}
