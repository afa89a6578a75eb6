// Package console serves the operator console: the Vite build of
// pkg/console/web, embedded from dist/, and its runtime settings at
// /console/config.json. The API stays where it is (same origin: no CORS).
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// dist holds the build (`make console`); a fresh clone has only
// dist/.gitkeep, and the handler answers 503 until the console is built.
//
//go:embed all:dist
var dist embed.FS

// Assets is the embedded build.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a valid path: cannot happen
	}
	return sub
}

const (
	// DefaultClientID is the console's client id unless CONSOLE_CLIENT_ID
	// says otherwise.
	DefaultClientID = "gatehouse-console"
	// Prefix is where the console is served.
	Prefix = "/console/"
	// SilentCallback is the one page that may be framed (by the console
	// itself): oidc-client-ts renews silently in a hidden iframe that the
	// issuer redirects back to it.
	SilentCallback = Prefix + "silent-callback"

	cacheNoCache   = "no-cache"
	cacheImmutable = "public, max-age=31536000, immutable"
)

// GatewayRoutes are ConsoleFunction's API Gateway routes (template.yaml);
// they are not API routes (pkg/routes), having no OpenAPI operations.
var GatewayRoutes = []struct{ Method, Path string }{{"GET", "/console"}, {"GET", "/console/{proxy+}"}}

// Config is the console's configuration, read once in main.
type Config struct {
	// Issuer is the OpenID Connect authority (JWT_ISSUER, the issuer the
	// API trusts).
	Issuer string
	// ClientID is the console's client id at the issuer
	// (CONSOLE_CLIENT_ID, default gatehouse-console).
	ClientID string
	// ConnectSrc are further origins the console fetches from: the avatar
	// bucket, where GET .../avatar redirects (a presigned S3 URL).
	ConnectSrc []string
	// Logger logs refused and failed requests (default slog.Default()).
	Logger *slog.Logger
}

// ConfigFromEnv reads JWT_ISSUER (required, an http(s) URL),
// CONSOLE_CLIENT_ID, and AVATAR_BUCKET with AWS_REGION or S3_ENDPOINT
// (optional: the avatar bucket's origin).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Issuer: strings.TrimSpace(getenv("JWT_ISSUER")), ClientID: strings.TrimSpace(getenv("CONSOLE_CLIENT_ID"))}
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if _, err := issuerOrigin(c.Issuer); err != nil {
		return Config{}, err
	}
	if o := bucketOrigin(getenv("AVATAR_BUCKET"), getenv("AWS_REGION"), getenv("S3_ENDPOINT")); o != "" {
		c.ConnectSrc = append(c.ConnectSrc, o)
	}
	return c, nil
}

// bucketOrigin is the origin of the bucket's presigned URLs, as
// pkg/blob/bucket addresses it: a local endpoint, else the virtual-hosted
// AWS endpoint (path-style for dotted names). Not imported from there: a
// function linking pkg/blob/bucket must hold S3 grants (pkg/routes tests).
func bucketOrigin(bucket, region, endpoint string) string {
	if bucket == "" {
		return ""
	}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" {
			return ""
		}
		return u.Scheme + "://" + u.Host
	}
	if region == "" {
		return ""
	}
	host := "s3." + region + ".amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		host += ".cn"
	}
	if strings.Contains(bucket, ".") {
		return "https://" + host
	}
	return "https://" + bucket + "." + host
}

func issuerOrigin(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("console: JWT_ISSUER %q: want an http(s) URL", issuer)
	}
	return u.Scheme + "://" + u.Host, nil
}

// Handler serves /console/.
type Handler struct {
	assets fs.FS
	cfg    Config
	csp    string // frame-ancestors is added per page
	render httpapi.Renderer
}

// settings is config.json.
type settings struct {
	Authority string `json:"authority"`
	ClientID  string `json:"clientId"`
	Scope     string `json:"scope"`
	// APIBase is the path the API's routes sit under on this origin: ""
	// except behind a named API Gateway stage or a domain mapping ("/prod").
	APIBase string `json:"apiBase"`
}

// New serves assets (the build's root: index.html, assets/...) with cfg.
func New(assets fs.FS, cfg Config) *Handler {
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// The issuer's origin for the token calls (connect-src) and the
	// silent renewal iframe (frame-src); ConfigFromEnv validated it.
	src := "'self'"
	if origin, err := issuerOrigin(cfg.Issuer); err == nil {
		src += " " + origin
	}
	connect := strings.Join(append([]string{src}, cfg.ConnectSrc...), " ")
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; " +
		"connect-src " + connect + "; frame-src " + src + "; form-action 'self'; base-uri 'self'; object-src 'none'"
	return &Handler{assets: assets, cfg: cfg, csp: csp, render: httpapi.Problem(cfg.Logger)}
}

// ServeHTTP serves GET and HEAD under Prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		h.securityHeaders(w, "'none'")
		h.render(w, r, err)
	}
}

var (
	errNotBuilt = problem.New(http.StatusServiceUnavailable, "console-not-built",
		"the console has not been built: run `make console` (make dev, make build and make test run it)")
	errMethod = problem.New(http.StatusMethodNotAllowed, "method-not-allowed", "the console answers GET and HEAD only").
			With("allowed", []string{"GET", "HEAD"})
)

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return errMethod
	}
	p := r.URL.Path
	if p == strings.TrimSuffix(Prefix, "/") {
		// Relative URLs in index.html resolve against the directory.
		loc := httpapi.PublicBase(r.Context()) + Prefix
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		h.securityHeaders(w, "'none'")
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusMovedPermanently)
		return nil
	}
	rel, ok := strings.CutPrefix(p, Prefix)
	if !ok {
		return problem.NotFound("no such page")
	}
	switch rel {
	case "config.json":
		b, err := json.Marshal(settings{Authority: h.cfg.Issuer, ClientID: h.cfg.ClientID, Scope: "openid profile email", APIBase: mountPath(r)})
		if err != nil {
			return fmt.Errorf("console: config.json: %w", err)
		}
		return h.write(w, r, "config.json", b, cacheNoCache, etag(b))
	case "", "index.html":
		return h.index(w, r)
	}
	name := strings.TrimSuffix(rel, "/")
	if !fs.ValidPath(name) {
		return problem.NotFound("no such file")
	}
	if fi, err := fs.Stat(h.assets, name); err == nil && !fi.IsDir() {
		b, err := fs.ReadFile(h.assets, name)
		if err != nil {
			return fmt.Errorf("console: read %s: %w", name, err)
		}
		if strings.HasPrefix(name, "assets/") {
			// Vite names these by content hash: they never change.
			return h.write(w, r, name, b, cacheImmutable, "")
		}
		return h.write(w, r, name, b, cacheNoCache, etag(b))
	}
	if strings.HasPrefix(name+"/", "assets/") || path.Ext(name) != "" {
		return problem.NotFound("no such file: " + name)
	}
	// A client route (/console/callback, /console/requests/...): the app
	// decides what it shows.
	return h.index(w, r)
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) error {
	b, err := fs.ReadFile(h.assets, "index.html")
	if errors.Is(err, fs.ErrNotExist) {
		return errNotBuilt
	}
	if err != nil {
		return fmt.Errorf("console: read index.html: %w", err)
	}
	// Vite's base is /console/; behind a stage the files are under
	// /prod/console/ (the routed path has no stage, the browser's has).
	if mp := mountPath(r); mp != "" {
		b = bytes.ReplaceAll(b, []byte(`"`+Prefix), []byte(`"`+mp+Prefix))
	}
	return h.write(w, r, "index.html", b, cacheNoCache, etag(b))
}

// mountPath is the path the public base URL puts before routed paths:
// "/prod" through a named API Gateway stage, a domain mapping's path, or
// "" (make dev, $default, a domain's root).
func mountPath(r *http.Request) string {
	u, err := url.Parse(httpapi.PublicBase(r.Context()))
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

// write sends one file; tag "" sends no ETag.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, name string, b []byte, cache, tag string) error {
	frameAncestors := "'none'"
	if r.URL.Path == SilentCallback {
		frameAncestors = "'self'"
	}
	h.securityHeaders(w, frameAncestors)
	hd := w.Header()
	hd.Set("Content-Type", contentType(name))
	hd.Set("Cache-Control", cache)
	if tag != "" {
		hd.Set("ETag", tag)
	}
	// ServeContent answers HEAD, If-None-Match and Range.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	return nil
}

func (h *Handler) securityHeaders(w http.ResponseWriter, frameAncestors string) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp+"; frame-ancestors "+frameAncestors)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if frameAncestors == "'none'" {
		hd.Set("X-Frame-Options", "DENY") // for browsers without CSP 2
	}
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// types are set explicitly: a Lambda has no /etc/mime.types, and Go's
// built-in table lacks some (woff2, webmanifest).
var types = map[string]string{
	".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8", ".json": "application/json", ".map": "application/json",
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon", ".woff2": "font/woff2", ".woff": "font/woff",
	".ttf": "font/ttf", ".txt": "text/plain; charset=utf-8", ".webmanifest": "application/manifest+json",
	".wasm": "application/wasm",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := types[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}
