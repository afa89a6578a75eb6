package inbound_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/inbound"
)

// A new sender on each provider is approved or rejected: the decision
// message reaches them through the real dispatcher at the address (and,
// for Twilio, from the number) their onboarding message used, which the
// webhook stored on the request.
func TestDecisionMessageEveryProvider(t *testing.T) {
	w := newWorld(t)
	w.startDispatcher(t)
	for _, p := range connectors.Providers {
		res := w.Do(t, "PATCH", "/v1/tenants/"+tenant+"/integrations/"+connectors.IntegrationID(p)+"/configs/"+w.byProvider[p].ID, w.admin,
			`{"approvedMessage":"approved!","rejectedMessage":"rejected."}`)
		if res.Status != 200 {
			t.Fatalf("patch %s: %d %s", p, res.Status, res.Body)
		}
	}
	tests := []struct {
		provider, to, verb, want string
	}{
		{connectors.Slack, "D0CHAN" + sender(connectors.Slack, 2), "approve", "approved!"},
		{connectors.Telegram, sender(connectors.Telegram, 2), "reject", "rejected."},
		{connectors.WhatsApp, sender(connectors.WhatsApp, 2), "approve", "approved!"},
		{connectors.TwilioSMS, sender(connectors.TwilioSMS, 2), "reject", "rejected."},
		{connectors.Teams, "a:1conv" + sender(connectors.Teams, 2), "approve", "approved!"},
	}
	sent := 0
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			c := w.byProvider[tt.provider]
			if res := w.send(t, w.message(tt.provider, sender(tt.provider, 2), eventID(tt.provider, 2))); res.Code != 200 {
				t.Fatalf("webhook: %d %s", res.Code, res.Body)
			}
			var id string
			for _, ar := range w.requests(t, accessrequests.StatusPending) {
				if ar.IntegrationConfigID == c.ID {
					id = ar.ID
				}
			}
			w.decide(t, id, tt.verb, "{}")
			sent += 2 // onboarding and decision
			w.waitOutbox(t, inbound.KindChatSend, sent)
			// The outbox promises delivery, not order: the two messages may
			// arrive either way round.
			ds := w.deliveriesTo(tt.to)
			if len(ds) != 2 || ds[0].From != ds[1].From {
				t.Fatalf("deliveries to %s = %+v, want two from the same number", tt.to, ds)
			}
			got := map[string]bool{ds[0].Text: true, ds[1].Text: true}
			if !got[onboardingText] || !got[tt.want] {
				t.Fatalf("deliveries to %s = %+v, want the onboarding message and %q", tt.to, ds, tt.want)
			}
		})
	}
}
