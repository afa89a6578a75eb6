// Package messaging is DispatcherFunction's outbox kinds: chat.send and
// event.put (pkg/inbound/deliver), mail.send (pkg/mail/delivery) and
// alert.pending (pkg/alerts). It links only those kinds' clients.
package messaging

import (
	"github.com/gatehouse/gatehouse/pkg/alertmsg"
	"github.com/gatehouse/gatehouse/pkg/alerts"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/inbound/deliver"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/mail/delivery"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

// Function is the Lambda (template.yaml logical id) delivering Kinds.
const Function = "DispatcherFunction"

// Kinds are the kinds Function delivers: its stream filter in
// template.yaml lists exactly these (tested in pkg/outbox/kinds). mail.send
// is named by pkg/mail, so the dispatcher does not link the shares API
// (its Keycloak client and S3 documents).
var Kinds = []string{inbound.KindChatSend, inbound.KindEventPut, mail.KindSend, alertmsg.Kind}

// Config is the configuration of Kinds' handlers.
type Config struct {
	Deliver deliver.Config
	Mail    delivery.Config
	Alerts  alerts.Config
}

// ConfigFromEnv reads deliver's, the mail handler's and the alerts' settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	ac, err := alerts.ConfigFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	return Config{Deliver: deliver.ConfigFromEnv(getenv), Mail: delivery.ConfigFromEnv(getenv), Alerts: ac}, nil
}

// Handlers returns the handlers of Kinds.
func Handlers(p *platform.Platform, conns *connectors.Repo, cfg Config) (map[string]outbox.Handler, error) {
	chat, err := deliver.OutboxHandlers(p, conns, cfg.Deliver)
	if err != nil {
		return nil, err
	}
	mail, err := delivery.OutboxHandlers(p, cfg.Mail)
	if err != nil {
		return nil, err
	}
	return outbox.Handlers(Kinds, chat, mail, alerts.OutboxHandlers(p, cfg.Alerts))
}
