package shares

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// KindMailSend is the outbox kind of an e-mail. Its payload is a
// mail.Message as JSON.
const KindMailSend = "mail.send"

var outboxNS = uuid.MustParse("2d0f5c8e-3b7a-4c1e-9f64-7a1d2c9b8e55")

// outboxID derives a message id from its cause, so one cause can never
// enqueue two e-mails (the outbox Put is conditional).
func outboxID(parts ...string) string {
	return uuid.NewSHA1(outboxNS, []byte(strings.Join(parts, "/"))).String()
}

// mailAction is the transaction action enqueueing m.
func (s *Service) mailAction(id string, m mail.Message, at int64) (store.TxAction, error) {
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("shares: mail payload: %w", err)
	}
	return outbox.Enqueue(outbox.Message{ID: id, Kind: KindMailSend, Payload: string(payload), CreatedAt: at, ModifiedAt: at}), nil
}

// documentAdded tells an accepted recipient about one more document.
// User values stay out of the Subject (pkg/mail flattens those only in
// its own templates).
func documentAdded(to string, g Grant) mail.Message {
	sender := g.SenderUserName
	if sender == "" {
		sender = "Someone"
	}
	text := fmt.Sprintf("Hello,\n\n%s shared the document %q with you. Sign in to open it.\n", sender, g.DocumentName)
	if g.Message != "" {
		text += "\nTheir message:\n\n" + g.Message + "\n"
	}
	return mail.Message{To: to, Subject: "A document was shared with you", Text: strings.ToValidUTF8(text, "\uFFFD")}
}

// Sender delivers one e-mail (mail.SES, mail.Dir).
type Sender interface {
	Send(ctx context.Context, m mail.Message) error
}

// MailConfig is the outbox mail handler's configuration.
type MailConfig struct {
	// Dir, when set, gets each e-mail as an .eml file instead of SES
	// (local development).
	Dir string
	// From is the sender: a verified SES identity (required for SES).
	From string
}

// MailConfigFromEnv reads MAIL_DIR and MAIL_FROM.
func MailConfigFromEnv(getenv func(string) string) MailConfig {
	return MailConfig{Dir: getenv("MAIL_DIR"), From: getenv("MAIL_FROM")}
}

// OutboxHandlers returns the outbox handlers of this package: "mail.send"
// delivers through mail.Dir when cfg.Dir is set, else through SES v2
// from cfg.From. It reads no file and calls no network until the first
// message.
func OutboxHandlers(p *platform.Platform, cfg MailConfig) (map[string]outbox.Handler, error) {
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
				return nil, errors.New("shares: MAIL_FROM is not set")
			}
			client := sesv2.NewFromConfig(awsCfg)
			return mail.NewSES(client, cfg.From), nil
		})
	}
	return map[string]outbox.Handler{KindMailSend: func(ctx context.Context, m outbox.Message) error {
		sender, err := snd()
		if err != nil {
			return err // a configuration fix lets a retry succeed
		}
		return MailHandler(sender)(ctx, m)
	}}, nil
}

// MailHandler delivers "mail.send" messages through snd. Messages that can
// never be sent (bad payload, mail.ErrInvalid, mail.ErrRejected) fail with
// outbox.ErrPermanent; other errors are worth retrying.
func MailHandler(snd Sender) outbox.Handler {
	return func(ctx context.Context, m outbox.Message) error {
		if m.Kind != KindMailSend {
			return fmt.Errorf("%w: kind %q is not %s", outbox.ErrPermanent, m.Kind, KindMailSend)
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
