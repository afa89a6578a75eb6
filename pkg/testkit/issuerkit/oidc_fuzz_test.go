package issuerkit

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzOwnURI: whatever redirect_uri is accepted stays on this server and
// under /console/, whatever the encoding tricks.
func FuzzOwnURI(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:3000/console/", "http://127.0.0.1:3000/console/cb?x=1", "http://127.0.0.1:3000/console/../v1",
		"http://127.0.0.1:3000/console/%2e%2e/v1", "http://evil.example/console/", "//evil.example/console/",
		"http://127.0.0.1:3000@evil.example/console/", "/console/", "http://127.0.0.1:3000/console", "javascript:alert(1)",
	} {
		f.Add(s)
	}
	iss, err := NewEphemeral()
	if err != nil {
		f.Fatal(err)
	}
	p, err := NewProvider(iss, ProviderConfig{URL: "http://127.0.0.1:3000/dev-issuer"})
	if err != nil {
		f.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://127.0.0.1:3000/dev-issuer/authorize", nil)
	f.Fuzz(func(t *testing.T, raw string) {
		if !p.ownURI(r, raw) {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted unparsable %q", raw)
		}
		if u.Scheme != "http" || u.Host != "127.0.0.1:3000" || u.User != nil {
			t.Errorf("accepted %q: another origin", raw)
		}
		if !strings.HasPrefix(u.Path, "/console/") || strings.Contains(u.Path, "/..") || strings.Contains(u.Path, "/./") {
			t.Errorf("accepted %q: path %q not under /console/", raw, u.Path)
		}
	})
}
