package events_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/devserver"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/testkit/chatkit"
)

// Expectations of the connector and webhook events (pkg/connectors,
// pkg/inbound): the webhooks write to the demo connectors, whose secrets
// and webhook keys are the dev server's (devserver.DemoCredentials,
// devserver.DemoWebhookKey).
func init() {
	telegram := devserver.DemoID("connector/TELEGRAM")
	for name, ex := range map[string]expectation{
		"connectors-list.json":           {status: 200},
		"connectors-get.json":            {status: 200, fields: map[string]any{"id": telegram, "integrationId": "telegram", "agentId": devserver.DemoAgent, "webhookKeyPrefix": devserver.DemoWebhookKey("TELEGRAM")[:8]}},
		"connectors-create.json":         {status: 201, fields: map[string]any{"integrationId": "telegram", "displayName": "Sales on Telegram", "createdBy": "alice", "webhookKeyPrefix": nil}},
		"connectors-update.json":         {status: 200, fields: map[string]any{"id": telegram, "displayName": "Support on Telegram"}},
		"connectors-delete.json":         {status: 204},
		"connectors-rotatewebhook.json":  {status: 200},
		"connectors-inspectwebhook.json": {status: 200, config: telegramConfig, fields: map[string]any{"inspectFailed": false, "providerHasUrl": false, "providerUrlMatchesExpected": false}},
		"slackwebhook-message.json":      {status: 200, prepare: resignSlack},
		"telegramwebhook-message.json":   {status: 200},
		"whatsappwebhook-verify.json":    {status: 200},
		"whatsappwebhook-message.json":   {status: 200},
		"twiliowebhook-message.json":     {status: 200},
		"teamswebhook-message.json":      {status: 200, config: teamsConfig},
	} {
		expect[name] = ex
	}
}

// resignSlack gives the Slack event a current timestamp and its signature:
// Slack signs the time, and refuses deliveries older than five minutes.
func resignSlack(t *testing.T, ev *events.APIGatewayV2HTTPRequest) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(devserver.DemoCredentials["SLACK"]["signingSecret"]))
	fmt.Fprintf(m, "v0:%s:%s", ts, ev.Body)
	ev.Headers["x-slack-request-timestamp"] = ts
	ev.Headers["x-slack-signature"] = "v0=" + hex.EncodeToString(m.Sum(nil))
}

// telegramConfig points the configs' Telegram calls at the stand-in.
func telegramConfig(t *testing.T) routes.Config {
	si, err := chatkit.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(si.Close)
	return routes.Config{Connectors: connectors.Config{TelegramAPIURL: si.Env()["TELEGRAM_API_URL"]}}
}

// teamsConfig serves Bot Framework's OpenID metadata and keys from the
// stand-in whose (fixed, test-only) key signed the event's token.
func teamsConfig(t *testing.T) routes.Config {
	si, err := chatkit.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(si.Close)
	return routes.Config{Inbound: inbound.Config{TeamsOpenIDMetadataURL: si.Env()["TEAMS_OPENID_METADATA_URL"]}}
}
