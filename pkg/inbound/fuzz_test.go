package inbound

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/webhook"
)

// FuzzAcceptedEvent: whatever a provider sent (already parsed), the event
// payload is valid JSON, within EventBridge's size, with valid UTF-8 text.
func FuzzAcceptedEvent(f *testing.F) {
	f.Add("U1", "Ev1", "hello", "Dana", 10)
	f.Add("", "", "", "", 0)
	f.Add("\xff\xfe", "x", string(make([]byte, maxEventText+3)), "\x00", 70000)
	f.Fuzz(func(t *testing.T, addr, eid, text, name string, pad int) {
		if pad > 0 && pad < 200_000 {
			text += string(make([]rune, pad))
		}
		rc := connectors.Resolved{Tenant: "t", Connector: connectors.Connector{ID: "c", Provider: "SLACK", AgentID: "a"}}
		m, err := acceptedEvent(rc, webhook.Message{SenderAddress: addr, EventID: eid, Text: text, DisplayName: name}, "", time.UnixMilli(1))
		if err != nil {
			t.Fatal(err)
		}
		var ev Event
		if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
			t.Fatalf("payload is not JSON: %v", err)
		}
		var d MessageAccepted
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Text) > maxEventText || !utf8.ValidString(d.Text) && utf8.ValidString(text) || len(ev.Detail) > maxDetail || len(m.Payload) > 250_000 {
			t.Fatalf("text of %d bytes, detail of %d, payload of %d", len(d.Text), len(ev.Detail), len(m.Payload))
		}
		if utf8.ValidString(text) && d.TextTruncated == (d.Text == text) {
			t.Fatalf("truncated = %v for %d bytes kept of %d", d.TextTruncated, len(d.Text), len(text))
		}
	})
}

// FuzzTruncate: names are cut to n characters and stay valid UTF-8.
func FuzzTruncate(f *testing.F) {
	f.Add("Dana Scully", 150)
	f.Add("\xff\xfeé", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1000 {
			return
		}
		got := truncate(s, n)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > n {
			t.Fatalf("truncate(%q, %d) = %q", s, n, got)
		}
	})
}
