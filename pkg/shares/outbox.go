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

// OutboxHandlers returns the outbox handlers of this package: "mail.send"
// delivers through mail.Dir when MAIL_DIR is set (local development),
// else through SES v2 from MAIL_FROM (a verified identity). It reads no
// file and calls no network until the first message.
func OutboxHandlers(p *platform.Platform) (map[string]outbox.Handler, error) {
	getenv := p.Getenv
	var snd func() (Sender, error)
	if dir := getenv("MAIL_DIR"); dir != "" {
		from := getenv("MAIL_FROM")
		snd = sync.OnceValues(func() (Sender, error) {
			d, err := mail.NewDir(dir)
			if err != nil {
				return nil, err
			}
			if from != "" {
				d.From = from
			}
			return d, nil
		})
	} else {
		from := getenv("MAIL_FROM")
		awsCfg := p.AWS
		snd = sync.OnceValues(func() (Sender, error) {
			if from == "" {
				return nil, errors.New("shares: MAIL_FROM is not set")
			}
			client := sesv2.NewFromConfig(awsCfg)
			return mail.NewSES(client, from), nil
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
