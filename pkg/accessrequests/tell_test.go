package accessrequests_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/chatmsg"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
)

// seedConnector stores a connector of provider on agent-1 with the given
// decision messages.
func seedConnector(t *testing.T, w *world, provider, approved, rejected string) connectors.Connector {
	t.Helper()
	c := connectors.Connector{ID: uuid.NewString(), Provider: provider, AgentID: "agent-1", DisplayName: "bot",
		Onboarding: connectors.Onboarding{Enabled: true, Message: "hi"}, ApprovedMessage: approved, RejectedMessage: rejected,
		Credentials: map[string]string{}, CreatedAt: 1, ModifiedAt: 1}
	if err := connectors.NewRepo(w.Platform.Store).Create(context.Background(), tenant, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// chatSends are every chat.send message in the test's table (a table of
// its own, so a Scan sees exactly this test's messages).
func chatSends(t *testing.T, w *world) []chatmsg.Payload {
	t.Helper()
	var msgs []outbox.Message
	if err := w.Platform.Store.Table().Scan().Filter("kind = ?", chatmsg.Kind).All(context.Background(), &msgs); err != nil {
		t.Fatal(err)
	}
	out := make([]chatmsg.Payload, len(msgs))
	for i, m := range msgs {
		if err := json.Unmarshal([]byte(m.Payload), &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestDecisionMessages(t *testing.T) {
	tests := []struct {
		name               string
		provider           string
		approved, rejected string
		stored             accessrequests.AccessRequest // reply fields the webhook stored
		verb               string
		want               *chatmsg.Payload // nil: no message
	}{
		{name: "approve sends approvedMessage", provider: connectors.Slack, approved: "You're in!", rejected: "Not now.",
			stored: accessrequests.AccessRequest{ReplyTo: "D123"}, verb: "approve",
			want: &chatmsg.Payload{Provider: connectors.Slack, ReplyTo: "D123", Text: "You're in!"}},
		{name: "reject sends rejectedMessage", provider: connectors.Slack, approved: "You're in!", rejected: "Not now.",
			stored: accessrequests.AccessRequest{ReplyTo: "D123"}, verb: "reject",
			want: &chatmsg.Payload{Provider: connectors.Slack, ReplyTo: "D123", Text: "Not now."}},
		{name: "block sends nothing", provider: connectors.Slack, approved: "You're in!", rejected: "Not now.",
			stored: accessrequests.AccessRequest{ReplyTo: "D123"}, verb: "block"},
		{name: "approve without approvedMessage sends nothing", provider: connectors.Slack, rejected: "Not now.",
			stored: accessrequests.AccessRequest{ReplyTo: "D123"}, verb: "approve"},
		{name: "reject without rejectedMessage sends nothing", provider: connectors.Telegram, approved: "You're in!",
			verb: "reject"},
		{name: "no stored target: the address", provider: connectors.Telegram, approved: "Welcome", verb: "approve",
			stored: accessrequests.AccessRequest{Address: "4242"},
			want:   &chatmsg.Payload{Provider: connectors.Telegram, ReplyTo: "4242", Text: "Welcome"}},
		{name: "twilio replies from the number written to", provider: connectors.TwilioSMS, rejected: "Sorry", verb: "reject",
			stored: accessrequests.AccessRequest{Address: "+15550001111", ReplyTo: "+15550001111", ReplyFrom: "+15559990000"},
			want:   &chatmsg.Payload{Provider: connectors.TwilioSMS, ReplyTo: "+15550001111", From: "+15559990000", Text: "Sorry"}},
		{name: "twilio without the number written to sends nothing", provider: connectors.TwilioSMS, rejected: "Sorry", verb: "reject",
			stored: accessrequests.AccessRequest{Address: "+15550001111"}},
		{name: "teams replies into the conversation", provider: connectors.Teams, approved: "Hello", verb: "approve",
			stored: accessrequests.AccessRequest{ReplyTo: "a:1conv", ServiceURL: "https://smba.trafficmanager.net/emea/"},
			want:   &chatmsg.Payload{Provider: connectors.Teams, ReplyTo: "a:1conv", ServiceURL: "https://smba.trafficmanager.net/emea/", Text: "Hello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			c := seedConnector(t, w, tt.provider, tt.approved, tt.rejected)
			ar := tt.stored
			ar.IntegrationConfigID, ar.Provider = c.ID, c.Provider
			ar = w.SeedRequest(t, tenant, ar)
			if res := w.Do(t, "POST", path(ar.ID+":"+tt.verb), w.tokens["editor"], "{}"); res.Status != 200 {
				t.Fatalf("%s: %d %s", tt.verb, res.Status, res.Body)
			}
			got := chatSends(t, w)
			if tt.want == nil {
				if len(got) != 0 {
					t.Fatalf("messages = %+v, want none", got)
				}
				return
			}
			want := *tt.want
			want.IntegrationConfigID = c.ID
			if len(got) != 1 || got[0] != want {
				t.Fatalf("messages = %+v, want [%+v]", got, want)
			}
		})
	}
}

// TestDecisionMessageOnce races an approve and a reject (and repeats
// both): one decision wins and the sender hears exactly its outcome.
func TestDecisionMessageOnce(t *testing.T) {
	w := newWorld(t)
	c := seedConnector(t, w, connectors.Slack, "You're in!", "Not now.")
	ar := w.SeedRequest(t, tenant, accessrequests.AccessRequest{IntegrationConfigID: c.ID, Provider: c.Provider, ReplyTo: "D1"})
	verbs := []string{"approve", "reject", "approve", "reject"}
	statuses := make([]int, len(verbs))
	var wg sync.WaitGroup
	for i, v := range verbs {
		wg.Go(func() { statuses[i] = w.Do(t, "POST", path(ar.ID+":"+v), w.tokens["editor"], "{}").Status })
	}
	wg.Wait()
	won := 0
	for i, s := range statuses {
		switch s {
		case 200:
			won++
		case 400, 409:
		default:
			t.Errorf("%s: status %d", verbs[i], s)
		}
	}
	final := decode(t, w.Do(t, "GET", path(ar.ID), w.tokens["editor"], "").Body)["status"]
	want := map[any]string{"APPROVED": "You're in!", "REJECTED": "Not now."}[final]
	got := chatSends(t, w)
	if won != 1 || len(got) != 1 || got[0].Text != want {
		t.Fatalf("winners %d (statuses %v), final %v, messages %+v; want one winner and one %q", won, statuses, final, got, want)
	}
	// A later attempt is not-pending and queues nothing more.
	if res := w.Do(t, "POST", path(ar.ID+":reject"), w.tokens["editor"], "{}"); res.Status != 400 {
		t.Errorf("repeat: %d %s", res.Status, res.Body)
	}
	if got := chatSends(t, w); len(got) != 1 {
		t.Errorf("after repeat: %d messages", len(got))
	}
}
