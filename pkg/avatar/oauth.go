package avatar

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// ErrInvalidState: an OAuth state that is forged, malformed or expired.
var ErrInvalidState = errors.New("avatar: invalid OAuth state")

// stateSkew tolerates clocks of different Lambdas disagreeing a little.
const stateSkew = time.Minute

// SlackAuthorizeURL returns Slack's OAuth v2 authorize URL asking for
// users:read. Use Fetcher.SlackAuthorizeURL to honour a configured base.
func SlackAuthorizeURL(clientID, redirectURL string, state string) string {
	return slackAuthorizeURL(DefaultSlackAuthorizeURL, clientID, redirectURL, state)
}

// SlackAuthorizeURL is the package function with Config.SlackAuthorizeURL as
// base, so that a stand-in Slack can play the authorize step.
func (f *Fetcher) SlackAuthorizeURL(clientID, redirectURL, state string) string {
	return slackAuthorizeURL(f.cfg.SlackAuthorizeURL, clientID, redirectURL, state)
}

func slackAuthorizeURL(base, clientID, redirectURL, state string) string {
	q := url.Values{
		"client_id":    {clientID},
		"scope":        {"users:read"},
		"redirect_uri": {redirectURL},
		"state":        {state},
	}
	return base + "?" + q.Encode()
}

// SignState returns "payload.issuedAt.mac", each part URL-safe, where mac is
// HMAC-SHA256 over the first two parts. The payload is readable, not secret.
// key should hold at least 32 random bytes.
func SignState(key []byte, payload string, now time.Time) string {
	msg := base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + strconv.FormatInt(now.Unix(), 10)
	return msg + "." + base64.RawURLEncoding.EncodeToString(stateMAC(key, msg))
}

// VerifyState checks a state from SignState and returns its payload when the
// MAC matches and it was issued no longer than maxAge before now.
func VerifyState(key []byte, state string, now time.Time, maxAge time.Duration) (payload string, err error) {
	if len(key) == 0 {
		return "", fmt.Errorf("%w: no signing key", ErrInvalidState)
	}
	i := strings.LastIndexByte(state, '.')
	if i < 0 {
		return "", fmt.Errorf("%w: malformed", ErrInvalidState)
	}
	msg, macText := state[:i], state[i+1:]
	// Strict: a MAC text whose last character differs only in unused bits
	// decodes to the same bytes; only SignState's own spelling is valid.
	mac, err := base64.RawURLEncoding.Strict().DecodeString(macText)
	if err != nil || !hmac.Equal(mac, stateMAC(key, msg)) {
		return "", fmt.Errorf("%w: bad signature", ErrInvalidState)
	}
	// The MAC covers msg, so what follows parses our own output.
	p, iatText, ok := strings.Cut(msg, ".")
	if !ok {
		return "", fmt.Errorf("%w: malformed", ErrInvalidState)
	}
	iat, err := strconv.ParseInt(iatText, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: malformed time", ErrInvalidState)
	}
	issued := time.Unix(iat, 0)
	if now.Sub(issued) > maxAge || issued.Sub(now) > stateSkew {
		return "", fmt.Errorf("%w: expired", ErrInvalidState)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(p)
	if err != nil {
		return "", fmt.Errorf("%w: malformed payload", ErrInvalidState)
	}
	return string(raw), nil
}

func stateMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// ExchangeSlackCode trades the code of the OAuth callback for the
// workspace's token with oauth.v2.access.
func (f *Fetcher) ExchangeSlackCode(ctx context.Context, clientID, clientSecret, code, redirectURL string) (token, teamID string, err error) {
	resp, err := slack.GetOAuthV2ResponseContext(ctx, f.api, clientID, clientSecret, code, redirectURL,
		slack.OAuthOptionAPIURL(f.cfg.SlackAPIURL))
	if err != nil {
		return "", "", fmt.Errorf("avatar: Slack oauth.v2.access: %w", err)
	}
	if resp.AccessToken == "" {
		return "", "", errors.New("avatar: Slack oauth.v2.access: no access token")
	}
	return resp.AccessToken, resp.Team.ID, nil
}
