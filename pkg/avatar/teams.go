package avatar

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// teamsSource reads the Microsoft Graph profile photo with an app-only
// (client-credentials) token of the connector's bot registration.
type teamsSource struct {
	graphURL string
	loginURL string
	api      *http.Client
	dl       *downloader
	tokens   *tokenCache
}

type cachedToken struct {
	token   string
	expires time.Time
}

// Fetch downloads GET /users/{aadObjectId}/photo/$value.
func (s *teamsSource) Fetch(ctx context.Context, creds Credentials, address string) (Image, error) {
	if creds.TeamsAppID == "" || creds.TeamsAppPassword == "" || creds.TeamsTenantID == "" {
		return Image{}, fmt.Errorf("%w: Teams connector lacks app id, password or tenant", ErrOAuthNotConnected)
	}
	id, err := uuid.Parse(strings.TrimSpace(address))
	if err != nil {
		// Channel and chat ids ("19:...@thread.tacv2") are not users.
		return Image{}, fmt.Errorf("%w: %q is not an AAD object id", ErrNoImage, address)
	}
	token, err := s.token(ctx, creds)
	if err != nil {
		return Image{}, err
	}
	photoURL := s.graphURL + "/users/" + id.String() + "/photo/$value"
	img, status, err := s.dl.get(ctx, photoURL, http.Header{"Authorization": {"Bearer " + token}})
	switch {
	case err != nil:
		return Image{}, err
	case status == http.StatusNotFound:
		return Image{}, fmt.Errorf("%w: Graph has no photo for user %s", ErrNoImage, id)
	case status == http.StatusUnauthorized:
		s.tokens.drop(creds)
		return Image{}, fmt.Errorf("avatar: Graph photo: token rejected")
	case status != http.StatusOK:
		return Image{}, fmt.Errorf("avatar: Graph photo: status %d", status)
	}
	return img, nil
}

type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// tokenKey includes the secret's hash so that a rotated password is tried
// at once instead of after the cached token expires.
func tokenKey(c Credentials) string {
	sum := sha256.Sum256([]byte(c.TeamsAppPassword))
	return c.TeamsTenantID + "\x00" + c.TeamsAppID + "\x00" + string(sum[:])
}

func (s *teamsSource) token(ctx context.Context, creds Credentials) (string, error) {
	if t, ok := s.tokens.get(creds, time.Now()); ok {
		return t, nil
	}
	form := url.Values{
		"client_id":     {creds.TeamsAppID},
		"client_secret": {creds.TeamsAppPassword},
		"scope":         {"https://graph.microsoft.com/.default"},
		"grant_type":    {"client_credentials"},
	}
	u := s.loginURL + "/" + url.PathEscape(creds.TeamsTenantID) + "/oauth2/v2.0/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("avatar: Entra token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.api.Do(req)
	if err != nil {
		return "", fmt.Errorf("avatar: Entra token: %w", err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tr); err != nil {
		return "", fmt.Errorf("avatar: Entra token: status %d, undecodable body", resp.StatusCode)
	}
	if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized {
		// invalid_client, unauthorized_client, unknown tenant: the connector's
		// app registration does not work.
		return "", fmt.Errorf("%w: Entra token: %s", ErrOAuthNotConnected, tr.Error)
	}
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		return "", fmt.Errorf("avatar: Entra token: status %d %s", resp.StatusCode, tr.Error)
	}
	// Renew a minute early so a token never expires mid-request.
	s.tokens.put(creds, tr.AccessToken, time.Now().Add(time.Duration(tr.ExpiresIn)*time.Second-time.Minute))
	return tr.AccessToken, nil
}

func (c *tokenCache) get(creds Credentials, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[tokenKey(creds)]
	if !ok || !now.Before(t.expires) {
		return "", false
	}
	return t.token, true
}

func (c *tokenCache) put(creds Credentials, token string, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[tokenKey(creds)] = cachedToken{token: token, expires: expires}
}

func (c *tokenCache) drop(creds Credentials) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, tokenKey(creds))
}
