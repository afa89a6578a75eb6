package inbound_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/chatkit"
)

// A new sender on each provider: one PENDING request with the normalised
// fields, and the onboarding message delivered once through the real
// dispatcher to the provider's API, addressed as the provider expects.
func TestNewSenderEveryProvider(t *testing.T) {
	w := newWorld(t)
	w.startDispatcher(t)
	tests := []struct {
		provider, to, name, conv string
	}{
		{connectors.Slack, "D0CHAN" + sender(connectors.Slack, 1), "", ""},
		{connectors.Telegram, sender(connectors.Telegram, 1), "Fox Mulder", "Fox Mulder"},
		{connectors.WhatsApp, sender(connectors.WhatsApp, 1), "Monica Reyes", ""},
		{connectors.TwilioSMS, sender(connectors.TwilioSMS, 1), "", ""},
		{connectors.Teams, "a:1conv" + sender(connectors.Teams, 1), "Walter Skinner", ""},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			c := w.byProvider[tt.provider]
			addr := sender(tt.provider, 1)
			res := w.send(t, w.message(tt.provider, addr, eventID(tt.provider, 1)))
			if res.Code != 200 {
				t.Fatalf("webhook: %d %s", res.Code, res.Body)
			}
			if tt.provider == connectors.TwilioSMS && (!strings.Contains(res.Body.String(), "<Response></Response>") || !strings.HasPrefix(res.Header().Get("Content-Type"), "text/xml")) {
				t.Errorf("twilio answer %q %q, want empty TwiML", res.Header().Get("Content-Type"), res.Body)
			}
			var got []accessrequests.AccessRequest
			for _, ar := range w.requests(t, accessrequests.StatusPending) {
				if ar.IntegrationConfigID == c.ID {
					got = append(got, ar)
				}
			}
			if len(got) != 1 {
				t.Fatalf("PENDING requests = %+v, want 1", got)
			}
			ar := got[0]
			if ar.Provider != tt.provider || ar.Address != addr || ar.AgentID != agent || ar.DisplayName != tt.name || ar.ConversationName != tt.conv || ar.MatchedParticipantID != "" {
				t.Errorf("request = %+v", ar)
			}
			ms := w.waitOutbox(t, inbound.KindChatSend, len(w.outboxItems(t, inbound.KindChatSend)))
			for _, m := range ms {
				if m.Status != outbox.StatusSent {
					t.Errorf("outbox %s: %s %s", m.ID, m.Status, m.LastError)
				}
			}
			ds := w.deliveriesTo(tt.to)
			if len(ds) != 1 {
				t.Fatalf("deliveries to %s = %+v, want 1", tt.to, w.standIn.Deliveries())
			}
			d := ds[0]
			if d.Provider != tt.provider || d.Text != onboardingText {
				t.Errorf("delivery = %+v", d)
			}
			switch tt.provider {
			case connectors.Slack, connectors.Telegram:
				if d.Credential != c.Credentials["botToken"] {
					t.Errorf("sent with %q, want the bot token", d.Credential)
				}
			case connectors.WhatsApp:
				if d.Credential != c.Credentials["accessToken"] {
					t.Errorf("sent with %q", d.Credential)
				}
			case connectors.TwilioSMS:
				if d.Credential != c.Credentials["accountSid"] || d.From != twilioNumber {
					t.Errorf("sent as %q from %q, want the account and the number written to", d.Credential, d.From)
				}
			}
		})
	}
}

// tamper describes one forged delivery of a provider.
type tamper struct {
	name string
	make func(w *world, c connectors.Connector) delivery
}

func flip(s string) string {
	b := []byte(s)
	i := strings.Index(s, "hello") // a byte inside the message text
	b[i] ^= 0x20
	return string(b)
}

func tampers() map[string][]tamper {
	other := func(c connectors.Connector, k, v string) connectors.Connector {
		cs := map[string]string{}
		for kk, vv := range c.Credentials {
			cs[kk] = vv
		}
		cs[k] = v
		c.Credentials = cs
		return c
	}
	forged, _ := rsa.GenerateKey(rand.Reader, 2048)
	return map[string][]tamper{
		connectors.Slack: {
			{"flipped body byte", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Slack, "U0EVE", "EvT1")
				d.body = flip(d.body)
				return d
			}},
			{"missing signature", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Slack, "U0EVE", "EvT2")
				d.header.Del("X-Slack-Signature")
				return d
			}},
			{"missing timestamp", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Slack, "U0EVE", "EvT3")
				d.header.Del("X-Slack-Request-Timestamp")
				return d
			}},
			{"wrong secret", func(w *world, c connectors.Connector) delivery {
				return w.slack(other(c, "signingSecret", "another-signing-secret-000000000"), slackBody("U0EVE", "EvT4", "hello"))
			}},
			{"stale timestamp", func(w *world, c connectors.Connector) delivery {
				body := slackBody("U0EVE", "EvT5", "hello")
				ts := strconv.FormatInt(time.Now().Add(-6*time.Minute).Unix(), 10)
				return delivery{"POST", c.WebhookPath(), http.Header{"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {signSlack(c.Credentials["signingSecret"], ts, body)}}, body}
			}},
			{"future timestamp", func(w *world, c connectors.Connector) delivery {
				body := slackBody("U0EVE", "EvT6", "hello")
				ts := strconv.FormatInt(time.Now().Add(6*time.Minute).Unix(), 10)
				return delivery{"POST", c.WebhookPath(), http.Header{"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {signSlack(c.Credentials["signingSecret"], ts, body)}}, body}
			}},
			{"v1 scheme", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Slack, "U0EVE", "EvT7")
				d.header.Set("X-Slack-Signature", strings.Replace(d.header.Get("X-Slack-Signature"), "v0=", "v1=", 1))
				return d
			}},
			{"unsigned url_verification", func(w *world, c connectors.Connector) delivery {
				return delivery{"POST", c.WebhookPath(), http.Header{}, `{"type":"url_verification","challenge":"abc","token":"x"}`}
			}},
		},
		connectors.Telegram: {
			// Telegram signs nothing but the secret header: a changed body
			// with the right header is authentic by Telegram's design.
			{"missing secret header", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Telegram, "5550001", "900001")
				d.header.Del("X-Telegram-Bot-Api-Secret-Token")
				return d
			}},
			{"wrong secret", func(w *world, c connectors.Connector) delivery {
				return w.telegram(other(c, "secretToken", "another-secret"), telegramBody("5550001", "900002", "hello"))
			}},
			{"secret prefix", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Telegram, "5550001", "900003")
				d.header.Set("X-Telegram-Bot-Api-Secret-Token", c.Credentials["secretToken"][:5])
				return d
			}},
		},
		connectors.WhatsApp: {
			{"flipped body byte", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.WhatsApp, "4915100000001", "wamid.T1")
				d.body = flip(d.body)
				return d
			}},
			{"missing signature", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.WhatsApp, "4915100000001", "wamid.T2")
				d.header.Del("X-Hub-Signature-256")
				return d
			}},
			{"wrong secret", func(w *world, c connectors.Connector) delivery {
				return w.whatsApp(other(c, "appSecret", "0000000000000000000000000000000"), whatsAppBody("4915100000001", "wamid.T3", "hello"))
			}},
			{"re-serialised body", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.WhatsApp, "4915100000001", "wamid.T4")
				var v any
				_ = json.Unmarshal([]byte(d.body), &v)
				pretty, _ := json.MarshalIndent(v, "", " ")
				d.body = string(pretty)
				return d
			}},
		},
		connectors.TwilioSMS: {
			{"flipped body byte", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.TwilioSMS, "+15550009999", "SMT1")
				d.body = strings.Replace(d.body, "hello", "hellp", 1)
				return d
			}},
			{"missing signature", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.TwilioSMS, "+15550009999", "SMT2")
				d.header.Del("X-Twilio-Signature")
				return d
			}},
			{"wrong auth token", func(w *world, c connectors.Connector) delivery {
				return w.twilio(other(c, "authToken", "54321"), twilioForm("+15550009999", "SMT3", "hello"))
			}},
			{"signed for another URL", func(w *world, c connectors.Connector) delivery {
				f := twilioForm("+15550009999", "SMT4", "hello")
				return delivery{"POST", c.WebhookPath(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
					"X-Twilio-Signature": {signTwilio(c.Credentials["authToken"], "http://example.com"+c.WebhookPath(), f)}}, f.Encode()}
			}},
			{"added parameter", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.TwilioSMS, "+15550009999", "SMT5")
				d.body += "&Extra=1"
				return d
			}},
		},
		connectors.Teams: {
			{"missing authorization", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Teams, sender(connectors.Teams, 99), "T1")
				d.header.Del("Authorization")
				return d
			}},
			{"wrong aud", func(w *world, c connectors.Connector) delivery {
				return w.teams(c, w.teamsBody(sender(connectors.Teams, 99), "T2", "hello"), map[string]any{"aud": "00000000-0000-4000-8000-000000000000"})
			}},
			{"wrong iss", func(w *world, c connectors.Connector) delivery {
				return w.teams(c, w.teamsBody(sender(connectors.Teams, 99), "T3", "hello"), map[string]any{"iss": "https://sts.windows.net/evil/"})
			}},
			{"expired", func(w *world, c connectors.Connector) delivery {
				return w.teams(c, w.teamsBody(sender(connectors.Teams, 99), "T4", "hello"), map[string]any{"exp": time.Now().Add(-10 * time.Minute).Unix()})
			}},
			{"no exp", func(w *world, c connectors.Connector) delivery {
				return w.teams(c, w.teamsBody(sender(connectors.Teams, 99), "T5", "hello"), map[string]any{"exp": nil})
			}},
			{"alg none", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Teams, sender(connectors.Teams, 99), "T6")
				parts := strings.Split(strings.TrimPrefix(d.header.Get("Authorization"), "Bearer "), ".")
				d.header.Set("Authorization", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."+parts[1]+".")
				return d
			}},
			{"forged signature", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Teams, sender(connectors.Teams, 99), "T7")
				tok := chatkit.SignWith(forged, map[string]any{"iss": chatkit.BotFrameworkIssuer, "aud": c.Credentials["appId"],
					"serviceurl": w.standIn.TeamsServiceURL(), "exp": time.Now().Add(time.Hour).Unix()})
				d.header.Set("Authorization", "Bearer "+tok)
				return d
			}},
			{"serviceUrl changed in the body", func(w *world, c connectors.Connector) delivery {
				d := w.message(connectors.Teams, sender(connectors.Teams, 99), "T8")
				d.body = strings.Replace(d.body, w.standIn.TeamsServiceURL(), "https://evil.example/", 1)
				return d
			}},
			{"token of another bot", func(w *world, c connectors.Connector) delivery {
				return w.teams(other(c, "appId", "11111111-2222-4333-8444-555555555555"), w.teamsBody(sender(connectors.Teams, 99), "T9", "hello"), nil)
			}},
		},
	}
}

// Every forged delivery is 401 and writes nothing at all.
func TestTamperMatrix(t *testing.T) {
	w := newWorld(t)
	for _, p := range connectors.Providers {
		for _, tt := range tampers()[p] {
			t.Run(p+"/"+tt.name, func(t *testing.T) {
				c := w.byProvider[p]
				before := w.items(t)
				res := w.send(t, tt.make(w, c))
				if res.Code != http.StatusUnauthorized {
					t.Errorf("status %d, want 401: %s", res.Code, res.Body)
				}
				if after := w.items(t); after != before {
					t.Errorf("items %d → %d: a forged delivery wrote something", before, after)
				}
			})
		}
	}
	if got := w.requests(t, accessrequests.StatusPending); len(got) != 0 {
		t.Errorf("requests after forgeries: %+v", got)
	}
	// The genuine deliveries the forgeries were made from pass.
	for _, p := range connectors.Providers {
		if res := w.send(t, w.message(p, sender(p, 5), eventID(p, 5))); res.Code != 200 {
			t.Errorf("%s genuine delivery: %d %s", p, res.Code, res.Body)
		}
	}
}

func TestUnknownWebhook(t *testing.T) {
	w := newWorld(t)
	c := w.byProvider[connectors.Telegram]
	tests := []struct{ name, path string }{
		{"unknown key", "/v1/hooks/telegram/" + strings.Repeat("A", connectors.KeyLen)},
		{"malformed key", "/v1/hooks/telegram/abc"},
		{"another provider's key", "/v1/hooks/slack/" + c.WebhookKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := w.message(connectors.Telegram, "1", "1")
			d.path = tt.path
			before := w.items(t)
			if res := w.send(t, d); res.Code != 404 {
				t.Errorf("status %d, want 404", res.Code)
			}
			if w.items(t) != before {
				t.Error("wrote something")
			}
		})
	}
}

// 50 concurrent copies of one signed message and 50 distinct messages of
// the same sender: one PENDING request, one onboarding message, no 5xx.
func TestConcurrentDuplicates(t *testing.T) {
	for _, p := range []string{connectors.Telegram, connectors.Slack} {
		t.Run(p, func(t *testing.T) {
			w := newWorld(t)
			w.startDispatcher(t)
			addr := sender(p, 7)
			var ds []delivery
			first := w.message(p, addr, eventID(p, 1))
			for i := range 50 {
				ds = append(ds, first, w.message(p, addr, eventID(p, 1000+i)))
			}
			var wg sync.WaitGroup
			codes := make([]int, len(ds))
			for i, d := range ds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = w.send(t, d).Code
				}()
			}
			wg.Wait()
			for i, c := range codes {
				if c != 200 {
					t.Errorf("delivery %d: status %d", i, c)
				}
			}
			if got := w.requests(t, accessrequests.StatusPending); len(got) != 1 {
				t.Fatalf("PENDING requests = %d, want 1", len(got))
			}
			w.waitOutbox(t, inbound.KindChatSend, 1)
			time.Sleep(300 * time.Millisecond) // let a stray second delivery show
			to := addr
			if p == connectors.Slack {
				to = "D0CHAN" + addr
			}
			if got := w.deliveriesTo(to); len(got) != 1 {
				t.Errorf("onboarding deliveries = %d, want 1: %+v", len(got), got)
			}
		})
	}
}

// The onboarding message goes out on the sender's first interaction only
// (product docs). Reject, then a new message: a fresh PENDING request and
// no second message; a redelivery of the old message opens nothing.
// Block, then new messages: nothing. Unblock, then a message: a fresh
// request, still no second message. Outbox items are written in the
// webhook's transaction, so counting them right after it answers is exact.
func TestOnboardingOnFirstInteractionOnly(t *testing.T) {
	w := newWorld(t)
	w.startDispatcher(t)
	p := connectors.Telegram
	c := w.byProvider[p]
	addr := sender(p, 3)
	if res := w.send(t, w.message(p, addr, eventID(p, 1))); res.Code != 200 {
		t.Fatal(res.Code)
	}
	first := w.requests(t, accessrequests.StatusPending)
	if len(first) != 1 {
		t.Fatalf("requests = %+v", first)
	}
	w.waitOutbox(t, inbound.KindChatSend, 1)
	if got := w.deliveriesTo(addr); len(got) != 1 || got[0].Text != onboardingText {
		t.Fatalf("first interaction: deliveries %+v, want the onboarding message once", got)
	}
	var mk struct {
		RequestID string `dynamo:"requestId"`
	}
	if err := w.Table.DB.Table(w.Table.Name).Get("PK", store.OnboardedPK(tenant, c.ID, addr)).Range("SK", dynamo.Equal, store.MarkerSK).
		Consistent(true).One(context.Background(), &mk); err != nil || mk.RequestID != first[0].ID {
		t.Fatalf("onboarded marker = %+v, %v; want one naming %s", mk, err, first[0].ID)
	}
	w.decide(t, first[0].ID, "reject", `{"note":"not yet"}`)

	// The provider redelivers the first message: already handled.
	w.send(t, w.message(p, addr, eventID(p, 1)))
	if got := w.requests(t, accessrequests.StatusPending); len(got) != 0 {
		t.Fatalf("a redelivery after reject opened %+v", got)
	}
	w.send(t, w.message(p, addr, eventID(p, 2)))
	second := w.requests(t, accessrequests.StatusPending)
	if len(second) != 1 || second[0].ID == first[0].ID {
		t.Fatalf("after reject + new message: %+v, want one fresh request", second)
	}
	if got := len(w.outboxItems(t, inbound.KindChatSend)); got != 1 {
		t.Errorf("chat.send messages after the re-request = %d, want still 1", got)
	}

	w.decide(t, second[0].ID, "block", `{"note":"spam"}`)
	before := w.items(t)
	for i := range 3 {
		if res := w.send(t, w.message(p, addr, eventID(p, 10+i))); res.Code != 200 {
			t.Errorf("blocked sender's message: %d, want 200 (acknowledged)", res.Code)
		}
	}
	if got := w.requests(t, accessrequests.StatusPending); len(got) != 0 {
		t.Errorf("blocked sender opened %+v", got)
	}
	if after := w.items(t); after != before {
		t.Errorf("items %d → %d: a blocked sender's message wrote something", before, after)
	}

	if res := w.Do(t, "DELETE", "/v1/tenants/"+tenant+"/participantAccessRequests/"+second[0].ID+":block", w.editor, ""); res.Status != 204 {
		t.Fatalf("unblock: %d %s", res.Status, res.Body)
	}
	w.send(t, w.message(p, addr, eventID(p, 20)))
	if third := w.requests(t, accessrequests.StatusPending); len(third) != 1 || third[0].ID == second[0].ID {
		t.Fatalf("after unblock + new message: %+v, want one fresh request", third)
	}
	if got := w.waitOutbox(t, inbound.KindChatSend, 1); len(got) != 1 {
		t.Errorf("chat.send messages = %d, want 1", len(got))
	}
	if got := w.deliveriesTo(addr); len(got) != 1 {
		t.Errorf("onboarding deliveries = %d, want 1 (first interaction only)", len(got))
	}
}

// approve makes the sender a participant bound to the agent.
func (w *world) approve(t testing.TB, provider, addr string) string {
	t.Helper()
	w.seq++
	if res := w.send(t, w.message(provider, addr, eventID(provider, 500000+w.seq))); res.Code != 200 {
		t.Fatal(res.Code)
	}
	var ar accessrequests.AccessRequest
	for _, r := range w.requests(t, accessrequests.StatusPending) {
		if r.Address == addr {
			ar = r
		}
	}
	res := w.Do(t, "POST", "/v1/tenants/"+tenant+"/participantAccessRequests/"+ar.ID+":approve", w.editor, `{"mode":"CREATE_NEW"}`)
	if res.Status != 200 {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
	var out accessrequests.AccessRequest
	_ = json.Unmarshal([]byte(res.Body), &out)
	return out.ApprovedParticipantID
}

// A known, bound sender: accepted with three DynamoDB calls (the webhook
// key's item, read on every delivery so a rotated URL is dead at once;
// the channel; the transaction), lastMessageAt
// recorded on the channel, the event emitted (to the EventBridge stand-in).
func TestKnownSender(t *testing.T) {
	w := newWorld(t)
	for _, p := range connectors.Providers {
		t.Run(p, func(t *testing.T) {
			addr := sender(p, 20)
			pid := w.approve(t, p, addr)
			c := w.byProvider[p]
			before := w.Table.Counter.Calls()
			start := time.Now().UnixMilli()
			res := w.send(t, w.message(p, addr, eventID(p, 901)))
			calls := w.Table.Counter.Calls() - before
			if res.Code != 200 {
				t.Fatalf("webhook: %d %s", res.Code, res.Body)
			}
			if calls > 3 {
				t.Errorf("known sender cost %d DynamoDB calls, want ≤ 3", calls)
			}
			if ci := w.channelIndex(t, c, addr); ci.ParticipantID != pid || ci.LastMessageAt < start {
				t.Errorf("channel index = %+v, want lastMessageAt ≥ %d", ci, start)
			}
			for _, ar := range w.requests(t, accessrequests.StatusPending) {
				if ar.Address == addr {
					t.Errorf("a known sender opened a request: %+v", ar)
				}
			}
			var found bool
			for _, m := range w.outboxItems(t, inbound.KindEventPut) {
				var ev inbound.Event
				_ = json.Unmarshal([]byte(m.Payload), &ev)
				var d inbound.MessageAccepted
				_ = json.Unmarshal(ev.Detail, &d)
				if d.Address == addr && d.EventID == eventID(p, 901) {
					found = true
					if ev.DetailType != "InboundMessageAccepted" || d.ParticipantID != pid || d.IntegrationConfigID != c.ID || d.AgentID != agent || d.Text != "hello from "+addr {
						t.Errorf("event = %s %+v", ev.DetailType, d)
					}
				}
			}
			if !found {
				t.Error("no InboundMessageAccepted event enqueued")
			}
			// A duplicate of the accepted message emits nothing more.
			n := len(w.outboxItems(t, inbound.KindEventPut))
			w.send(t, w.message(p, addr, eventID(p, 901)))
			if got := len(w.outboxItems(t, inbound.KindEventPut)); got != n {
				t.Errorf("a duplicate emitted another event: %d → %d", n, got)
			}
		})
	}
	// The dispatcher publishes the events to EventBridge.
	w.startDispatcher(t)
	// Per provider: AccessRequestCreated, AccessRequestApproved,
	// ParticipantCreated (pkg/audit) and InboundMessageAccepted.
	ms := w.waitOutbox(t, inbound.KindEventPut, 4*len(connectors.Providers))
	for _, m := range ms {
		if m.Status != outbox.StatusSent {
			t.Errorf("event %s: %s %s", m.ID, m.Status, m.LastError)
		}
	}
	accepted := 0
	for _, e := range w.events.all() {
		if e["DetailType"] == "InboundMessageAccepted" {
			accepted++
		}
		if e["Source"] != "gatehouse" || e["EventBusName"] != "gatehouse-test" {
			t.Errorf("entry = %v", e)
		}
	}
	if accepted != len(connectors.Providers) {
		t.Fatalf("InboundMessageAccepted entries = %d, want %d", accepted, len(connectors.Providers))
	}
}

// A participant that is disabled, or bound to another agent only, is not
// let in: its message opens a request matched to it.
func TestKnownButNotAccepted(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name   string
		update func(t *testing.T, pid string)
	}{
		{"disabled", func(t *testing.T, pid string) {
			if err := w.Table.DB.Table(w.Table.Name).Update("PK", store.ParticipantPK(tenant, pid)).Range("SK", store.ParticipantSK).
				Set("disabledAt", time.Now().UnixMilli()).Run(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
		{"unbound", func(t *testing.T, pid string) {
			if err := w.Table.DB.Table(w.Table.Name).Update("PK", store.ParticipantPK(tenant, pid)).Range("SK", store.ParticipantSK).
				SetSet("agentIds", []string{"agent-2"}).Run(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := connectors.Telegram
			addr := sender(p, 40+i)
			pid := w.approve(t, p, addr)
			tt.update(t, pid)
			if res := w.send(t, w.message(p, addr, eventID(p, 950+i))); res.Code != 200 {
				t.Fatal(res.Code)
			}
			var got []accessrequests.AccessRequest
			for _, ar := range w.requests(t, accessrequests.StatusPending) {
				if ar.Address == addr {
					got = append(got, ar)
				}
			}
			if len(got) != 1 || got[0].MatchedParticipantID != pid {
				t.Errorf("requests = %+v, want one matched to %s", got, pid)
			}
		})
	}
}

// Onboarding off: everyone is accepted, nobody gets a message.
func TestOnboardingOff(t *testing.T) {
	w := newWorld(t)
	c := w.connector(t, connectors.Telegram, false)
	addr := sender(connectors.Telegram, 60)
	if res := w.send(t, w.messageOn(c, addr, "777")); res.Code != 200 {
		t.Fatal(res.Code)
	}
	if got := w.requests(t, accessrequests.StatusPending); len(got) != 0 {
		t.Errorf("requests = %+v, want none", got)
	}
	if got := w.outboxItems(t, inbound.KindChatSend); len(got) != 0 {
		t.Errorf("onboarding messages = %+v, want none", got)
	}
	evs := w.outboxItems(t, inbound.KindEventPut)
	if len(evs) != 1 || !strings.Contains(evs[0].Payload, addr) {
		t.Errorf("events = %+v, want one for %s", evs, addr)
	}
}

func TestSlackURLVerificationAndRetries(t *testing.T) {
	w := newWorld(t)
	c := w.byProvider[connectors.Slack]
	res := w.send(t, w.slack(c, `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`))
	if res.Code != 200 || res.Body.String() != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification: %d %q", res.Code, res.Body)
	}
	// A first delivery that carries a retry header (the first attempt never
	// reached us) is processed.
	d := w.message(connectors.Slack, "U0RETRY", "EvRETRY1")
	d.header.Set("X-Slack-Retry-Num", "1")
	d.header.Set("X-Slack-Retry-Reason", "http_timeout")
	if res := w.send(t, d); res.Code != 200 {
		t.Fatal(res.Code)
	}
	if got := w.requests(t, accessrequests.StatusPending); len(got) != 1 || got[0].Address != "U0RETRY" {
		t.Fatalf("requests = %+v, want the retried first delivery's", got)
	}
	before := w.items(t)
	d.header.Set("X-Slack-Retry-Num", "2")
	if res := w.send(t, d); res.Code != 200 {
		t.Fatal(res.Code)
	}
	if w.items(t) != before {
		t.Error("a second retry wrote something")
	}
}

func TestWhatsAppSubscribe(t *testing.T) {
	w := newWorld(t)
	c := w.byProvider[connectors.WhatsApp]
	tests := []struct {
		name, query string
		want        int
		body        string
	}{
		{"match", "hub.mode=subscribe&hub.verify_token=" + url.QueryEscape(c.Credentials["verifyToken"]) + "&hub.challenge=1158201444", 200, "1158201444"},
		{"wrong token", "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", 403, ""},
		{"wrong mode", "hub.mode=unsubscribe&hub.verify_token=" + url.QueryEscape(c.Credentials["verifyToken"]) + "&hub.challenge=1", 403, ""},
		{"no token", "hub.mode=subscribe&hub.challenge=1", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.items(t)
			res := w.post(t, "GET", c.WebhookPath()+"?"+tt.query, nil, "")
			if res.Code != tt.want || (tt.body != "" && res.Body.String() != tt.body) {
				t.Errorf("got %d %q, want %d %q", res.Code, res.Body, tt.want, tt.body)
			}
			if w.items(t) != before {
				t.Error("wrote something")
			}
		})
	}
}

// Authentic deliveries without a user's message are acknowledged and ignored.
func TestIgnoredEvents(t *testing.T) {
	w := newWorld(t)
	s, tg, wa, tm := w.byProvider[connectors.Slack], w.byProvider[connectors.Telegram], w.byProvider[connectors.WhatsApp], w.byProvider[connectors.Teams]
	tests := []struct {
		name string
		d    delivery
	}{
		{"slack bot message", w.slack(s, `{"type":"event_callback","event_id":"EvB1","event":{"type":"message","subtype":"bot_message","bot_id":"B1","channel":"C1","text":"beep","ts":"1.2"}}`)},
		{"slack edit", w.slack(s, `{"type":"event_callback","event_id":"EvB2","event":{"type":"message","subtype":"message_changed","channel":"C1","ts":"1.2"}}`)},
		{"slack join", w.slack(s, `{"type":"event_callback","event_id":"EvB3","event":{"type":"member_joined_channel","user":"U1","channel":"C1"}}`)},
		{"slack rate limit notice", w.slack(s, `{"type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}`)},
		{"telegram edit", w.telegram(tg, `{"update_id":5,"edited_message":{"message_id":1,"from":{"id":1,"is_bot":false,"first_name":"A"},"chat":{"id":1,"type":"private"},"date":1,"text":"x"}}`)},
		{"telegram bot", w.telegram(tg, `{"update_id":6,"message":{"message_id":1,"from":{"id":2,"is_bot":true,"first_name":"B"},"chat":{"id":2,"type":"private"},"date":1,"text":"x"}}`)},
		{"telegram join", w.telegram(tg, `{"update_id":7,"message":{"message_id":1,"from":{"id":3,"is_bot":false,"first_name":"C"},"chat":{"id":-100,"type":"group","title":"G"},"date":1,"new_chat_members":[{"id":3,"is_bot":false,"first_name":"C"}]}}`)},
		{"whatsapp status", w.whatsApp(wa, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.o","status":"read","recipient_id":"111"}]}}]}]}`)},
		{"teams conversationUpdate", w.teams(tm, `{"type":"conversationUpdate","id":"f:1","serviceUrl":"`+w.standIn.TeamsServiceURL()+`","membersAdded":[{"id":"28:bot"}],"conversation":{"id":"a:1"}}`, nil)},
		{"teams typing", w.teams(tm, `{"type":"typing","id":"f:2","serviceUrl":"`+w.standIn.TeamsServiceURL()+`","from":{"id":"29:1","aadObjectId":"x"},"conversation":{"id":"a:1"}}`, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.items(t)
			if res := w.send(t, tt.d); res.Code != 200 {
				t.Errorf("status %d, want 200: %s", res.Code, res.Body)
			}
			if w.items(t) != before {
				t.Error("an ignored event wrote something")
			}
		})
	}
}

func TestMalformedAuthentic(t *testing.T) {
	w := newWorld(t)
	before := w.items(t)
	for name, d := range map[string]delivery{
		"slack not JSON":     w.slack(w.byProvider[connectors.Slack], `{"type":`),
		"telegram no id":     w.telegram(w.byProvider[connectors.Telegram], `{"message":{}}`),
		"whatsapp object":    w.whatsApp(w.byProvider[connectors.WhatsApp], `{"object":"page"}`),
		"twilio no sid":      w.twilio(w.byProvider[connectors.TwilioSMS], url.Values{"From": {"+1555"}}),
		"teams no conv id":   w.teams(w.byProvider[connectors.Teams], `{"type":"message","id":"1","serviceUrl":"`+w.standIn.TeamsServiceURL()+`","from":{"aadObjectId":"x"}}`, nil),
		"slack body too big": w.slack(w.byProvider[connectors.Slack], `{"type":"event_callback","pad":"`+strings.Repeat("x", 1<<20)+`"}`),
	} {
		t.Run(name, func(t *testing.T) {
			if res := w.send(t, d); res.Code != 400 {
				t.Errorf("status %d, want 400: %s", res.Code, res.Body)
			}
		})
	}
	if w.items(t) != before {
		t.Error("malformed deliveries wrote something")
	}
}

// A WhatsApp delivery may batch several messages: each is decided.
func TestWhatsAppBatch(t *testing.T) {
	w := newWorld(t)
	c := w.byProvider[connectors.WhatsApp]
	body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
		`"contacts":[{"profile":{"name":"A"},"wa_id":"111"},{"profile":{"name":"B"},"wa_id":"222"}],` +
		`"messages":[{"from":"111","id":"wamid.a1","type":"text","text":{"body":"hi"}},{"from":"222","id":"wamid.b1","type":"text","text":{"body":"hi"}},{"from":"111","id":"wamid.a2","type":"text","text":{"body":"again"}}]}}]}]}`
	if res := w.send(t, w.whatsApp(c, body)); res.Code != 200 {
		t.Fatal(res.Code)
	}
	got := map[string]string{}
	for _, ar := range w.requests(t, accessrequests.StatusPending) {
		got[ar.Address] = ar.DisplayName
	}
	if len(got) != 2 || got["111"] != "A" || got["222"] != "B" {
		t.Errorf("requests = %v, want one each for 111 (A) and 222 (B)", got)
	}
}

// A store failure answers 5xx so that the provider retries.
func TestStoreFailureIs5xx(t *testing.T) {
	w := newWorld(t)
	d := w.message(connectors.Telegram, "1234", "1")
	w.send(t, w.message(connectors.Telegram, "99", "0")) // warm the connector cache
	if err := w.Table.DB.Table(w.Table.Name).DeleteTable().Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if res := w.send(t, d); res.Code < 500 {
		t.Errorf("status %d, want 5xx", res.Code)
	}
}

func ExampleHookPath() {
	fmt.Println(inbound.HookPath(connectors.TwilioSMS))
	// Output: /v1/hooks/twilio_sms/{key}
}

// The provider's answers decide the onboarding message's fate: 5xx is
// retried with backoff until it goes through; a 4xx (chat not found) fails
// the message at once; so does a connector deleted meanwhile.
func TestOnboardingDeliveryFailures(t *testing.T) {
	w := newWorld(t)
	w.startDispatcher(t)
	p := connectors.Telegram
	tests := []struct {
		name     string
		statuses []int
		status   string
		calls    int
	}{
		{"transient then delivered", []int{503, 502}, outbox.StatusSent, 3},
		{"permanent", []int{400}, outbox.StatusFailed, 1},
	}
	find := func(t *testing.T, want int, id string) outbox.Message {
		for _, x := range w.waitOutbox(t, inbound.KindChatSend, want) {
			if strings.Contains(x.Payload, id) || x.ID == id {
				return x
			}
		}
		t.Fatalf("no outbox message for %s", id)
		return outbox.Message{}
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := w.connector(t, p, true)
			calls := w.standIn.Calls(p)
			w.standIn.FailNext(p, tt.statuses...)
			n := len(w.outboxItems(t, inbound.KindChatSend))
			if res := w.send(t, w.messageOn(c, sender(p, 80+i), eventID(p, 80+i))); res.Code != 200 {
				t.Fatal(res.Code)
			}
			m := find(t, n+1, c.ID)
			if m.Status != tt.status || m.Attempts != tt.calls {
				t.Errorf("outbox %+v, want %s after %d attempts", m, tt.status, tt.calls)
			}
			if got := w.standIn.Calls(p) - calls; got != tt.calls {
				t.Errorf("provider calls = %d, want %d", got, tt.calls)
			}
			if tt.status == outbox.StatusFailed && m.LastError == "" {
				t.Error("no lastError on a FAILED message")
			}
		})
	}
	t.Run("connector deleted", func(t *testing.T) {
		n := len(w.outboxItems(t, inbound.KindChatSend))
		payload, _ := json.Marshal(inbound.ChatSend{IntegrationConfigID: "00000000-0000-4000-8000-00000000dead", Provider: p, ReplyTo: "1", Text: "hi"})
		tx := w.Table.Store.Tx().Join(outbox.Enqueue(outbox.Message{ID: "orphan", Kind: inbound.KindChatSend, Tenant: tenant, Payload: string(payload)}))
		if err := tx.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if m := find(t, n+1, "orphan"); m.Status != outbox.StatusFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "no longer exists") {
			t.Errorf("outbox %+v, want FAILED at once", m)
		}
	})
}
