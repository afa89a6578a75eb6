package inbound_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// patchConnector PATCHes a connector's settings through the API.
func (w *world) patchConnector(t testing.TB, c connectors.Connector, body string) connectors.View {
	t.Helper()
	res := w.Do(t, "PATCH", "/v1/tenants/"+tenant+"/integrations/"+connectors.IntegrationID(c.Provider)+"/configs/"+c.ID, w.admin, body)
	if res.Status != http.StatusOK {
		t.Fatalf("patch connector: %d %s", res.Status, res.Body)
	}
	var v connectors.View
	if err := json.Unmarshal([]byte(res.Body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// pendingOn lists the PENDING requests of one connector.
func (w *world) pendingOn(t testing.TB, c connectors.Connector) []accessrequests.AccessRequest {
	t.Helper()
	var out []accessrequests.AccessRequest
	for _, r := range w.requests(t, accessrequests.StatusPending) {
		if r.IntegrationConfigID == c.ID {
			out = append(out, r)
		}
	}
	return out
}

// outboxOf returns the outbox messages of kind whose payload names c.
func (w *world) outboxOf(t testing.TB, kind string, c connectors.Connector, detailType string) []outbox.Message {
	t.Helper()
	var out []outbox.Message
	for _, m := range w.outboxItems(t, kind) {
		var p struct {
			IntegrationConfigID string          `json:"integrationConfigId"`
			DetailType          string          `json:"detailType"`
			Detail              json.RawMessage `json:"detail"`
		}
		_ = json.Unmarshal([]byte(m.Payload), &p)
		if kind == inbound.KindEventPut {
			var d struct {
				IntegrationConfigID string `json:"integrationConfigId"`
			}
			_ = json.Unmarshal(p.Detail, &d)
			p.IntegrationConfigID = d.IntegrationConfigID
		}
		if p.IntegrationConfigID == c.ID && (detailType == "" || p.DetailType == detailType) {
			out = append(out, m)
		}
	}
	return out
}

// hourOf is the flood guard's window of t (the clock hour).
func hourOf(t time.Time) int64 { return t.Unix() / 3600 }

// New senders arriving all at once: exactly the limit of requests and
// onboarding messages, every delivery acknowledged, one event per hour.
func TestFloodGuard(t *testing.T) {
	w := newWorld(t)
	w.startDispatcher(t)
	p := connectors.Telegram
	tests := []struct {
		name       string
		patch      string // "" keeps the default (100)
		senders    int
		wantLimit  int
		wantOpened int
		wantEvents int
	}{
		{"default 100, 150 concurrent new senders", "", 150, 100, 100, 1},
		{"limit 2, 3 new senders", `{"floodLimitPerHour":2}`, 3, 2, 2, 1},
		{"0 is no limit", `{"floodLimitPerHour":0}`, 30, 0, 30, 0},
	}
	base, crossed := 0, false
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := w.connector(t, p, true)
			if tt.patch != "" {
				if v := w.patchConnector(t, c, tt.patch); v.FloodLimitPerHour != tt.wantLimit {
					t.Fatalf("view floodLimitPerHour = %d, want %d", v.FloodLimitPerHour, tt.wantLimit)
				}
			}
			start := time.Now()
			var wg sync.WaitGroup
			codes := make([]int, tt.senders)
			for i := range tt.senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = w.send(t, w.messageOn(c, sender(p, base+i), eventID(p, base+i))).Code
				}()
			}
			wg.Wait()
			if hourOf(start) != hourOf(time.Now()) {
				crossed = true
				t.Skip("the flood crossed a clock hour: two windows")
			}
			for i, code := range codes {
				if code != http.StatusOK {
					t.Errorf("delivery %d: %d, want 200 (acknowledged)", i, code)
				}
			}
			// One more new sender after the flood: still refused, no second event.
			w.send(t, w.messageOn(c, sender(p, base+tt.senders), eventID(p, base+tt.senders)))
			want := tt.wantOpened
			if tt.wantLimit == 0 {
				want++ // no limit: the extra sender gets in too
			}
			base += tt.senders + 1

			if got := len(w.pendingOn(t, c)); got != want {
				t.Errorf("PENDING requests = %d, want %d", got, want)
			}
			if got := len(w.outboxOf(t, inbound.KindChatSend, c, "")); got != want {
				t.Errorf("onboarding messages = %d, want %d", got, want)
			}
			events := w.outboxOf(t, inbound.KindEventPut, c, inbound.EventFloodGuardTripped)
			if len(events) != tt.wantEvents {
				t.Fatalf("%s events = %d, want %d", inbound.EventFloodGuardTripped, len(events), tt.wantEvents)
			}
			if tt.wantEvents == 0 {
				return
			}
			var ev inbound.Event
			var d inbound.FloodGuardTripped
			if err := json.Unmarshal([]byte(events[0].Payload), &ev); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(ev.Detail, &d); err != nil || d.LimitPerHour != tt.wantLimit || d.AgentID != agent ||
				d.WindowEnd-d.WindowStart != 3600*1000 || d.TrippedAt < d.WindowStart || d.TrippedAt >= d.WindowEnd {
				t.Errorf("event detail = %+v (%v)", d, err)
			}
			var counter struct {
				N int `dynamo:"n"`
			}
			err := w.Table.DB.Table(w.Table.Name).Get("PK", store.FloodPK(tenant, c.ID, hourOf(start))).Range("SK", dynamo.Equal, store.FloodCountSK).
				Consistent(true).One(context.Background(), &counter)
			if err != nil || counter.N != tt.wantLimit {
				t.Errorf("counter = %d (%v), want %d", counter.N, err, tt.wantLimit)
			}
		})
	}
	if crossed {
		return // the totals below assume one window per connector
	}
	// Every onboarding message and the events reach the providers.
	w.waitOutbox(t, inbound.KindChatSend, 100+2+31)
	// The two FloodGuardTripped events and an AccessRequestCreated per request (pkg/audit).
	w.waitOutbox(t, inbound.KindEventPut, 2+100+2+31)
	got := 0
	for _, e := range w.events.all() {
		if e["DetailType"] == inbound.EventFloodGuardTripped {
			got++
		}
	}
	if got != 2 {
		t.Errorf("events at EventBridge = %d, want 2 (one per flooded connector)", got)
	}
}

// A sender who is already waiting, or known, is not a new request: a
// flooded hour does not touch them.
func TestFloodGuardSparesPendingSenders(t *testing.T) {
	w := newWorld(t)
	p := connectors.Telegram
	c := w.connector(t, p, true)
	w.patchConnector(t, c, `{"floodLimitPerHour":1}`)
	w.send(t, w.messageOn(c, sender(p, 1), eventID(p, 1)))
	w.send(t, w.messageOn(c, sender(p, 2), eventID(p, 2))) // trips
	// A new sender in a flooded hour costs the reads only: the webhook key,
	// the channel, the markers (the hour's tripped marker among them).
	calls := w.Table.Counter.Calls()
	w.send(t, w.messageOn(c, sender(p, 9), eventID(p, 9)))
	if got := w.Table.Counter.Calls() - calls; got != 3 {
		t.Errorf("a flooded new sender cost %d DynamoDB calls, want 3 (no write)", got)
	}
	before := w.items(t)
	for i := range 3 {
		if res := w.send(t, w.messageOn(c, sender(p, 1), eventID(p, 10+i))); res.Code != 200 {
			t.Errorf("pending sender: %d", res.Code)
		}
		if res := w.send(t, w.messageOn(c, sender(p, 3+i), eventID(p, 20+i))); res.Code != 200 {
			t.Errorf("flooded sender: %d", res.Code)
		}
	}
	if after := w.items(t); after != before {
		t.Errorf("items %d → %d: messages in a flooded hour wrote something", before, after)
	}
	if got := w.pendingOn(t, c); len(got) != 1 || got[0].Address != sender(p, 1) {
		t.Errorf("PENDING = %+v, want only the first sender's", got)
	}
}

// After a reject the sender opens no new request until the connector's
// cooldown has passed; without one the next message does.
func TestRejectCooldown(t *testing.T) {
	w := newWorld(t)
	p := connectors.Telegram
	tests := []struct {
		name     string
		cooldown int
		// elapsed is how long ago the reject is made to look (the
		// marker's time is moved back instead of waiting).
		elapsed    time.Duration
		wantReopen bool
	}{
		{"no cooldown", 0, 0, true},
		{"within the cooldown", 3600, 0, false},
		// A minute, not a second: the clock runs on while the webhook is
		// served, and on two busy cores that took over a second.
		{"within, a minute left", 3600, 3540 * time.Second, false},
		{"after the cooldown", 3600, 3601 * time.Second, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := w.connector(t, p, true)
			if v := w.patchConnector(t, c, fmt.Sprintf(`{"rejectCooldownSeconds":%d}`, tt.cooldown)); v.RejectCooldownSeconds != tt.cooldown {
				t.Fatalf("view rejectCooldownSeconds = %d", v.RejectCooldownSeconds)
			}
			addr := sender(p, 100+i)
			w.send(t, w.messageOn(c, addr, eventID(p, 1000+10*i)))
			first := w.pendingOn(t, c)
			if len(first) != 1 {
				t.Fatalf("first request: %+v", first)
			}
			w.decide(t, first[0].ID, "reject", `{}`)
			var mk accessrequests.RejectedMarker
			tbl := w.Table.DB.Table(w.Table.Name)
			if err := tbl.Get("PK", store.RejectedPK(tenant, c.ID, addr)).Range("SK", dynamo.Equal, store.MarkerSK).Consistent(true).One(context.Background(), &mk); err != nil || mk.RequestID != first[0].ID {
				t.Fatalf("rejected marker = %+v, %v", mk, err)
			}
			if tt.elapsed > 0 {
				if err := tbl.Update("PK", mk.PK).Range("SK", mk.SK).Set("rejectedAt", mk.RejectedAt-tt.elapsed.Milliseconds()).Run(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if res := w.send(t, w.messageOn(c, addr, eventID(p, 1000+10*i+1))); res.Code != 200 {
				t.Fatalf("message after reject: %d, want 200 (acknowledged)", res.Code)
			}
			got := w.pendingOn(t, c)
			if reopened := len(got) == 1 && got[0].ID != first[0].ID; reopened != tt.wantReopen || len(got) > 1 {
				t.Errorf("after reject: PENDING %+v, want reopened %v", got, tt.wantReopen)
			}
			if n := len(w.outboxOf(t, inbound.KindChatSend, c, "")); n != 1 {
				t.Errorf("onboarding messages = %d, want 1 (first interaction only)", n)
			}
		})
	}
}
