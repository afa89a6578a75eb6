package avatar

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test secrets; no error message may contain them.
const (
	slackToken       = "xoxb-test-slack-token"
	telegramToken    = "123456:telegram-secret-token"
	teamsAppID       = "11111111-2222-3333-4444-555555555555"
	teamsPassword    = "teams-app-password"
	teamsTenant      = "contoso.onmicrosoft.com"
	graphAccessToken = "graph-access-token"
)

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

// pngHeader returns a PNG signature and a valid IHDR claiming w x h pixels,
// with no pixel data: enough for DecodeConfig.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// standIn is one TLS server on 127.0.0.1 playing Slack, Telegram, Entra ID
// and Graph with their documented wire formats, plus an image host.
type standIn struct {
	srv *httptest.Server

	mu          sync.Mutex
	slackUsers  map[string]map[string]any // user id -> profile
	tgPhotos    map[string][][]map[string]any
	tgFiles     map[string]string // file_id -> file_path
	images      map[string][]byte // path under /img/ -> body (served as image/png, whatever it is)
	graphPhotos map[string][]byte
	tokenCalls  int
}

func newStandIn(t testing.TB) *standIn {
	t.Helper()
	s := &standIn{
		slackUsers:  map[string]map[string]any{},
		tgPhotos:    map[string][][]map[string]any{},
		tgFiles:     map[string]string{},
		images:      map[string][]byte{},
		graphPhotos: map[string][]byte{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/users.info", s.slackUsersInfo)
	mux.HandleFunc("POST /api/oauth.v2.access", s.slackOAuthAccess)
	mux.HandleFunc("GET /img/{name...}", s.image)
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("GET /tg/", s.telegram)
	mux.HandleFunc("POST /login/{tenant}/oauth2/v2.0/token", s.entraToken)
	mux.HandleFunc("GET /v1.0/users/{id}/photo/{value}", s.graphPhoto)
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngHeader(10, 10))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", fmt.Sprint(50<<20))
		writeBig(w, r)
	})
	mux.HandleFunc("GET /big-unsized", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		writeBig(w, r)
	})
	mux.HandleFunc("GET /big-lying", func(w http.ResponseWriter, r *http.Request) {
		// net/http will not send more than a declared Content-Length, so
		// write the response by hand: a small length and a chunked body.
		conn, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 1024\r\nTransfer-Encoding: chunked\r\n\r\n")
		writeChunked(bw, 50<<20)
	})
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func writeBig(w http.ResponseWriter, r *http.Request) {
	w.Write(pngHeader(10, 10))
	buf := make([]byte, 1<<20)
	for range 50 {
		if _, err := w.Write(buf); err != nil || r.Context().Err() != nil {
			return
		}
	}
}

func writeChunked(bw *bufio.ReadWriter, n int) {
	head := pngHeader(10, 10)
	fmt.Fprintf(bw, "%x\r\n%s\r\n", len(head), head)
	buf := make([]byte, 1<<20)
	for sent := 0; sent < n; sent += len(buf) {
		fmt.Fprintf(bw, "%x\r\n", len(buf))
		bw.Write(buf)
		if _, err := bw.WriteString("\r\n"); err != nil {
			return
		}
	}
	bw.WriteString("0\r\n\r\n")
	bw.Flush()
}

func (s *standIn) url(path string) string { return s.srv.URL + path }

func (s *standIn) config() Config {
	loop := []string{"127.0.0.1"}
	return Config{
		SlackAPIURL:       s.url("/api/"),
		TelegramAPIURL:    s.url("/tg"),
		GraphAPIURL:       s.url("/v1.0"),
		MicrosoftLoginURL: s.url("/login"),
		AllowedHosts:      map[string][]string{ProviderSlack: loop, ProviderTelegram: loop, ProviderTeams: loop},
		AllowLoopback:     true,
		RootCAs:           s.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
		Timeout:           5 * time.Second,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// slackUsersInfo answers like https://api.slack.com/methods/users.info.
func (s *standIn) slackUsersInfo(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	token := r.PostForm.Get("token")
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if token != slackToken {
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	id := r.PostForm.Get("user")
	s.mu.Lock()
	profile, ok := s.slackUsers[id]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, 200, map[string]any{"ok": false, "error": "user_not_found"})
		return
	}
	writeJSON(w, 200, map[string]any{
		"ok": true,
		"user": map[string]any{
			"id": id, "team_id": "T012AB3C4", "name": "spengler", "deleted": false,
			"color": "9f69e7", "real_name": "Egon Spengler", "tz": "America/Los_Angeles",
			"tz_label": "Pacific Daylight Time", "tz_offset": -25200, "profile": profile,
			"is_admin": false, "is_owner": false, "is_bot": false, "updated": 1502138686,
			"is_app_user": false, "has_2fa": false, "locale": "en-US",
		},
	})
}

func slackProfile(custom bool, images map[string]string) map[string]any {
	p := map[string]any{
		"avatar_hash": "ge3b51ca72de", "real_name": "Egon Spengler", "display_name": "spengler",
		"real_name_normalized": "Egon Spengler", "display_name_normalized": "spengler",
		"status_text": "Print is dead", "status_emoji": ":books:", "team": "T012AB3C4",
		"is_custom_image": custom,
		"image_24":        "https://secure.gravatar.com/avatar/x.jpg?s=24&d=https%3A%2F%2Fa.slack-edge.com%2Fdf10d%2Fimg%2Favatars%2Fava_0010-24.png",
		"image_32":        "https://secure.gravatar.com/avatar/x.jpg?s=32",
	}
	for k, v := range images {
		p[k] = v
	}
	return p
}

// slackOAuthAccess answers like https://api.slack.com/methods/oauth.v2.access.
func (s *standIn) slackOAuthAccess(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	switch {
	case id != "client-1" || secret != "secret-1":
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_client_id"})
	case r.PostForm.Get("code") != "good-code" || r.PostForm.Get("redirect_uri") != "https://gatehouse.example/oauth/slack/callback":
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_code"})
	default:
		writeJSON(w, 200, map[string]any{
			"ok": true, "access_token": slackToken, "token_type": "bot", "scope": "users:read",
			"bot_user_id": "U0KRQLJ9H", "app_id": "A0KRD7HC3",
			"team":                  map[string]any{"name": "Slack Softball Team", "id": "T9TK3CUKW"},
			"enterprise":            nil,
			"authed_user":           map[string]any{"id": "U1234", "scope": "", "access_token": "", "token_type": ""},
			"is_enterprise_install": false,
		})
	}
}

func (s *standIn) image(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, ok := s.images[r.PathValue("name")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	// Always labelled PNG: the fetcher must not believe it.
	w.Header().Set("Content-Type", "image/png")
	w.Write(body)
}

// telegram routes /tg/bot<token>/<method> and /tg/file/bot<token>/<path>; a
// mux wildcard cannot follow the "bot" prefix inside a segment.
func (s *standIn) telegram(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/tg/")
	if path, ok := strings.CutPrefix(rest, "file/bot"); ok {
		token, file, _ := strings.Cut(path, "/")
		s.telegramFile(w, r, token, file)
		return
	}
	token, method, _ := strings.Cut(strings.TrimPrefix(rest, "bot"), "/")
	s.telegramMethod(w, r, token, method)
}

// telegramMethod answers like https://core.telegram.org/bots/api.
func (s *standIn) telegramMethod(w http.ResponseWriter, r *http.Request, token, method string) {
	if token != telegramToken {
		writeJSON(w, 401, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case "getUserProfilePhotos":
		photos, ok := s.tgPhotos[q.Get("user_id")]
		if !ok {
			writeJSON(w, 400, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: user not found"})
			return
		}
		if q.Get("limit") != "1" {
			writeJSON(w, 400, map[string]any{"ok": false, "error_code": 400, "description": "test stand-in expects limit=1"})
			return
		}
		if photos == nil {
			photos = [][]map[string]any{}
		}
		writeJSON(w, 200, map[string]any{"ok": true, "result": map[string]any{"total_count": len(photos), "photos": photos}})
	case "getFile":
		id := q.Get("file_id")
		path, ok := s.tgFiles[id]
		if !ok {
			writeJSON(w, 400, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"})
			return
		}
		writeJSON(w, 200, map[string]any{"ok": true, "result": map[string]any{
			"file_id": id, "file_unique_id": "u" + id, "file_size": 1234, "file_path": path,
		}})
	default:
		writeJSON(w, 404, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
	}
}

func (s *standIn) telegramFile(w http.ResponseWriter, r *http.Request, token, path string) {
	if token != telegramToken {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	body, ok := s.images[path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(body)
}

func tgSize(fileID string, w, h int) map[string]any {
	return map[string]any{"file_id": fileID, "file_unique_id": "u" + fileID, "file_size": 1000, "width": w, "height": h}
}

// entraToken answers like the Microsoft identity platform v2.0 token endpoint
// for the client-credentials grant.
func (s *standIn) entraToken(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f := r.PostForm
	if r.PathValue("tenant") != teamsTenant || f.Get("client_id") != teamsAppID || f.Get("client_secret") != teamsPassword {
		writeJSON(w, 401, map[string]any{
			"error":             "invalid_client",
			"error_description": "AADSTS7000215: Invalid client secret provided.",
			"error_codes":       []int{7000215},
		})
		return
	}
	if f.Get("grant_type") != "client_credentials" || f.Get("scope") != "https://graph.microsoft.com/.default" {
		writeJSON(w, 400, map[string]any{"error": "invalid_request", "error_description": "AADSTS900144: bad grant or scope"})
		return
	}
	s.mu.Lock()
	s.tokenCalls++
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": graphAccessToken})
}

// graphPhoto answers like GET /users/{id}/photo/$value.
func (s *standIn) graphPhoto(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("value") != "$value" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+graphAccessToken {
		writeJSON(w, 401, map[string]any{"error": map[string]any{"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})
		return
	}
	s.mu.Lock()
	body, ok := s.graphPhotos[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, 404, map[string]any{"error": map[string]any{
			"code":       "ImageNotFound",
			"message":    "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.",
			"innerError": map[string]any{"date": "2024-09-25T10:26:21", "request-id": "0a1b", "client-request-id": "0a1b"},
		}})
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(body)
}
