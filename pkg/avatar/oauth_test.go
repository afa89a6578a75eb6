package avatar

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/testkit/avatarkit"
)

var stateKey = []byte("0123456789abcdef0123456789abcdef")

func TestSlackAuthorizeURL(t *testing.T) {
	got, err := url.Parse(SlackAuthorizeURL("client-1", "https://gatehouse.example/cb", "st.ate"))
	if err != nil {
		t.Fatal(err)
	}
	if base := got.Scheme + "://" + got.Host + got.Path; base != "https://slack.com/oauth/v2/authorize" {
		t.Errorf("base = %s, want Slack's v2 authorize endpoint", base)
	}
	q := got.Query()
	for k, want := range map[string]string{"client_id": "client-1", "scope": "users:read", "redirect_uri": "https://gatehouse.example/cb", "state": "st.ate"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}

	s := newStandIn(t)
	if got := NewFetcher(standInConfig(s)).SlackAuthorizeURL("c", "r", "s"); !strings.HasPrefix(got, s.URL()+"/slack/oauth/v2/authorize?") {
		t.Errorf("Fetcher.SlackAuthorizeURL = %s, want the stand-in's authorize endpoint", got)
	}
}

func TestState(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	valid := SignState(stateKey, "tenant-1/connector-2", now)
	tests := []struct {
		name    string
		key     []byte
		state   string
		at      time.Time
		want    string
		wantErr bool
	}{
		{name: "fresh", key: stateKey, state: valid, at: now.Add(time.Minute), want: "tenant-1/connector-2"},
		{name: "at max age", key: stateKey, state: valid, at: now.Add(10 * time.Minute), want: "tenant-1/connector-2"},
		{name: "expired", key: stateKey, state: valid, at: now.Add(10*time.Minute + time.Second), wantErr: true},
		{name: "issued in the future", key: stateKey, state: valid, at: now.Add(-2 * time.Minute), wantErr: true},
		{name: "other key", key: []byte("another key, another key, 32 byt"), state: valid, at: now, wantErr: true},
		{name: "empty key", key: nil, state: SignState(nil, "x", now), at: now, wantErr: true},
		{name: "payload swapped", key: stateKey, state: "dGVuYW50LTk" + valid[strings.IndexByte(valid, '.'):], at: now, wantErr: true},
		{name: "time moved", key: stateKey, state: strings.Replace(valid, strconv.FormatInt(now.Unix(), 10), strconv.FormatInt(now.Unix()+3600, 10), 1), at: now, wantErr: true},
		{name: "mac cut", key: stateKey, state: valid[:len(valid)-2], at: now, wantErr: true},
		{name: "empty", key: stateKey, state: "", at: now, wantErr: true},
		{name: "garbage", key: stateKey, state: "a.b.c", at: now, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyState(tt.key, tt.state, tt.at, 10*time.Minute)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidState) {
					t.Fatalf("VerifyState = %q, %v; want ErrInvalidState", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("VerifyState = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestExchangeSlackCode(t *testing.T) {
	s := newStandIn(t)
	f := NewFetcher(standInConfig(s))
	const redirect = "https://gatehouse.example/oauth/slack/callback"
	const clientID, clientSecret = avatarkit.SlackClientID, avatarkit.SlackClientSecret
	tests := []struct {
		name                string
		id, secret, code    string
		wantToken, wantTeam string
		wantErr             bool
	}{
		{name: "good code", id: clientID, secret: clientSecret, code: "good-code", wantToken: slackToken, wantTeam: avatarkit.SlackTeamID},
		{name: "used code", id: clientID, secret: clientSecret, code: "used-code", wantErr: true},
		{name: "wrong secret", id: clientID, secret: "nope", code: "good-code", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Codes are one-use: issue good-code afresh, so that only the
			// secret is wrong in "wrong secret"; used-code is never valid.
			s.IssueSlackCode("good-code", redirect)
			token, team, err := f.ExchangeSlackCode(t.Context(), tt.id, tt.secret, tt.code, redirect)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ExchangeSlackCode = %q, %q; want an error", token, team)
				}
				return
			}
			if err != nil || token != tt.wantToken || team != tt.wantTeam {
				t.Fatalf("ExchangeSlackCode = %q, %q, %v; want %q, %q", token, team, err, tt.wantToken, tt.wantTeam)
			}
		})
	}
}

func FuzzVerifyState(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	f.Add(SignState(stateKey, "tenant/connector", now))
	f.Add(SignState(stateKey, "", now))
	f.Add("..")
	f.Add("e30.1700000000.AAAA")
	f.Fuzz(func(t *testing.T, state string) {
		payload, err := VerifyState(stateKey, state, now, time.Hour)
		if err != nil {
			if !errors.Is(err, ErrInvalidState) {
				t.Fatalf("VerifyState error %v is not ErrInvalidState", err)
			}
			return
		}
		// Only our own output verifies: re-signing reproduces it exactly.
		parts := strings.Split(state, ".")
		iat, _ := strconv.ParseInt(parts[1], 10, 64)
		if again := SignState(stateKey, payload, time.Unix(iat, 0)); again != state {
			t.Fatalf("VerifyState accepted %q, which SignState would write as %q", state, again)
		}
	})
}
