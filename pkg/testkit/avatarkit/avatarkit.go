// Package avatarkit is one local TLS server playing the provider APIs
// avatar sync talks to, in their documented wire formats: Slack
// (users.info, the OAuth v2 authorize page and oauth.v2.access), the
// Telegram Bot API (getUserProfilePhotos, getFile, file download),
// Entra ID client credentials and Microsoft Graph profile photos; plus an
// image host with hostile paths (redirects, 50 MB bodies with no, a true
// and a lying Content-Length, a slow body)
// for refusal tests. Tests, benchmarks and the dev server use it.
package avatarkit

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials the stand-in accepts.
const (
	SlackClientID     = "standin-client-id"
	SlackClientSecret = "standin-client-secret"
	SlackToken        = "xoxb-standin-workspace-token"
	SlackTeamID       = "T0STANDIN"
	TelegramToken     = "123456:standin-telegram-token"
	TeamsAppID        = "11111111-2222-3333-4444-555555555555"
	TeamsPassword     = "standin-teams-password"
	TeamsTenant       = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	// GraphToken is the access token the Entra endpoint grants and Graph
	// accepts; no error message should ever contain it.
	GraphToken = "standin-graph-token"
)

// Server is the stand-in. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server
	// Lenient accepts any well-formed bot token and app registration, so
	// that connectors made by hand in a local run work; the Slack client
	// id and secret are still checked.
	Lenient bool
	// StrictTelegramLimit makes getUserProfilePhotos answer 400 unless
	// the request asks for limit=1, as avatar sync does.
	StrictTelegramLimit bool

	mu          sync.Mutex
	slackUsers  map[string]map[string]any // user id -> profile
	tgPhotos    map[string][]TelegramSize // user id -> the newest photo's sizes
	tgFiles     map[string]string         // file id -> file path (under /img/)
	graphPhotos map[string][]byte         // AAD object id -> photo
	images      map[string][]byte         // name under /img/ -> body
	codes       map[string]string         // OAuth code -> redirect_uri
	calls       map[string]int
	grants      int // Entra tokens granted
}

// New starts a stand-in on 127.0.0.1 with a self-signed certificate.
func New() *Server {
	s := &Server{
		slackUsers: map[string]map[string]any{}, tgPhotos: map[string][]TelegramSize{}, tgFiles: map[string]string{},
		graphPhotos: map[string][]byte{}, images: map[string][]byte{}, codes: map[string]string{}, calls: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/api/users.info", s.slackUsersInfo)
	mux.HandleFunc("GET /slack/oauth/v2/authorize", s.slackAuthorize)
	mux.HandleFunc("POST /slack/api/oauth.v2.access", s.slackOAuthAccess)
	mux.HandleFunc("GET /telegram/", s.telegram)
	mux.HandleFunc("POST /login/{tenant}/oauth2/v2.0/token", s.entraToken)
	mux.HandleFunc("GET /graph/v1.0/users/{id}/photo/{value}", s.graphPhoto)
	mux.HandleFunc("GET /img/{name}", s.image)
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("GET /slow.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(PNG(8, 8, color.RGBA{A: 255})[:40])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	})
	mux.HandleFunc("GET /big.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(PNG(8, 8, color.RGBA{A: 255}))
		buf := make([]byte, 1<<20)
		for range 50 {
			if _, err := w.Write(buf); err != nil || r.Context().Err() != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /big-sized.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(50<<20))
		writeBig(w, r)
	})
	mux.HandleFunc("GET /big-lying.png", func(w http.ResponseWriter, r *http.Request) {
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
	s.srv = httptest.NewTLSServer(s.count(mux))
	return s
}

func (s *Server) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[r.URL.Path]++
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func writeBig(w http.ResponseWriter, r *http.Request) {
	w.Write(PNGHeader(10, 10))
	buf := make([]byte, 1<<20)
	for range 50 {
		if _, err := w.Write(buf); err != nil || r.Context().Err() != nil {
			return
		}
	}
}

func writeChunked(bw *bufio.ReadWriter, n int) {
	head := PNGHeader(10, 10)
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

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL is the server's base URL (https://127.0.0.1:port).
func (s *Server) URL() string { return s.srv.URL }

// CertPEM is the server certificate, for a client's root pool.
func (s *Server) CertPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}))
}

// RootCAs is a pool holding the server certificate.
func (s *Server) RootCAs() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.srv.Certificate())
	return pool
}

// Env is the settings pointing pkg/participants' avatar fetcher here.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AVATAR_SLACK_BASE_URL":     s.srv.URL + "/slack/api/",
		"AVATAR_TELEGRAM_BASE_URL":  s.srv.URL + "/telegram",
		"AVATAR_GRAPH_BASE_URL":     s.srv.URL + "/graph/v1.0",
		"AVATAR_LOGIN_BASE_URL":     s.srv.URL + "/login",
		"AVATAR_CA_PEM":             s.CertPEM(),
		"AVATAR_ALLOW_LOOPBACK":     "true",
		"SLACK_OAUTH_CLIENT_ID":     SlackClientID,
		"SLACK_OAUTH_CLIENT_SECRET": SlackClientSecret,
	}
}

// Calls reports how often a path was requested.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// TokenGrants reports how many Entra access tokens were granted (refused
// token requests do not count).
func (s *Server) TokenGrants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants
}

// PNGHeader returns a PNG signature and a valid IHDR claiming w x h
// pixels, with no pixel data: enough for image.DecodeConfig.
func PNGHeader(w, h uint32) []byte {
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

// PNG returns a w x h PNG filled with c.
func PNG(w, h int, c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// SetImage serves body at /img/{name} (always labelled image/png) and
// returns its URL.
func (s *Server) SetImage(name string, body []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.images[name] = body
	return s.srv.URL + "/img/" + url.PathEscape(name)
}

// ImageURL returns the URL of a stand-in path such as "/big.png":
// "/big.png" streams 50 MB without a Content-Length, "/big-sized.png"
// declares its 50 MB, "/big-lying.png" declares 1024 bytes and sends 50 MB
// chunked, and "/slow.png" stalls after 40 bytes.
func (s *Server) ImageURL(path string) string { return s.srv.URL + path }

// SetSlackUser makes users.info answer for id; custom false is Slack's
// default avatar. imageURL becomes image_original.
func (s *Server) SetSlackUser(id string, custom bool, imageURL string) {
	s.SetSlackUserImages(id, custom, map[string]string{"image_512": imageURL, "image_original": imageURL})
}

// SetSlackUserImages makes users.info answer for id with exactly the
// given image fields (image_original, image_1024, image_512, ...) besides
// image_24; custom false is Slack's default avatar.
func (s *Server) SetSlackUserImages(id string, custom bool, images map[string]string) {
	p := map[string]any{
		"avatar_hash": "g1234567890a", "real_name": "Stand-in User", "display_name": "standin",
		"real_name_normalized": "Stand-in User", "display_name_normalized": "standin",
		"team": SlackTeamID, "is_custom_image": custom,
		"image_24": "https://secure.gravatar.com/avatar/x.jpg?s=24",
	}
	for k, v := range images {
		p[k] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slackUsers[id] = p
}

// IssueSlackCode makes code a valid one-time OAuth code for redirectURI,
// as if the consent page had issued it.
func (s *Server) IssueSlackCode(code, redirectURI string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = redirectURI
}

// SetTelegramPhoto gives a Telegram user a profile photo whose largest
// size is body; nil body means an empty photo list (privacy settings).
func (s *Server) SetTelegramPhoto(userID string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if body == nil {
		s.tgPhotos[userID] = nil
		return
	}
	small, large := "small-"+userID, "large-"+userID
	s.tgPhotos[userID] = []TelegramSize{
		{FileID: small, Width: 160, Height: 160, FileSize: 1000},
		{FileID: large, Width: 640, Height: 640, FileSize: 2000},
	}
	s.tgFiles[small] = "photos/file_small_" + userID + ".jpg"
	s.tgFiles[large] = "photos/file_" + userID + ".jpg"
	s.images["photos/file_small_"+userID+".jpg"] = body
	s.images["photos/file_"+userID+".jpg"] = body
}

// TelegramSize is one PhotoSize of a Telegram profile photo.
type TelegramSize struct {
	FileID        string
	Width, Height int
	FileSize      int
}

// SetTelegramSizes gives a Telegram user a profile photo with exactly
// these sizes, in this order; nil or empty means an empty photo list.
// Serve their files with SetTelegramFile.
func (s *Server) SetTelegramSizes(userID string, sizes []TelegramSize) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tgPhotos[userID] = sizes
}

// SetTelegramFile makes getFile answer for fileID with filePath and serves
// body as that file's download.
func (s *Server) SetTelegramFile(fileID, filePath string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tgFiles[fileID] = filePath
	s.images[filePath] = body
}

// SetGraphPhoto gives an AAD user a profile photo.
func (s *Server) SetGraphPhoto(aadID string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.graphPhotos[strings.ToLower(aadID)] = body
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// slackUsersInfo answers like https://api.slack.com/methods/users.info.
func (s *Server) slackUsersInfo(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	token := r.PostForm.Get("token")
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if token != SlackToken && !(s.Lenient && token != "") {
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
	writeJSON(w, 200, map[string]any{"ok": true, "user": map[string]any{
		"id": id, "team_id": SlackTeamID, "name": "standin", "deleted": false, "real_name": "Stand-in User",
		"tz": "Europe/Zurich", "tz_offset": 3600, "profile": profile, "is_admin": false, "is_bot": false, "updated": 1700000000,
	}})
}

// slackAuthorize plays the consent page: it approves at once and sends
// the browser back to redirect_uri with a one-time code and the state.
func (s *Server) slackAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != SlackClientID || q.Get("redirect_uri") == "" || !strings.Contains(q.Get("scope"), "users:read") {
		http.Error(w, "invalid_client_id or missing redirect_uri/scope", http.StatusBadRequest)
		return
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	code := "standin-code-" + hex.EncodeToString(b)
	s.mu.Lock()
	s.codes[code] = q.Get("redirect_uri")
	s.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// slackOAuthAccess answers like https://api.slack.com/methods/oauth.v2.access.
func (s *Server) slackOAuthAccess(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	code := r.PostForm.Get("code")
	s.mu.Lock()
	redirect, known := s.codes[code]
	delete(s.codes, code) // one use
	s.mu.Unlock()
	switch {
	case id != SlackClientID || secret != SlackClientSecret:
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_client_id"})
	case !known:
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_code"})
	case redirect != r.PostForm.Get("redirect_uri"):
		writeJSON(w, 200, map[string]any{"ok": false, "error": "bad_redirect_uri"})
	default:
		writeJSON(w, 200, map[string]any{
			"ok": true, "access_token": SlackToken, "token_type": "bot", "scope": "users:read",
			"bot_user_id": "U0STANDINBOT", "app_id": "A0STANDIN",
			"team":       map[string]any{"name": "Stand-in Workspace", "id": SlackTeamID},
			"enterprise": nil, "is_enterprise_install": false,
			"authed_user": map[string]any{"id": "U0STANDINADMIN"},
		})
	}
}

// telegram routes /telegram/bot<token>/<method> and
// /telegram/file/bot<token>/<path> (https://core.telegram.org/bots/api).
func (s *Server) telegram(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/telegram/")
	if p, ok := strings.CutPrefix(rest, "file/bot"); ok {
		token, file, _ := strings.Cut(p, "/")
		s.mu.Lock()
		body, found := s.images[file]
		s.mu.Unlock()
		if !s.telegramToken(token) || !found {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
		return
	}
	token, method, _ := strings.Cut(strings.TrimPrefix(rest, "bot"), "/")
	if !s.telegramToken(token) {
		writeJSON(w, 401, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case "getUserProfilePhotos":
		sizes, ok := s.tgPhotos[q.Get("user_id")]
		if !ok {
			writeJSON(w, 400, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: user not found"})
			return
		}
		if s.StrictTelegramLimit && q.Get("limit") != "1" {
			writeJSON(w, 400, map[string]any{"ok": false, "error_code": 400, "description": "stand-in expects limit=1"})
			return
		}
		photos := [][]map[string]any{}
		if len(sizes) > 0 {
			var row []map[string]any
			for _, z := range sizes {
				row = append(row, map[string]any{"file_id": z.FileID, "file_unique_id": "u" + z.FileID, "file_size": z.FileSize, "width": z.Width, "height": z.Height})
			}
			photos = append(photos, row)
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
			"file_id": id, "file_unique_id": "u" + id, "file_size": len(s.images[path]), "file_path": path}})
	default:
		writeJSON(w, 404, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
	}
}

func (s *Server) telegramToken(t string) bool {
	return t == TelegramToken || s.Lenient && strings.Contains(t, ":")
}

// entraToken answers like the Microsoft identity platform v2.0 token
// endpoint for the client-credentials grant.
func (s *Server) entraToken(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	good := r.PathValue("tenant") == TeamsTenant && f.Get("client_id") == TeamsAppID && f.Get("client_secret") == TeamsPassword
	if s.Lenient {
		good = r.PathValue("tenant") != "" && f.Get("client_id") != "" && f.Get("client_secret") != ""
	}
	if !good {
		writeJSON(w, 401, map[string]any{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
		return
	}
	if f.Get("grant_type") != "client_credentials" || f.Get("scope") != "https://graph.microsoft.com/.default" {
		writeJSON(w, 400, map[string]any{"error": "invalid_request", "error_description": "AADSTS900144: bad grant or scope"})
		return
	}
	s.mu.Lock()
	s.grants++
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": GraphToken})
}

// graphPhoto answers like GET /users/{id}/photo/$value.
func (s *Server) graphPhoto(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("value") != "$value" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+GraphToken {
		writeJSON(w, 401, map[string]any{"error": map[string]any{"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})
		return
	}
	s.mu.Lock()
	body, ok := s.graphPhotos[strings.ToLower(r.PathValue("id"))]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, 404, map[string]any{"error": map[string]any{"code": "ImageNotFound",
			"message": "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown."}})
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func (s *Server) image(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, ok := s.images[r.PathValue("name")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png") // whatever it is: the fetcher must sniff
	w.Write(body)
}

// String describes the server for logs.
func (s *Server) String() string { return fmt.Sprintf("avatar stand-in at %s", s.srv.URL) }
