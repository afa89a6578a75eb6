// Package ses sends e-mail through Amazon SES v2. It is apart from
// pkg/mail so that only the function that sends (DispatcherFunction)
// links the SES client; the features that write e-mails import pkg/mail.
package ses

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse/gatehouse/pkg/mail"
)

// Sender sends through Amazon SES v2 (SendEmail with Simple content; SES
// builds the MIME message).
type Sender struct {
	client *sesv2.Client
	from   string
}

// New returns a sender using client. from is the default From address
// (a verified SES identity), used when a Message has none.
func New(client *sesv2.Client, from string) *Sender {
	return &Sender{client: client, from: from}
}

// Send sends m. It returns ErrInvalid before calling SES when m is
// malformed, and mail.ErrRejected when SES refuses the message for good; other
// errors (throttling, network, 5xx) are worth retrying.
func (s *Sender) Send(ctx context.Context, m mail.Message) error {
	if m.From == "" {
		m.From = s.from
	}
	c, err := mail.Check(m)
	if err != nil {
		return err
	}
	body := &types.Body{}
	if c.Text != "" {
		body.Text = &types.Content{Data: aws.String(c.Text), Charset: aws.String("UTF-8")}
	}
	if c.HTML != "" {
		body.Html = &types.Content{Data: aws.String(c.HTML), Charset: aws.String("UTF-8")}
	}
	_, err = s.client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(c.FromHeader),
		Destination:      &types.Destination{ToAddresses: []string{c.ToHeader}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(c.Subject), Charset: aws.String("UTF-8")},
			Body:    body,
		}},
	})
	if err == nil {
		return nil
	}
	if permanent(err) {
		return fmt.Errorf("mail: ses send to %s: %w: %v", c.ToAddress, mail.ErrRejected, err)
	}
	return fmt.Errorf("mail: ses send to %s: %w", c.ToAddress, err)
}

// permanent reports SES client faults that another attempt would repeat.
// Throttling and a paused account are client faults too, but they pass.
func permanent(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorFault() != smithy.FaultClient {
		return false
	}
	var (
		tooMany *types.TooManyRequestsException
		limit   *types.LimitExceededException
		paused  *types.SendingPausedException
	)
	return !errors.As(err, &tooMany) && !errors.As(err, &limit) && !errors.As(err, &paused)
}
