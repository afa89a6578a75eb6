package shares

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// KindMailSend is the outbox kind of the e-mails shares enqueue
// (pkg/mail/delivery delivers it).
const KindMailSend = mail.KindSend

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
