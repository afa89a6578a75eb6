package devserver

import (
	"fmt"
	"io"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

func init() { Welcome = append(Welcome, welcomeFlood) }

// welcomeFlood prints how to trip the flood guard and the reject cooldown
// on the demo Telegram config from outside.
func welcomeFlood(w io.Writer, base string, _ *issuerkit.Issuer, d *Demo) {
	connectorsDev.mu.Lock()
	seeded := connectorsDev.seeded
	connectorsDev.mu.Unlock()
	if !seeded {
		return
	}
	p := connectors.Telegram
	cfg := base + "/v1/tenants/" + d.Tenant + "/integrations/telegram/configs/" + d.Connectors[p]
	fmt.Fprintf(w, `# flood guard: at most floodLimitPerHour (default 100, 0 = off) new PENDING requests per config per
# clock hour (UTC). Limit the demo Telegram config to 2, then three NEW senders write: all are answered 200,
# the first two open requests (if this hour has not used the slots already), the third opens none and gets no
# onboarding message; the dev log says "flood guard tripped" once and the AccessRequestFloodGuardTripped event goes out
curl -s -X PATCH -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' %[1]s -d '{"floodLimitPerHour":2}'
S=$(date +%%s); for i in 1 2 3; do curl -s -o /dev/null -w '%%{http_code}\n' -X POST -H 'Content-Type: application/json' \
  -H 'X-Telegram-Bot-Api-Secret-Token: %[2]s' %[3]s \
  -d '{"update_id":'$S$i',"message":{"message_id":1,"from":{"id":'$S$i',"is_bot":false,"first_name":"Flood"},"chat":{"id":'$S$i',"type":"private"},"date":'$S',"text":"hi"}}'; done
# reject cooldown: no new request for rejectCooldownSeconds after a reject (default 0). Lift the limit, set a
# 300 s cooldown, reject the newest request (sender ${S}2) and let that sender write again: 200, no request
# (the dev log's outcome is "cooldown"); with the cooldown 0 the same message opens a fresh request
curl -s -X PATCH -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' %[1]s -d '{"floodLimitPerHour":100,"rejectCooldownSeconds":300}'
ID=$(curl -s -H "Authorization: Bearer $DAVE" '%[4]s/v1/tenants/%[5]s/participantAccessRequests?agentId=%[6]s&status=PENDING' | sed 's/^\[{"id":"\([^"]*\)".*/\1/')
curl -s -X POST -H "Authorization: Bearer $CAROL" -H 'Content-Type: application/json' %[4]s/v1/tenants/%[5]s/participantAccessRequests/$ID:reject -d '{}'
curl -s -X POST -H 'Content-Type: application/json' -H 'X-Telegram-Bot-Api-Secret-Token: %[2]s' %[3]s \
  -d '{"update_id":'$S'9,"message":{"message_id":2,"from":{"id":'$S'2,"is_bot":false,"first_name":"Flood"},"chat":{"id":'$S'2,"type":"private"},"date":'$S',"text":"again"}}'
`, cfg, demoSecrets(p).Telegram.SecretToken, base+connectors.HookPath(p, DemoWebhookKey(p)), base, d.Tenant, d.Agent)
}
