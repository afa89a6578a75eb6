package avatar

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/slack-go/slack"
)

type slackSource struct {
	apiURL string
	api    *http.Client
	dl     *downloader
}

// Fetch reads the user with users.info and downloads its largest image.
func (s *slackSource) Fetch(ctx context.Context, creds Credentials, address string) (Image, error) {
	if creds.SlackOAuthToken == "" {
		return Image{}, fmt.Errorf("%w: Slack workspace has no OAuth token", ErrOAuthNotConnected)
	}
	id := strings.TrimSpace(address)
	switch {
	case id == "":
		return Image{}, fmt.Errorf("%w: empty Slack address", ErrNoImage)
	case strings.IndexByte("CGD", id[0]) >= 0:
		// Public/private channels, group DMs and DMs have no avatar.
		return Image{}, fmt.Errorf("%w: %q is a Slack conversation, not a user", ErrNoImage, id)
	}
	client := slack.New(creds.SlackOAuthToken, slack.OptionAPIURL(s.apiURL), slack.OptionHTTPClient(s.api))
	user, err := client.GetUserInfoContext(ctx, id)
	if err != nil {
		return Image{}, slackError("users.info", err)
	}
	p := user.Profile
	if !p.IsCustomImage {
		return Image{}, fmt.Errorf("%w: Slack user %s has the default avatar", ErrNoImage, id)
	}
	imageURL := firstNonEmpty(p.ImageOriginal, p.Image1024, p.Image512)
	if imageURL == "" {
		return Image{}, fmt.Errorf("%w: Slack user %s has no large image", ErrNoImage, id)
	}
	img, status, err := s.dl.get(ctx, imageURL, nil)
	if err != nil {
		return Image{}, err
	}
	if status != http.StatusOK {
		return Image{}, fmt.Errorf("avatar: Slack image download: status %d", status)
	}
	return img, nil
}

// slackError maps Slack's documented error codes onto the package sentinels.
func slackError(method string, err error) error {
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		switch se.Err {
		case "not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive", "missing_scope", "no_permission":
			return fmt.Errorf("%w: Slack %s: %s", ErrOAuthNotConnected, method, se.Err)
		case "user_not_found", "user_not_visible":
			return fmt.Errorf("%w: Slack %s: %s", ErrNoImage, method, se.Err)
		}
	}
	return fmt.Errorf("avatar: Slack %s: %w", method, err)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
