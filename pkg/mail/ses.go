package mail

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
)

// SES sends through Amazon SES v2 (SendEmail with Simple content; SES
// builds the MIME message).
type SES struct {
	client *sesv2.Client
	from   string
}

// NewSES returns a sender using client. from is the default From address
// (a verified SES identity), used when a Message has none.
func NewSES(client *sesv2.Client, from string) *SES {
	return &SES{client: client, from: from}
}

// Send sends m. It returns ErrInvalid before calling SES when m is
// malformed, and ErrRejected when SES refuses the message for good; other
// errors (throttling, network, 5xx) are worth retrying.
func (s *SES) Send(ctx context.Context, m Message) error {
	if m.From == "" {
		m.From = s.from
	}
	c, err := check(m)
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
		FromEmailAddress: aws.String(addressString(c.from)),
		Destination:      &types.Destination{ToAddresses: []string{addressString(c.to)}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(c.Subject), Charset: aws.String("UTF-8")},
			Body:    body,
		}},
	})
	if err == nil {
		return nil
	}
	if permanent(err) {
		return fmt.Errorf("mail: ses send to %s: %w: %v", c.to.Address, ErrRejected, err)
	}
	return fmt.Errorf("mail: ses send to %s: %w", c.to.Address, err)
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
