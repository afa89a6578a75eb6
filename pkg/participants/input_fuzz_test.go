package participants

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
)

// FuzzParticipantInput feeds POST/PATCH bodies through the strict decoder
// and the validation; whatever it accepts must respect the bounds the
// store relies on (one transaction of at most 100 actions).
func FuzzParticipantInput(f *testing.F) {
	f.Add(`{"kind":"PERSON","displayName":"Dana","channels":[{"integrationConfigId":"497f6eca-6276-4993-bfeb-53cbbbba6f08","address":"U1"}],"agentIds":["a","a"]}`)
	f.Add(`{"displayName":null,"channels":null,"avatarFileId":""}`)
	f.Add(`{"kind":"GROUP","displayName":"  x ","email":"x@y.example","relatedAgentId":"bot.1"}`)
	f.Add(`{"channels":[{"integrationConfigId":"497f6eca-6276-4993-bfeb-53cbbbba6f08","address":" U1"}]}`)
	f.Add(`{"kind":"UNSPECIFIED","displayName":"x","avatarFileId":"avatars/acme/497f6eca-6276-4993-bfeb-53cbbbba6f08/` + strings.Repeat("a", 64) + `.png"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var in createInput
		if err := httpapi.UnmarshalStrict([]byte(body), &in); err != nil {
			return
		}
		if p, err := in.forCreate("acme"); err == nil {
			if !kinds[p.Kind] || p.DisplayName == "" || p.Channels == nil ||
				p.AvatarFileID != "" && (p.AvatarSource != "UPLOADED" || !strings.HasPrefix(p.AvatarFileID, "avatars/acme/")) {
				t.Fatalf("forCreate accepted %+v", p)
			}
		}
		if err := in.validate(); err != nil {
			return
		}
		if len(in.channels) > roster.MaxChannels || len(in.agentIDs) > roster.MaxAgents {
			t.Fatalf("accepted %d channels, %d agents", len(in.channels), len(in.agentIDs))
		}
		seen := map[roster.ChannelKey]bool{}
		for _, c := range in.channels {
			if seen[c.Key()] || c.Address == "" || utf8.RuneCountInString(c.Address) > maxAddress {
				t.Fatalf("accepted channel %+v", c)
			}
			seen[c.Key()] = true
		}
		for i, a := range in.agentIDs {
			if !httpapi.ValidAgentID(a) || i > 0 && in.agentIDs[i-1] >= a {
				t.Fatalf("agentIds %v not valid, sorted and unique", in.agentIDs)
			}
		}
		if in.DisplayName != nil && (*in.DisplayName == "" || utf8.RuneCountInString(*in.DisplayName) > maxDisplayName) {
			t.Fatalf("accepted displayName %q", *in.DisplayName)
		}
		cur := roster.Participant{ID: "497f6eca-6276-4993-bfeb-53cbbbba6f08", Kind: roster.KindPerson, DisplayName: "cur"}
		if next, err := in.applyTo("acme", cur); err == nil && (next.Kind != cur.Kind || next.ID != cur.ID) {
			t.Fatalf("applyTo changed kind or id: %+v", next)
		}
	})
}
