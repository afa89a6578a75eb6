// Package deliver delivers the outbox kinds pkg/inbound enqueues:
// "chat.send" (onboarding messages, through pkg/chatsend) and "event.put"
// (InboundMessageAccepted, to EventBridge). It is apart from pkg/inbound so
// that the webhook Lambdas do not link the outbound clients.
package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/gatehouse/gatehouse/pkg/chatsend"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// ConnectorReader reads a connector with its credentials.
type ConnectorReader interface {
	Get(ctx context.Context, tenant, id string) (connectors.Connector, error)
}

// ChatSender sends one outbound chat message.
type ChatSender interface {
	Send(ctx context.Context, creds chatsend.Credentials, m chatsend.Outbound) error
}

// EventPutter publishes events (EventBridge's PutEvents).
type EventPutter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Config is the delivery side's configuration.
type Config struct {
	// EventBusName is the EventBridge bus of InboundMessageAccepted;
	// empty means events are logged only (the dev server).
	EventBusName string
	// EventBridgeEndpoint overrides EventBridge's endpoint (a stand-in).
	EventBridgeEndpoint string
	// Chat locates the providers' send APIs.
	Chat chatsend.Config
}

// ConfigFromEnv reads EVENT_BUS_NAME, EVENTBRIDGE_API_URL and chatsend's
// provider base URLs (SLACK_API_URL...).
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{EventBusName: getenv("EVENT_BUS_NAME"), EventBridgeEndpoint: getenv("EVENTBRIDGE_API_URL"),
		Chat: chatsend.ConfigFromEnv(getenv)}
}

// OutboxHandlers returns pkg/inbound's outbox kinds for the dispatcher:
// "chat.send" (onboarding messages, through pkg/chatsend, with the
// credentials conns reads) and "event.put" (InboundMessageAccepted, to
// EventBridge).
func OutboxHandlers(p *platform.Platform, conns ConnectorReader, cfg Config) (map[string]outbox.Handler, error) {
	var events EventPutter
	if cfg.EventBusName != "" {
		events = eventbridge.NewFromConfig(p.AWS, func(o *eventbridge.Options) {
			if cfg.EventBridgeEndpoint != "" {
				o.BaseEndpoint = aws.String(cfg.EventBridgeEndpoint)
			}
		})
	}
	d := &Deliverer{Connectors: conns, Chat: chatsend.New(cfg.Chat), Events: events, Bus: cfg.EventBusName, Logger: p.Logger}
	return d.Handlers(), nil
}

// Deliverer delivers this package's outbox messages.
type Deliverer struct {
	Connectors ConnectorReader
	Chat       ChatSender
	Events     EventPutter // nil: events are logged only
	Bus        string
	Logger     *slog.Logger
}

// Handlers maps kinds to the Deliverer's methods.
func (d *Deliverer) Handlers() map[string]outbox.Handler {
	return map[string]outbox.Handler{inbound.KindChatSend: d.SendChat, inbound.KindEventPut: d.PutEvent}
}

func permanent(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{outbox.ErrPermanent}, args...)...)
}

// SendChat delivers a "chat.send" message with the connector's current
// credentials.
func (d *Deliverer) SendChat(ctx context.Context, m outbox.Message) error {
	var p inbound.ChatSend
	if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
		return permanent("chat.send payload: %v", err)
	}
	c, err := d.Connectors.Get(ctx, m.Tenant, p.IntegrationConfigID)
	if errors.Is(err, store.ErrNotFound) {
		return permanent("connector %s no longer exists", p.IntegrationConfigID)
	}
	if err != nil {
		return err
	}
	sc := c.Secrets
	creds := chatsend.Credentials{
		SlackBotToken: sc.Slack.BotToken, TelegramBotToken: sc.Telegram.BotToken,
		WhatsAppAccessToken: sc.WhatsApp.AccessToken, WhatsAppPhoneNumberID: sc.WhatsApp.PhoneNumberID,
		TwilioAccountSID: sc.Twilio.AccountSID, TwilioAuthToken: sc.Twilio.AuthToken, TwilioFromNumber: p.From,
		TeamsAppID: sc.Teams.AppID, TeamsAppPassword: sc.Teams.AppPassword,
	}
	err = d.Chat.Send(ctx, creds, chatsend.Outbound{Provider: c.Provider, ReplyTo: p.ReplyTo, Text: p.Text, ServiceURL: p.ServiceURL})
	if errors.Is(err, chatsend.ErrPermanent) {
		return fmt.Errorf("%w: %v", outbox.ErrPermanent, err)
	}
	if err == nil && d.Logger != nil {
		d.Logger.InfoContext(ctx, "chat message sent", "outboxId", m.ID, "provider", c.Provider, "integrationConfigId", c.ID)
	}
	return err
}

// PutEvent publishes an "event.put" message.
func (d *Deliverer) PutEvent(ctx context.Context, m outbox.Message) error {
	var ev inbound.Event
	if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
		return permanent("event.put payload: %v", err)
	}
	if d.Events == nil {
		if d.Logger != nil {
			d.Logger.InfoContext(ctx, ev.DetailType, "source", ev.Source, "detail", string(ev.Detail))
		}
		return nil
	}
	out, err := d.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(d.Bus), Source: aws.String(ev.Source), DetailType: aws.String(ev.DetailType),
		Detail: aws.String(string(ev.Detail)),
	}}})
	if err != nil {
		return fmt.Errorf("inbound: put event: %w", err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		e := out.Entries[0]
		return fmt.Errorf("inbound: put event: %s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
	}
	return nil
}
