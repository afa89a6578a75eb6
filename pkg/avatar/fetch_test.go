package avatar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/testkit/avatarkit"
)

var allCreds = Credentials{
	SlackOAuthToken:  slackToken,
	TelegramBotToken: telegramToken,
	TeamsAppID:       teamsAppID,
	TeamsAppPassword: teamsPassword,
	TeamsTenantID:    teamsTenant,
}

const aadUser = "6e1b3f4a-8c2d-4e5f-9a0b-1c2d3e4f5a6b"

func TestFetch(t *testing.T) {
	s := newStandIn(t)
	pngImg, jpgImg, gifImg, webpImg := encodePNG(t, 64, 48), encodeJPEG(t, 32, 32), encodeGIF(t, 16, 8), webp1x1(t)
	original, i1024, i512 := s.SetImage("original.png", pngImg), s.SetImage("1024.jpg", jpgImg), s.SetImage("512.gif", gifImg)

	s.SetSlackUserImages("U0ORIGINAL", true, map[string]string{"image_original": original, "image_1024": i1024, "image_512": i512})
	s.SetSlackUserImages("W0NOORIGINAL", true, map[string]string{"image_1024": i1024, "image_512": i512})
	s.SetSlackUserImages("U0ONLY512", true, map[string]string{"image_512": i512})
	s.SetSlackUserImages("U0DEFAULT", false, map[string]string{"image_512": i512})

	// The largest size is not listed last: the fetcher must compare sizes.
	s.SetTelegramSizes("1001", []avatarkit.TelegramSize{
		{FileID: "small", Width: 160, Height: 160, FileSize: 1000},
		{FileID: "big", Width: 640, Height: 640, FileSize: 1000},
		{FileID: "mid", Width: 320, Height: 320, FileSize: 1000},
	})
	s.SetTelegramSizes("1002", nil) // privacy settings hide the photos
	s.SetTelegramSizes("1003", []avatarkit.TelegramSize{{FileID: "html", Width: 640, Height: 640, FileSize: 1000}})
	s.SetTelegramFile("small", "photos/file_0.jpg", encodeJPEG(t, 160, 160))
	s.SetTelegramFile("big", "photos/file_2.jpg", encodeJPEG(t, 640, 640))
	s.SetTelegramFile("html", "photos/page.html", []byte("<!doctype html><html><body>hi</body></html>"))

	s.SetGraphPhoto(aadUser, webpImg)

	f := NewFetcher(standInConfig(s))
	tests := []struct {
		name     string
		provider string
		creds    *Credentials
		address  string
		wantErr  error
		wantType string
		wantW    int
		wantData []byte
	}{
		{name: "slack image_original first", provider: ProviderSlack, address: "U0ORIGINAL", wantType: "image/png", wantW: 64, wantData: pngImg},
		{name: "slack image_1024 without original", provider: ProviderSlack, address: "W0NOORIGINAL", wantType: "image/jpeg", wantW: 32, wantData: jpgImg},
		{name: "slack image_512 last", provider: ProviderSlack, address: "U0ONLY512", wantType: "image/gif", wantW: 16, wantData: gifImg},
		{name: "slack default avatar", provider: ProviderSlack, address: "U0DEFAULT", wantErr: ErrNoImage},
		{name: "slack public channel", provider: ProviderSlack, address: "C024BE91L", wantErr: ErrNoImage},
		{name: "slack private channel", provider: ProviderSlack, address: "G024BE91L", wantErr: ErrNoImage},
		{name: "slack direct message", provider: ProviderSlack, address: "D024BE91L", wantErr: ErrNoImage},
		{name: "slack unknown user", provider: ProviderSlack, address: "U0NOBODY", wantErr: ErrNoImage},
		{name: "slack without token", provider: ProviderSlack, creds: &Credentials{}, address: "U0ORIGINAL", wantErr: ErrOAuthNotConnected},
		{name: "slack revoked token", provider: ProviderSlack, creds: &Credentials{SlackOAuthToken: "xoxb-revoked"}, address: "U0ORIGINAL", wantErr: ErrOAuthNotConnected},

		{name: "telegram largest size", provider: ProviderTelegram, address: "1001", wantType: "image/jpeg", wantW: 640},
		{name: "telegram empty photo list", provider: ProviderTelegram, address: "1002", wantErr: ErrNoImage},
		{name: "telegram unknown user", provider: ProviderTelegram, address: "1009", wantErr: ErrNoImage},
		{name: "telegram group id", provider: ProviderTelegram, address: "-1001234567890", wantErr: ErrNoImage},
		{name: "telegram channel name", provider: ProviderTelegram, address: "@gatehouse", wantErr: ErrNoImage},
		{name: "telegram without token", provider: ProviderTelegram, creds: &Credentials{}, address: "1001", wantErr: ErrOAuthNotConnected},
		{name: "telegram wrong token", provider: ProviderTelegram, creds: &Credentials{TelegramBotToken: "1:wrong"}, address: "1001", wantErr: ErrOAuthNotConnected},
		{name: "telegram file is html", provider: ProviderTelegram, address: "1003", wantErr: ErrRefused},

		{name: "teams photo", provider: ProviderTeams, address: aadUser, wantType: "image/webp", wantW: 1, wantData: webpImg},
		{name: "teams no photo (404)", provider: ProviderTeams, address: "0f0f0f0f-0000-4000-8000-000000000000", wantErr: ErrNoImage},
		{name: "teams channel conversation", provider: ProviderTeams, address: "19:abc@thread.tacv2", wantErr: ErrNoImage},
		{name: "teams without app credentials", provider: ProviderTeams, creds: &Credentials{TeamsTenantID: teamsTenant}, address: aadUser, wantErr: ErrOAuthNotConnected},
		{name: "teams wrong secret", provider: ProviderTeams, creds: &Credentials{TeamsAppID: teamsAppID, TeamsAppPassword: "nope", TeamsTenantID: teamsTenant}, address: aadUser, wantErr: ErrOAuthNotConnected},

		{name: "whatsapp", provider: ProviderWhatsApp, address: "15551234567", wantErr: ErrNoAvatarSource},
		{name: "twilio sms", provider: ProviderTwilioSMS, address: "+15551234567", wantErr: ErrNoAvatarSource},
		{name: "unknown provider", provider: "EMAIL", address: "a@b.example", wantErr: ErrNoAvatarSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := allCreds
			if tt.creds != nil {
				creds = *tt.creds
			}
			got, err := f.Fetch(t.Context(), tt.provider, creds, tt.address)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Fetch(%s, %q) error = %v, want %v", tt.provider, tt.address, err, tt.wantErr)
				}
				assertNoSecret(t, err)
				return
			}
			if err != nil {
				t.Fatalf("Fetch(%s, %q) error = %v, want an image", tt.provider, tt.address, err)
			}
			if got.ContentType != tt.wantType || got.Width != tt.wantW {
				t.Errorf("Fetch(%s, %q) = %s %dpx wide, want %s %dpx", tt.provider, tt.address, got.ContentType, got.Width, tt.wantType, tt.wantW)
			}
			sum := sha256.Sum256(got.Data)
			if got.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("SHA256 = %s, does not match the data", got.SHA256)
			}
			if tt.wantData != nil && string(got.Data) != string(tt.wantData) {
				t.Errorf("Fetch returned %d bytes, not the %d the provider served", len(got.Data), len(tt.wantData))
			}
		})
	}
	if n := s.TokenGrants(); n != 1 {
		t.Errorf("Entra token requested %d times, want 1 (cached across fetches)", n)
	}
}

func TestImageExtension(t *testing.T) {
	tests := []struct {
		data []byte
		want string
	}{
		{encodePNG(t, 2, 2), "png"},
		{encodeJPEG(t, 2, 2), "jpg"},
		{encodeGIF(t, 2, 2), "gif"},
		{webp1x1(t), "webp"},
	}
	for _, tt := range tests {
		got, err := decodeImage(tt.data, DefaultMaxPixels)
		if err != nil || got.Ext != tt.want {
			t.Errorf("decodeImage(%s) = %q, %v; want %q", tt.want, got.Ext, err, tt.want)
		}
	}
}

func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	for _, secret := range []string{slackToken, telegramToken, teamsPassword, graphAccessToken} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

// TestDownloadRefused is the SSRF and content matrix: every case must be
// refused with ErrRefused, whatever the provider's API says.
func TestDownloadRefused(t *testing.T) {
	s := newStandIn(t)
	pageHTML := s.SetImage("page.html", []byte("<!DOCTYPE html><html><head><title>x</title></head><body>not an image</body></html>"))
	vectorSVG := s.SetImage("vector.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`))
	bareSVG := s.SetImage("bare.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`))
	hugePNG := s.SetImage("huge.png", pngHeader(100000, 100000))
	okBody := encodePNG(t, 4, 4)
	okPNG := s.SetImage("ok.png", okBody)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(okBody) }))
	t.Cleanup(plain.Close)

	redirectTo := func(to string) string { return s.ImageURL("/redirect?to=" + url.QueryEscape(to)) }
	tests := []struct {
		name     string
		imageURL string
		tweak    func(*Config)
	}{
		{name: "metadata address, host not allowed", imageURL: "https://169.254.169.254/latest/meta-data/iam/security-credentials/"},
		{name: "metadata address, refused at dial", imageURL: "https://169.254.169.254/latest/meta-data/",
			tweak: func(c *Config) {
				c.AllowedHosts[ProviderSlack] = append(c.AllowedHosts[ProviderSlack], "169.254.169.254")
			}},
		{name: "private address, refused at dial", imageURL: "https://10.0.0.1/a.png",
			tweak: func(c *Config) { c.AllowedHosts[ProviderSlack] = append(c.AllowedHosts[ProviderSlack], "10.0.0.1") }},
		{name: "loopback without AllowLoopback", imageURL: okPNG, tweak: func(c *Config) { c.AllowLoopback = false }},
		{name: "name resolving to loopback", imageURL: "https://localhost/a.png",
			tweak: func(c *Config) { c.AllowLoopback = false; c.AllowedHosts[ProviderSlack] = []string{"localhost"} }},
		{name: "plain http", imageURL: plain.URL + "/a.png"},
		{name: "host not on the allow-list", imageURL: "https://evil.example.com/a.png"},
		{name: "look-alike host", imageURL: "https://avatars.slack-edge.com.evil.example/a.png"},
		{name: "credentials in URL", imageURL: strings.Replace(okPNG, "https://", "https://user:pw@", 1)},
		{name: "redirect to metadata address", imageURL: redirectTo("https://169.254.169.254/latest/meta-data/")},
		{name: "redirect to allowed private address", imageURL: redirectTo("https://10.0.0.1/a.png"),
			tweak: func(c *Config) { c.AllowedHosts[ProviderSlack] = append(c.AllowedHosts[ProviderSlack], "10.0.0.1") }},
		{name: "redirect to plain http", imageURL: redirectTo(plain.URL + "/a.png")},
		{name: "four redirects", imageURL: redirectTo(redirectTo(redirectTo(redirectTo(okPNG))))},
		{name: "50 MB body", imageURL: s.ImageURL("/big-sized.png")},
		{name: "50 MB body without length", imageURL: s.ImageURL("/big.png")},
		{name: "50 MB body with lying Content-Length", imageURL: s.ImageURL("/big-lying.png")},
		{name: "slow body beyond timeout", imageURL: s.ImageURL("/slow.png"), tweak: func(c *Config) { c.Timeout = 300 * time.Millisecond }},
		{name: "HTML labelled image/png", imageURL: pageHTML},
		{name: "SVG labelled image/png", imageURL: vectorSVG},
		{name: "bare SVG labelled image/png", imageURL: bareSVG},
		{name: "PNG claiming 100000x100000", imageURL: hugePNG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetSlackUserImages("U0EVIL", true, map[string]string{"image_original": tt.imageURL})
			cfg := standInConfig(s)
			if tt.tweak != nil {
				tt.tweak(&cfg)
			}
			start := time.Now()
			img, err := NewFetcher(cfg).Fetch(t.Context(), ProviderSlack, allCreds, "U0EVIL")
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("Fetch of %s = %d bytes, %v; want ErrRefused", tt.imageURL, len(img.Data), err)
			}
			t.Logf("refused: %v", err)
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("refusal took %v; the guard should not wait for the whole body", d)
			}
		})
	}
}

// A redirect that stays on the provider's hosts (Gravatar's d=) is followed.
func TestDownloadFollowsAllowedRedirect(t *testing.T) {
	s := newStandIn(t)
	want := encodePNG(t, 8, 8)
	s.SetSlackUserImages("U0GRAVATAR", true, map[string]string{
		"image_original": s.ImageURL("/redirect?to=" + url.QueryEscape(s.SetImage("ok.png", want))),
	})
	got, err := NewFetcher(standInConfig(s)).Fetch(t.Context(), ProviderSlack, allCreds, "U0GRAVATAR")
	if err != nil {
		t.Fatalf("Fetch via redirect: %v", err)
	}
	if string(got.Data) != string(want) {
		t.Errorf("Fetch via redirect returned %d bytes, want the %d-byte image", len(got.Data), len(want))
	}
}

// The caller's cancellation is not a refusal: it must not become a 400.
func TestFetchCallerCancelled(t *testing.T) {
	s := newStandIn(t)
	s.SetSlackUserImages("U0SLOW", true, map[string]string{"image_original": s.ImageURL("/slow.png")})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := NewFetcher(standInConfig(s)).Fetch(ctx, ProviderSlack, allCreds, "U0SLOW")
	if err == nil || errors.Is(err, ErrRefused) {
		t.Fatalf("Fetch with cancelled caller = %v, want a non-refusal error", err)
	}
}

func TestHostAllowed(t *testing.T) {
	allowed := DefaultAllowedHosts()[ProviderSlack]
	tests := []struct {
		host string
		want bool
	}{
		{"avatars.slack-edge.com", true},
		{"ca.slack-edge.com", true},
		{"slack-edge.com", false},
		{"secure.gravatar.com", true},
		{"evilslack-edge.com", false},
		{"avatars.slack-edge.com.evil.example", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := hostAllowed(tt.host, allowed); got != tt.want {
			t.Errorf("hostAllowed(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"SLACK_API_URL":         "https://127.0.0.1:8443/api",
		"TELEGRAM_API_URL":      "https://127.0.0.1:8444",
		"AVATAR_ALLOW_LOOPBACK": "true",
	}
	cfg := ConfigFromEnv(func(k string) string { return env[k] }).withDefaults()
	if !cfg.AllowLoopback {
		t.Error("AllowLoopback = false, want true from AVATAR_ALLOW_LOOPBACK")
	}
	if cfg.SlackAPIURL != "https://127.0.0.1:8443/api/" {
		t.Errorf("SlackAPIURL = %q, want the env value with a trailing slash", cfg.SlackAPIURL)
	}
	if cfg.SlackAuthorizeURL != "https://127.0.0.1:8443/oauth/v2/authorize" {
		t.Errorf("SlackAuthorizeURL = %q, want it next to the stand-in's api/", cfg.SlackAuthorizeURL)
	}
	if cfg.GraphAPIURL != DefaultGraphAPIURL || cfg.MicrosoftLoginURL != DefaultMicrosoftLoginURL {
		t.Errorf("Graph/login = %q/%q, want the defaults", cfg.GraphAPIURL, cfg.MicrosoftLoginURL)
	}
	if !hostAllowed("127.0.0.1", cfg.AllowedHosts[ProviderSlack]) || !hostAllowed("avatars.slack-edge.com", cfg.AllowedHosts[ProviderSlack]) {
		t.Errorf("Slack allow-list = %v, want the defaults plus the stand-in host", cfg.AllowedHosts[ProviderSlack])
	}
	if hostAllowed("127.0.0.1", cfg.AllowedHosts[ProviderTeams]) {
		t.Errorf("Teams allow-list = %v, want no stand-in host when GRAPH_API_URL is unset", cfg.AllowedHosts[ProviderTeams])
	}
	def := ConfigFromEnv(func(string) string { return "" }).withDefaults()
	if def.AllowLoopback || def.MaxBytes != 5<<20 || def.Timeout != 10*time.Second || def.SlackAuthorizeURL != DefaultSlackAuthorizeURL {
		t.Errorf("defaults = loopback %v, %d bytes, %v, %s", def.AllowLoopback, def.MaxBytes, def.Timeout, def.SlackAuthorizeURL)
	}
}

func BenchmarkFetchSlack(b *testing.B) {
	s := newStandIn(b)
	s.SetSlackUserImages("U0BENCH", true, map[string]string{"image_original": s.SetImage("original.png", encodePNG(b, 512, 512))})
	f := NewFetcher(standInConfig(s))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Fetch(ctx, ProviderSlack, allCreds, "U0BENCH"); err != nil {
			b.Fatal(err)
		}
	}
}
