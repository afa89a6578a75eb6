package devserver

import (
	"fmt"
	"io"
	"time"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// teamsTokenLife is how long the banner's Teams token stays valid: a
// dev session's length, where Bot Framework's own last an hour.
const teamsTokenLife = 24 * time.Hour

func init() {
	Welcome = append(Welcome, welcomeTeams)
}

// welcomeTeams prints a curl line delivering a validly signed Bot
// Framework activity from a new Teams sender: the stand-in signs the
// token with the key its OpenID metadata publishes, for the demo bot's
// app id and the stand-in's service URL (where the onboarding reply goes).
func welcomeTeams(w io.Writer, base string, _ *issuerkit.Issuer, _ *Demo) {
	connectorsDev.mu.Lock()
	si, seeded := connectorsDev.standin, connectorsDev.seeded
	connectorsDev.mu.Unlock()
	if si == nil || !seeded {
		return
	}
	key := DemoWebhookKey(connectors.Teams)
	appID := demoSecrets(connectors.Teams).Teams.AppID
	serviceURL := si.TeamsServiceURL()
	tok := si.TeamsToken(appID, serviceURL, map[string]any{"exp": time.Now().Add(teamsTokenLife).Unix()})
	fmt.Fprintf(w, `
# a NEW Teams sender writes: a Bot Framework activity with a bearer token the stand-in signed
# (valid %[5]s, for app id %[3]s); the onboarding reply goes to the stand-in's serviceUrl
N=$(date +%%s)
curl -s -X POST -H 'Content-Type: application/json' -H 'Authorization: Bearer %[4]s' \
  %[1]s -d '{"type":"message","id":"'$N'","timestamp":"2026-12-01T09:00:00.000Z","serviceUrl":"%[2]s","channelId":"msteams","from":{"id":"29:1dev-teams-sender-'$N'","name":"Walter Skinner","aadObjectId":"a1b2c3d4-0000-4000-8000-0000000'$(printf %%05d $((N %% 100000)))'"},"conversation":{"conversationType":"personal","tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","id":"a:1dev-conversation-'$N'"},"recipient":{"id":"28:%[3]s","name":"Support bot"},"text":"Hello from Teams"}'
`, base+"/v1/hooks/"+connectors.Slug(connectors.Teams)+"/"+key, serviceURL, appID, tok, teamsTokenLife)
}
