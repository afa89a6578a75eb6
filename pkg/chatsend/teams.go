package chatsend

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	botFrameworkScope = "https://api.botframework.com/.default"
	// Renew tokens this long before they expire, so one never dies in flight.
	tokenEarlyRenewal = 5 * time.Minute
)

type cachedToken struct {
	token  string
	expiry time.Time
}

// sendTeams replies into a conversation through the Bot Connector API at the
// activity's serviceUrl, with a client-credentials token for the bot.
func (s *Sender) sendTeams(ctx context.Context, creds Credentials, m Outbound) error {
	if creds.TeamsAppID == "" || creds.TeamsAppPassword == "" {
		return permanent(providerTeams, "no app id or app password")
	}
	su, err := url.Parse(m.ServiceURL)
	if err != nil || (su.Scheme != "https" && su.Scheme != "http") || su.Host == "" {
		return permanent(providerTeams, "missing or invalid serviceUrl")
	}
	endpoint := strings.TrimRight(m.ServiceURL, "/") + "/v3/conversations/" + url.PathEscape(m.ReplyTo) + "/activities"
	activity := map[string]any{"type": "message", "text": m.Text}

	// A cached token can be revoked early; a 401 earns one retry with a fresh one.
	for attempt := 0; ; attempt++ {
		token, err := s.teamsToken(ctx, creds, attempt > 0)
		if err != nil {
			return err
		}
		req, err := newJSONRequest(ctx, endpoint, activity)
		if err != nil {
			return permanent(providerTeams, "building request: "+err.Error())
		}
		req.Header.Set("Authorization", "Bearer "+token)
		r, err := s.do(req, providerTeams)
		if err != nil {
			return err
		}
		if r.ok() {
			return nil
		}
		if r.status == http.StatusUnauthorized && attempt == 0 {
			continue
		}
		var res struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(r.body, &res)
		return statusError(providerTeams, r, res.Error.Code, res.Error.Message)
	}
}

// teamsToken returns a cached Bot Framework token or fetches a new one.
func (s *Sender) teamsToken(ctx context.Context, creds Credentials, refresh bool) (string, error) {
	// Key on the password too, so a rotated password takes effect at once.
	sum := sha256.Sum256([]byte(creds.TeamsAppID + "\x00" + creds.TeamsAppPassword))
	key := string(sum[:])
	now := time.Now()
	s.mu.Lock()
	c, ok := s.teamsTokens[key]
	s.mu.Unlock()
	if ok && !refresh && now.Before(c.expiry) {
		return c.token, nil
	}

	req, err := newFormRequest(ctx, s.cfg.BotFrameworkTokenURL, url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {creds.TeamsAppID},
		"client_secret": {creds.TeamsAppPassword},
		"scope":         {botFrameworkScope},
	})
	if err != nil {
		return "", permanent(providerTeams, "building token request: "+err.Error())
	}
	r, err := s.do(req, providerTeams)
	if err != nil {
		return "", err
	}
	var res struct {
		AccessToken      string `json:"access_token"`
		ExpiresIn        int    `json:"expires_in"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	_ = json.Unmarshal(r.body, &res)
	if !r.ok() {
		// invalid_client and friends come back as 400/401: bad credentials.
		e := statusError(providerTeams, r, res.Error, "token: "+firstLine(res.ErrorDescription))
		return "", e
	}
	if res.AccessToken == "" {
		return "", &Error{Provider: providerTeams, StatusCode: r.status, Detail: "token response without access_token"}
	}
	c = cachedToken{token: res.AccessToken, expiry: now.Add(time.Duration(res.ExpiresIn)*time.Second - tokenEarlyRenewal)}
	s.mu.Lock()
	s.teamsTokens[key] = c
	s.mu.Unlock()
	return c.token, nil
}

// firstLine trims Entra ID's multi-line error descriptions (trace ids follow).
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}
