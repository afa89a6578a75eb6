package avatar

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registers the decoders for DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
	_ "golang.org/x/image/webp"
)

const maxRedirects = 3

var (
	errTimedOut    = errors.New("avatar: timed out")
	errDialRefused = errors.New("dial refused")
)

// allowedImageTypes maps the sniffed content types we keep to an extension.
var allowedImageTypes = map[string]string{
	"image/png":  "png",
	"image/jpeg": "jpg",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// dialGuard refuses connections to non-public addresses after DNS
// resolution, so that a public name pointing inward is caught too.
type dialGuard struct {
	guardian      *ssrf.Guardian
	allowLoopback bool
}

func newDialGuard(cfg Config) *dialGuard {
	return &dialGuard{
		// Ports are checked below, after the address, so that a refusal
		// names the address.
		guardian:      ssrf.New(ssrf.WithAnyPort()),
		allowLoopback: cfg.AllowLoopback,
	}
}

var (
	loopback4 = netip.MustParseAddr("127.0.0.1")
	loopback6 = netip.MustParseAddr("::1")
)

func (g *dialGuard) control(network, address string, c syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", errDialRefused, err)
	}
	if ip := ap.Addr().Unmap(); g.allowLoopback && (ip == loopback4 || ip == loopback6) {
		return nil
	}
	if err := g.guardian.Safe(network, address, c); err != nil {
		return fmt.Errorf("%w: %v", errDialRefused, err)
	}
	if ap.Port() != 443 {
		return fmt.Errorf("%w: port %d", errDialRefused, ap.Port())
	}
	return nil
}

// downloader fetches image bytes from one provider's hosts.
type downloader struct {
	client    *http.Client
	hosts     []string
	maxBytes  int64
	maxPixels int
}

func newDownloader(cfg Config, g *dialGuard, provider string) *downloader {
	d := &downloader{
		hosts:     cfg.AllowedHosts[provider],
		maxBytes:  cfg.MaxBytes,
		maxPixels: cfg.MaxPixels,
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: g.control}
	d.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil, // a proxy would dial for us, past the guard
			DialContext:            dialer.DialContext,
			TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    5 * time.Second,
			ResponseHeaderTimeout:  cfg.Timeout,
			MaxResponseHeaderBytes: 64 << 10,
			MaxIdleConnsPerHost:    4,
			IdleConnTimeout:        90 * time.Second,
			ForceAttemptHTTP2:      true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrRefused, maxRedirects)
			}
			return d.checkURL(req.URL)
		},
	}
	return d
}

// checkURL refuses anything but https to an allow-listed host. Errors name
// the host only: a Telegram URL carries the bot token in its path.
func (d *downloader) checkURL(u *url.URL) error {
	if u.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q is not https", ErrRefused, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%w: URL carries credentials", ErrRefused)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if !hostAllowed(host, d.hosts) {
		return fmt.Errorf("%w: host %q is not allowed for this provider", ErrRefused, host)
	}
	return nil
}

func hostAllowed(host string, allowed []string) bool {
	if host == "" {
		return false
	}
	for _, a := range allowed {
		a = strings.ToLower(a)
		if suffix, ok := strings.CutPrefix(a, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == a {
			return true
		}
	}
	return false
}

// get downloads rawURL and returns the sniffed image. A non-200 status comes
// back as status with a nil error, for the source to interpret.
func (d *downloader) get(ctx context.Context, rawURL string, header http.Header) (img Image, status int, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Image{}, 0, fmt.Errorf("%w: malformed URL", ErrRefused)
	}
	if err := d.checkURL(u); err != nil {
		return Image{}, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Image{}, 0, fmt.Errorf("%w: malformed URL", ErrRefused)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return Image{}, 0, d.fail(ctx, u.Hostname(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Image{}, resp.StatusCode, nil
	}
	// A truthful Content-Length lets us refuse without reading; a lying one
	// is caught by the limit below.
	if resp.ContentLength > d.maxBytes {
		return Image{}, 0, fmt.Errorf("%w: body of %d bytes exceeds %d", ErrRefused, resp.ContentLength, d.maxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, d.maxBytes+1))
	if err == nil {
		// A cancelled read can surface as a clean EOF: never keep a body
		// that may have been cut short.
		err = ctx.Err()
	}
	if err != nil {
		return Image{}, 0, d.fail(ctx, u.Hostname(), err)
	}
	if int64(len(data)) > d.maxBytes {
		return Image{}, 0, fmt.Errorf("%w: body exceeds %d bytes", ErrRefused, d.maxBytes)
	}
	img, err = decodeImage(data, d.maxPixels)
	return img, http.StatusOK, err
}

// fail turns a transport error into one that names no URL.
func (d *downloader) fail(ctx context.Context, host string, err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	switch {
	case errors.Is(context.Cause(ctx), errTimedOut):
		return fmt.Errorf("%w: download from %q timed out", ErrRefused, host)
	case errors.Is(err, ErrRefused):
		return err // from CheckRedirect
	case errors.Is(err, errDialRefused):
		return fmt.Errorf("%w: %v", ErrRefused, err)
	case ctx.Err() != nil:
		return fmt.Errorf("avatar: download from %q: %w", host, context.Cause(ctx))
	}
	return fmt.Errorf("avatar: download from %q: %v", host, err)
}

// decodeImage sniffs data, keeps PNG, JPEG, GIF and WebP only and bounds the
// pixel count from the header, without decoding the pixels.
func decodeImage(data []byte, maxPixels int) (Image, error) {
	ct := http.DetectContentType(data)
	ext, ok := allowedImageTypes[ct]
	if !ok {
		return Image{}, fmt.Errorf("%w: content is %s, not an image we keep", ErrRefused, ct)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Image{}, fmt.Errorf("%w: undecodable %s header: %v", ErrRefused, ct, err)
	}
	if "image/"+format != ct {
		return Image{}, fmt.Errorf("%w: sniffed %s but decodes as %s", ErrRefused, ct, format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return Image{}, fmt.Errorf("%w: %dx%d pixels exceeds %d", ErrRefused, cfg.Width, cfg.Height, maxPixels)
	}
	sum := sha256.Sum256(data)
	return Image{
		Data:        data,
		ContentType: ct,
		Ext:         ext,
		SHA256:      hex.EncodeToString(sum[:]),
		Width:       cfg.Width,
		Height:      cfg.Height,
	}, nil
}
