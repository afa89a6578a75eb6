// Package delivery delivers "mail.send" outbox messages: through SES
// (pkg/mail/ses) in AWS and on the dev server (its SES stand-in, at
// SES_ENDPOINT), into .eml files directly with MAIL_DIR. Only
// DispatcherFunction links it; the features that write e-mails enqueue
// them with pkg/mail and pkg/outbox.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/mail/ses"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

// Sender delivers one e-mail (ses.Sender, mail.Dir).
type Sender interface {
	Send(ctx context.Context, m mail.Message) error
}

// Config is the mail.send handler's configuration.
type Config struct {
	// Dir, when set, gets each e-mail as an .eml file instead of SES
	// (local development).
	Dir string
	// From is the sender: a verified SES identity (required for SES).
	From string
	// SESEndpoint, when set, replaces SES's endpoint (the dev server's
	// SES stand-in).
	SESEndpoint string
}

// ConfigFromEnv reads MAIL_DIR, MAIL_FROM and SES_ENDPOINT.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{Dir: getenv("MAIL_DIR"), From: getenv("MAIL_FROM"), SESEndpoint: getenv("SES_ENDPOINT")}
}

// OutboxHandlers returns the handler of "mail.send": it
// delivers through mail.Dir when cfg.Dir is set, else through SES v2
// from cfg.From. It reads no file and calls no network until the first
// message.
func OutboxHandlers(p *platform.Platform, cfg Config) (map[string]outbox.Handler, error) {
	var snd func() (Sender, error)
	if cfg.Dir != "" {
		snd = sync.OnceValues(func() (Sender, error) {
			d, err := mail.NewDir(cfg.Dir)
			if err != nil {
				return nil, err
			}
			if cfg.From != "" {
				d.From = cfg.From
			}
			return d, nil
		})
	} else {
		awsCfg := p.AWS
		snd = sync.OnceValues(func() (Sender, error) {
			if cfg.From == "" {
				return nil, errors.New("delivery: MAIL_FROM is not set")
			}
			client := sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) {
				if cfg.SESEndpoint != "" {
					o.BaseEndpoint = aws.String(cfg.SESEndpoint)
				}
			})
			return ses.New(client, cfg.From), nil
		})
	}
	return map[string]outbox.Handler{mail.KindSend: func(ctx context.Context, m outbox.Message) error {
		sender, err := snd()
		if err != nil {
			return err // a configuration fix lets a retry succeed
		}
		return Handler(sender)(ctx, m)
	}}, nil
}

// Handler delivers "mail.send" messages through snd. Messages that can
// never be sent (bad payload, mail.ErrInvalid, mail.ErrRejected) fail with
// outbox.ErrPermanent; other errors are worth retrying.
func Handler(snd Sender) outbox.Handler {
	return func(ctx context.Context, m outbox.Message) error {
		if m.Kind != mail.KindSend {
			return fmt.Errorf("%w: kind %q is not %s", outbox.ErrPermanent, m.Kind, mail.KindSend)
		}
		var msg mail.Message
		if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil {
			return fmt.Errorf("%w: mail payload of %s: %v", outbox.ErrPermanent, m.ID, err)
		}
		err := snd.Send(ctx, msg)
		if errors.Is(err, mail.ErrInvalid) || errors.Is(err, mail.ErrRejected) {
			return fmt.Errorf("%w: %w", outbox.ErrPermanent, err)
		}
		return err
	}
}
