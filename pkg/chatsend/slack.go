package chatsend

import (
	"context"
	"errors"
	"net/http"

	"github.com/slack-go/slack"
)

// slackTransient are chat.postMessage error codes worth retrying; every
// other code (invalid_auth, channel_not_found, not_in_channel...) is permanent.
var slackTransient = map[string]bool{
	"ratelimited":         true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// sendSlack posts with chat.postMessage through slack-go.
func (s *Sender) sendSlack(ctx context.Context, creds Credentials, m Outbound) error {
	if creds.SlackBotToken == "" {
		return permanent(providerSlack, "no bot token")
	}
	api := slack.New(creds.SlackBotToken, slack.OptionAPIURL(s.cfg.SlackAPIURL), slack.OptionHTTPClient(s.client))
	if _, _, err := api.PostMessageContext(ctx, m.ReplyTo, slack.MsgOptionText(m.Text, false)); err != nil {
		return slackError(err)
	}
	return nil
}

func slackError(err error) *Error {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		return &Error{Provider: providerSlack, StatusCode: http.StatusTooManyRequests, RetryAfter: rl.RetryAfter}
	case errors.As(err, &sc):
		return &Error{Provider: providerSlack, StatusCode: sc.Code, Permanent: permanentStatus(sc.Code)}
	case errors.As(err, &se):
		return &Error{Provider: providerSlack, StatusCode: http.StatusOK, Code: se.Err, Permanent: !slackTransient[se.Err]}
	default:
		return networkError(providerSlack, err)
	}
}
