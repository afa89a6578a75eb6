package avatar

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/testkit/avatarkit"
)

// Test secrets, the ones the stand-in accepts; no error message may contain
// them.
const (
	slackToken       = avatarkit.SlackToken
	telegramToken    = avatarkit.TelegramToken
	teamsAppID       = avatarkit.TeamsAppID
	teamsPassword    = avatarkit.TeamsPassword
	teamsTenant      = avatarkit.TeamsTenant
	graphAccessToken = avatarkit.GraphToken
)

// newStandIn starts the shared provider stand-in on 127.0.0.1, strict about
// the Telegram limit avatar sync must send.
func newStandIn(t testing.TB) *avatarkit.Server {
	t.Helper()
	s := avatarkit.New()
	s.StrictTelegramLimit = true
	t.Cleanup(s.Close)
	return s
}

// standInConfig points a Fetcher at s, allowing only 127.0.0.1 as image host.
func standInConfig(s *avatarkit.Server) Config {
	loop := []string{"127.0.0.1"}
	return Config{
		SlackAPIURL:       s.URL() + "/slack/api/",
		TelegramAPIURL:    s.URL() + "/telegram",
		GraphAPIURL:       s.URL() + "/graph/v1.0",
		MicrosoftLoginURL: s.URL() + "/login",
		AllowedHosts:      map[string][]string{ProviderSlack: loop, ProviderTelegram: loop, ProviderTeams: loop},
		AllowLoopback:     true,
		RootCAs:           s.RootCAs(),
		Timeout:           5 * time.Second,
	}
}

func encodePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeGIF(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webp1x1 is a 1x1 lossless WebP (the classic feature-detection image).
func webp1x1(t testing.TB) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngHeader is a PNG signature and IHDR claiming w x h pixels, no pixel data.
func pngHeader(w, h uint32) []byte { return avatarkit.PNGHeader(w, h) }
