package devserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image/color"
	"io"

	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/testkit/avatarkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/s3kit"
)

// Avatars in the dev server: an in-memory S3 (gofakes3) holding the
// avatar bucket, and one TLS stand-in playing Slack (users.info, the
// OAuth consent page, oauth.v2.access), the Telegram Bot API and
// Microsoft Graph, serving small PNGs. The fetcher trusts the stand-in's
// certificate and may reach loopback; nothing leaves the machine.
func init() {
	Before = append(Before, startAvatars)
	After = append(After, findDemoSlack)
	Welcome = append(Welcome, avatarWelcome)
}

// DevAvatarBucket is the dev server's avatar bucket.
const DevAvatarBucket = "gatehouse-avatars"

// Demo avatar senders the stand-in knows.
const (
	DemoSlackUser    = "U0SKINNER"
	DemoTelegramUser = "424242" // Fox Mulder's pending request
)

var (
	avatarStandIn string
	// demoSlack is the demo Slack connector's id when it exists.
	demoSlack string
)

// findDemoSlack looks for the demo Slack connector once the demo data
// exists; without it, the banner creates a Slack connector first.
func findDemoSlack(ctx context.Context, deps *routes.Deps, _ Hook) (func(), error) {
	id := DemoID("connector/SLACK")
	if _, err := deps.Connectors.Get(ctx, DemoTenant, id); err == nil {
		demoSlack = id
	}
	return nil, nil
}

func startAvatars(ctx context.Context, h Hook) (func(), error) {
	endpoint, stopS3, err := s3kit.Serve("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := s3kit.CreateBucket(ctx, s3kit.NewClient(endpoint), DevAvatarBucket); err != nil {
		stopS3()
		return nil, err
	}
	std := avatarkit.New()
	std.Lenient = true // connectors made by hand carry made-up tokens
	std.SetSlackUser(DemoSlackUser, true, std.SetImage("skinner.png", avatarkit.PNG(96, 96, color.RGBA{R: 40, G: 90, B: 160, A: 255})))
	std.SetTelegramPhoto(DemoTelegramUser, avatarkit.PNG(160, 160, color.RGBA{R: 30, G: 140, B: 60, A: 255}))
	for k, v := range std.Env() {
		h.Env[k] = v
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	h.Env["SLACK_OAUTH_STATE_KEY"] = hex.EncodeToString(key)
	h.Env["S3_ENDPOINT"] = endpoint
	h.Env["AVATAR_BUCKET"] = DevAvatarBucket
	if h.Env["PUBLIC_BASE_URL"] == "" {
		h.Env["PUBLIC_BASE_URL"] = h.Base
	}
	avatarStandIn = std.URL()
	h.Logger.Info("avatars: in-memory S3 and provider stand-in", "s3", endpoint, "bucket", DevAvatarBucket, "standIn", std.URL())
	return func() { std.Close(); stopS3() }, nil
}

func avatarWelcome(w io.Writer, base string, _ *issuerkit.Issuer, d *Demo) {
	api := base + "/v1/tenants/" + d.Tenant
	slackCfg := "SLACKCFG=" + demoSlack
	if demoSlack == "" {
		slackCfg = `SLACKCFG=$(curl -s -X POST -H "Authorization: Bearer $ALICE" -H "Content-Type: application/json" ` + api +
			`/integrations/slack/configs -d '{"agentId":"` + d.Agent + `","displayName":"Slack","parameters":{"signingSecret":"dev-signing-secret","botToken":"xoxb-dev-bot"}}' | sed 's/.*"id":"\([^"]*\)".*/\1/')`
	}
	fmt.Fprintf(w, `
# --- participants and avatars (Slack, Telegram and Graph stand-in on %[1]s; S3 in memory) ---
# the demo participant, with health and channel activations (dave is VIEWER)
curl -s -H "Authorization: Bearer $DAVE" %[2]s/participants/%[3]s
# the Slack connector (integration config) whose workspace we connect
%[5]s
# give him a Slack channel as well (channels replace the list; carol is EDITOR)
curl -s -X PATCH -H "Authorization: Bearer $CAROL" -H "Content-Type: application/json" %[2]s/participants/%[3]s -d '{"channels":[{"integrationConfigId":"%[4]s","address":"29:1demo-aad-object-id"},{"integrationConfigId":"'$SLACKCFG'","address":"%[6]s"}]}'
# connect the (stand-in) Slack workspace: alice asks for Slack's authorize URL and opens it; the
# stand-in consents at once and redirects to /v1/oauth/slack/callback, which stores the token
AUTH=$(curl -s -X POST -H "Authorization: Bearer $ALICE" %[2]s/integrations/slack/configs/$SLACKCFG/slackOAuth | sed -e 's/.*"authorizeUrl":"\([^"]*\)".*/\1/' -e 's/\\u0026/\&/g')
curl -sk -L "$AUTH"
# pull his avatar from Slack into S3, then fetch it (302 to a presigned S3 URL, followed by -L)
curl -s -X POST -H "Authorization: Bearer $CAROL" -H "Content-Type: application/json" %[2]s/participants/%[3]s/avatar:syncFromChannel -d '{"integrationConfigId":"'$SLACKCFG'","address":"%[6]s"}'
curl -s -L -o skinner.png -w '%%{http_code} %%{content_type} %%{size_download} bytes\n' -H "Authorization: Bearer $DAVE" %[2]s/participants/%[3]s/avatar
# approving Fox Mulder (Telegram, above) queued his avatar sync through the outbox: once
# delivered, his participant has avatarSource TELEGRAM (list the agent's participants)
curl -s -H "Authorization: Bearer $DAVE" '%[2]s/participants?agentId=%[7]s'
`, avatarStandIn, api, d.Participant, d.Connectors["TEAMS"], slackCfg, DemoSlackUser, d.Agent)
}
