package devserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/outbox/kinds"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/chatkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// The connectors demo: one connector per provider on the demo agent with
// dev secrets and onboarding on; a stand-in for the providers' send APIs
// (and Bot Framework's keys) on loopback, logging each delivery, unless a
// provider's *_API_URL is set; PUBLIC_BASE_URL is the dev server unless
// set; and the outbox dispatcher reading DynamoDB Local's stream.

// DemoCredentials are the dev secrets of the demo connectors, in the
// stored form (the API's credentials object).
var DemoCredentials = map[string]map[string]string{
	connectors.Slack:     {"signingSecret": "dev-slack-signing-secret-0123456789", "botToken": "xoxb-dev-0000-demo-bot-token"},
	connectors.Telegram:  {"botToken": "123456789:DEV-demo-bot-token_0123456789", "secretToken": "dev-telegram-secret-token"},
	connectors.WhatsApp:  {"appSecret": "dev-whatsapp-app-secret-0123456789", "verifyToken": "dev-whatsapp-verify-token", "accessToken": "EAAG-dev-demo-access-token", "phoneNumberId": "106540352242922"},
	connectors.TwilioSMS: {"accountSid": "ACde0de0de0de0de0de0de0de0de0de0de", "authToken": "dev-twilio-auth-token-0123456789"},
	connectors.Teams:     {"appId": "6f1c3c56-0000-4e59-9a53-0d2f8f3c1a11", "appPassword": "dev-teams-app-password"},
}

func demoSecrets(provider string) connectors.Secrets {
	return connectors.DecodeCredentials(provider, DemoCredentials[provider])
}

// DemoOnboardingMessage is the demo connectors' onboarding message.
const DemoOnboardingMessage = "Hi! Thanks for writing to the support bot. An operator will review your access request shortly."

// DemoWebhookKey is the webhook key the demo connector of provider is
// created with: fixed, so that the sample events in events/ and the
// banner's curl lines stay valid (a dev key; real ones are random).
func DemoWebhookKey(provider string) string {
	sum := sha256.Sum256([]byte("gatehouse demo webhook " + provider))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// connectorsDev is what the connectors hooks share between start-up stages.
var connectorsDev struct {
	mu      sync.Mutex
	standin *chatkit.Server
	seeded  bool // the demo connectors have their demo webhook keys
}

func init() {
	Before = append(Before, startProviderStandIn)
	After = append(After, startDispatcher)
	Seeders = append(Seeders, seedConnectors)
	Welcome = append(Welcome, welcomeConnectors)
}

// startProviderStandIn points chatsend (and the Teams verifier) at the
// stand-in for every setting not given in the environment.
func startProviderStandIn(ctx context.Context, h Hook) (func(), error) {
	if os.Getenv("PUBLIC_BASE_URL") == "" {
		h.Env["PUBLIC_BASE_URL"] = h.Base
	}
	si, err := chatkit.Start(h.Logger)
	if err != nil {
		return nil, err
	}
	connectorsDev.mu.Lock()
	connectorsDev.standin = si
	connectorsDev.mu.Unlock()
	for k, v := range si.Env() {
		if os.Getenv(k) == "" {
			h.Env[k] = v
		} else {
			h.Logger.Info("provider API from the environment", k, os.Getenv(k))
		}
	}
	h.Logger.Info("provider stand-in (Slack, Telegram, WhatsApp, Twilio, Bot Framework); it logs each delivery", "url", si.URL)
	return si.Close, nil
}

// startDispatcher runs the outbox dispatcher (every registered kind) over
// DynamoDB Local's stream, as DispatcherFunction does in AWS.
func startDispatcher(ctx context.Context, deps *routes.Deps, h Hook) (func(), error) {
	p := deps.Platform
	hs, err := kinds.Handlers(p, deps.Connectors, h.Outbox)
	if err != nil {
		return nil, err
	}
	d := outbox.New(p.Store, hs, p.Logger)
	poller := &outbox.Poller{Streams: dynamodbstreams.NewFromConfig(p.AWS, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(p.Config.DynamoDBEndpoint) }), Table: p.Store.Table(), Dispatcher: d, Logger: h.Logger}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := poller.Run(ctx); err != nil {
			h.Logger.Error("outbox dispatcher stopped", "err", err)
		}
	}()
	h.Logger.Info("outbox dispatcher reads the table's stream")
	return func() { cancel(); <-done }, nil
}

// seedConnectors creates the demo connectors once; later runs keep them
// (and whatever was changed through the API) but bind the demo webhook key
// again when another key (or, from older data, none) is bound: the table
// keeps no plaintext key, so the banner can print only keys it binds.
func seedConnectors(ctx context.Context, deps *routes.Deps, d *Demo) error {
	repo := deps.Connectors
	now := time.Now().UnixMilli()
	for _, prov := range Providers {
		id, key := d.Connectors[prov], DemoWebhookKey(prov)
		c, err := repo.Get(ctx, d.Tenant, id)
		if errors.Is(err, store.ErrNotFound) {
			c = connectors.Connector{ID: id, Provider: prov, AgentID: d.Agent, DisplayName: "Support bot on " + prov,
				Onboarding: connectors.Onboarding{Enabled: true, Message: DemoOnboardingMessage}, Credentials: DemoCredentials[prov],
				WebhookKey: key, CreatedBy: "seed", CreatedAt: now, ModifiedAt: now,
				// Never expire: the demo requests are dated 2026-11-01, which the
				// default 30 days would expire at once (the banner shows expiry).
				RequestExpiryDays: new(0)}
			err = repo.Create(ctx, d.Tenant, c)
			if err == nil {
				continue
			}
			if errors.Is(err, store.ErrConflict) {
				c, err = repo.Get(ctx, d.Tenant, id)
			}
		}
		if err == nil && c.WebhookKeyHash != connectors.KeyHash(key) {
			_, err = repo.BindKey(ctx, d.Tenant, c, key, c.HasWebhookKey(), now)
		}
		if err != nil {
			return fmt.Errorf("devserver: seed connector %s: %w", prov, err)
		}
	}
	connectorsDev.mu.Lock()
	connectorsDev.seeded = true
	connectorsDev.mu.Unlock()
	return nil
}

func welcomeConnectors(w io.Writer, base string, _ *issuerkit.Issuer, d *Demo) {
	connectorsDev.mu.Lock()
	seeded := connectorsDev.seeded
	connectorsDev.mu.Unlock()
	if !seeded {
		return
	}
	hook := func(prov string) string { return base + connectors.HookPath(prov, DemoWebhookKey(prov)) }
	api := base + "/v1/tenants/" + d.Tenant + "/integrations"
	fmt.Fprintf(w, `
# integration configs (connectors) of the agent: reads show webhookUrlTemplate and webhookKeyPrefix,
# never the full URL (it is shown once) nor a secret parameter
curl -s -H "Authorization: Bearer $DAVE" '%[1]s/telegram/configs?agentId=%[2]s'
# the demo configs' webhook URLs, bound when the demo was seeded (this banner is their "shown once"):
`, api, d.Agent)
	for _, prov := range Providers {
		fmt.Fprintf(w, "#   %-9s %s\n", connectors.IntegrationID(prov), hook(prov))
	}
	fmt.Fprintf(w, `# a new Telegram config: create it, mint its URL (shown once), register it with the (stand-in)
# Telegram Bot API's setWebhook and ask getWebhookInfo what Telegram has
CFG=$(curl -s -X POST -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' %[1]s/telegram/configs \
  -d '{"agentId":"%[2]s","displayName":"Sales on Telegram","parameters":{"botToken":"987654321:DEV-sales-bot-token_0123456789","secretToken":"dev-sales-secret-token"},"onboarding":{"enabled":true}}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
URL=$(curl -s -X POST -H "Authorization: Bearer $ALICE" %[1]s/telegram/configs/$CFG:generateWebhookUrl | sed 's/.*"webhookUrl":"\([^"]*\)".*/\1/'); echo $URL
curl -s -X POST -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' %[1]s/telegram/configs/$CFG:applyWebhookToProvider -d '{"webhookUrl":"'$URL'"}'
curl -s -X POST -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' %[1]s/telegram/configs/$CFG:inspectWebhook -d '{"expectedWebhookUrl":"'$URL'"}'
# rotate it: a new URL (shown once); the old one answers 404 at once
curl -s -X POST -H "Authorization: Bearer $ALICE" %[1]s/telegram/configs/$CFG/webhook:rotate
`, api, d.Agent)
	fmt.Fprintf(w, `# a NEW Telegram sender writes: one PENDING request appears, and the dev log shows the
# onboarding message delivered to the provider stand-in ("provider stand-in: message delivered")
curl -s -X POST -H 'Content-Type: application/json' -H 'X-Telegram-Bot-Api-Secret-Token: %[4]s' \
  %[5]s \
  -d '{"update_id":'$(date +%%s)',"message":{"message_id":1,"from":{"id":5550100,"is_bot":false,"first_name":"Jeffrey","last_name":"Spender"},"chat":{"id":5550100,"type":"private","first_name":"Jeffrey","last_name":"Spender"},"date":'$(date +%%s)',"text":"Hello, may I talk to the bot?"}}'
# a NEW Slack sender writes (v0 signature = HMAC-SHA256 of "v0:<timestamp>:<body>" with the demo signing secret)
BODY='{"type":"event_callback","event_id":"Ev'$(date +%%s)'","event":{"type":"message","user":"U0NEWSENDER","channel":"D0NEWSENDER","text":"Hello from Slack","ts":"1.000100"}}'
TS=$(date +%%s); SIG="v0=$(printf 'v0:%%s:%%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac '%[6]s' -r | cut -d' ' -f1)"
curl -s -X POST -H 'Content-Type: application/json' -H "X-Slack-Request-Timestamp: $TS" -H "X-Slack-Signature: $SIG" \
  %[7]s -d "$BODY"
`, base, d.Tenant, d.Agent, demoSecrets(connectors.Telegram).Telegram.SecretToken, hook(connectors.Telegram),
		demoSecrets(connectors.Slack).Slack.SigningSecret, hook(connectors.Slack))
	fmt.Fprintf(w, `# their requests (a second message from the same sender opens none; reject one and it opens a fresh one)
curl -s -H "Authorization: Bearer $DAVE" '%[1]s/v1/tenants/%[2]s/participantAccessRequests?agentId=%[3]s&status=PENDING'
`, base, d.Tenant, d.Agent)
}
