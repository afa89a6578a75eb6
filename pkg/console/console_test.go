package console_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gatehouse/gatehouse/pkg/console"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
)

const (
	indexHTML = `<!doctype html><html lang="en"><head><script type="module" src="/console/assets/index-Bx1.js"></script></head><body></body></html>`
	appJS     = `console.log("app")`
)

var built = fstest.MapFS{
	"index.html":           {Data: []byte(indexHTML)},
	"favicon.svg":          {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"assets/index-Bx1.js":  {Data: []byte(appJS)},
	"assets/index-C2.css":  {Data: []byte(`body{margin:0}`)},
	"assets/font-D3.woff2": {Data: []byte("wOF2")},
}

var cfg = console.Config{Issuer: "https://kc.example/realms/gatehouse", ClientID: "gatehouse-console",
	Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

func TestHandler(t *testing.T) {
	h := console.New(built, cfg)
	tests := []struct {
		name, method, path string
		header             map[string]string
		wantStatus         int
		wantType           string // Content-Type
		wantCache          string // Cache-Control
		wantBody           string // exact; "" skips
		wantHeader         map[string]string
	}{
		{name: "bare prefix redirects", path: "/console", wantStatus: 301, wantHeader: map[string]string{"Location": "/console/"}},
		{name: "redirect keeps the query", path: "/console?tab=approved", wantStatus: 301, wantHeader: map[string]string{"Location": "/console/?tab=approved"}},
		{name: "index", path: "/console/", wantStatus: 200, wantType: "text/html; charset=utf-8", wantCache: "no-cache", wantBody: indexHTML},
		{name: "index by name", path: "/console/index.html", wantStatus: 200, wantType: "text/html; charset=utf-8", wantCache: "no-cache", wantBody: indexHTML},
		{name: "head", method: "HEAD", path: "/console/", wantStatus: 200, wantType: "text/html; charset=utf-8", wantCache: "no-cache",
			wantHeader: map[string]string{"Content-Length": strconv.Itoa(len(indexHTML))}},
		{name: "hashed script", path: "/console/assets/index-Bx1.js", wantStatus: 200, wantType: "text/javascript; charset=utf-8",
			wantCache: "public, max-age=31536000, immutable", wantBody: appJS},
		{name: "hashed style", path: "/console/assets/index-C2.css", wantStatus: 200, wantType: "text/css; charset=utf-8", wantCache: "public, max-age=31536000, immutable"},
		{name: "font", path: "/console/assets/font-D3.woff2", wantStatus: 200, wantType: "font/woff2", wantCache: "public, max-age=31536000, immutable"},
		{name: "unhashed file", path: "/console/favicon.svg", wantStatus: 200, wantType: "image/svg+xml", wantCache: "no-cache"},
		{name: "missing asset", path: "/console/assets/index-old.js", wantStatus: 404, wantType: "application/problem+json"},
		{name: "missing asset without extension", path: "/console/assets/chunk", wantStatus: 404, wantType: "application/problem+json"},
		{name: "assets directory", path: "/console/assets/", wantStatus: 404, wantType: "application/problem+json"},
		{name: "missing file with extension", path: "/console/logo.png", wantStatus: 404, wantType: "application/problem+json"},
		{name: "client route", path: "/console/callback", wantStatus: 200, wantType: "text/html; charset=utf-8", wantCache: "no-cache", wantBody: indexHTML},
		{name: "nested client route", path: "/console/requests/42", wantStatus: 200, wantBody: indexHTML},
		{name: "dot segments", path: "/console/../go.mod", wantStatus: 404},
		{name: "other prefix", path: "/consoles", wantStatus: 404},
		{name: "config", path: "/console/config.json", wantStatus: 200, wantType: "application/json", wantCache: "no-cache",
			wantBody: `{"authority":"https://kc.example/realms/gatehouse","clientId":"gatehouse-console","scope":"openid profile email","apiBase":""}`},
		{name: "post refused", method: "POST", path: "/console/", wantStatus: 405, wantType: "application/problem+json",
			wantHeader: map[string]string{"Allow": "GET, HEAD"}},
		{name: "range", path: "/console/assets/index-Bx1.js", header: map[string]string{"Range": "bytes=0-6"}, wantStatus: 206, wantBody: "console"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			req := httptest.NewRequest(method, "http://gatehouse.example"+tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.wantStatus, rec.Body)
			}
			if got := res.Header.Get("Content-Type"); tt.wantType != "" && got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := res.Header.Get("Cache-Control"); tt.wantCache != "" && got != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
			}
			if method == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD body = %q, want none", rec.Body)
			}
			for k, v := range tt.wantHeader {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
		})
	}
}

func TestSecurityPolicy(t *testing.T) {
	tests := []struct {
		name, issuer, path string
		connect            []string
		want               []string
	}{
		{name: "issuer origin may be fetched and framed", issuer: "https://kc.example/realms/gatehouse", path: "/console/",
			want: []string{"connect-src 'self' https://kc.example;", "frame-src 'self' https://kc.example;", "frame-ancestors 'none'"}},
		{name: "dev issuer", issuer: "http://127.0.0.1:3000/dev-issuer", path: "/console/",
			want: []string{"connect-src 'self' http://127.0.0.1:3000;", "script-src 'self';", "object-src 'none'"}},
		{name: "avatar bucket may be fetched", issuer: "https://kc.example/realms/gatehouse", path: "/console/",
			connect: []string{"https://av.s3.eu-west-1.amazonaws.com"},
			want:    []string{"connect-src 'self' https://kc.example https://av.s3.eu-west-1.amazonaws.com;", "frame-src 'self' https://kc.example;"}},
		{name: "silent callback may be framed by the console", issuer: "https://kc.example/realms/gatehouse", path: "/console/silent-callback",
			want: []string{"frame-ancestors 'self'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			c.Issuer, c.ConnectSrc = tt.issuer, tt.connect
			rec := httptest.NewRecorder()
			console.New(built, c).ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			csp := rec.Header().Get("Content-Security-Policy")
			for _, w := range tt.want {
				if !strings.Contains(csp, w) {
					t.Errorf("Content-Security-Policy = %q, want it to contain %q", csp, w)
				}
			}
		})
	}
}

// Through a named API Gateway stage the browser's paths carry the stage
// (the routed path does not): the page, its files and the API follow it.
func TestStagePrefix(t *testing.T) {
	h := console.New(built, cfg)
	tests := []struct {
		name, base, path string
		wantStatus       int
		wantBody         string // contained
		wantLocation     string
	}{
		{name: "redirect", base: "https://a1.execute-api.eu-west-1.amazonaws.com/prod", path: "/console", wantStatus: 301,
			wantLocation: "https://a1.execute-api.eu-west-1.amazonaws.com/prod/console/"},
		{name: "index files", base: "https://a1.execute-api.eu-west-1.amazonaws.com/prod", path: "/console/", wantStatus: 200,
			wantBody: `src="/prod/console/assets/index-Bx1.js"`},
		{name: "client route files", base: "https://a1.execute-api.eu-west-1.amazonaws.com/prod", path: "/console/requests/1", wantStatus: 200,
			wantBody: `src="/prod/console/assets/index-Bx1.js"`},
		{name: "api base", base: "https://a1.execute-api.eu-west-1.amazonaws.com/prod", path: "/console/config.json", wantStatus: 200,
			wantBody: `"apiBase":"/prod"`},
		{name: "default stage", base: "https://a1.execute-api.eu-west-1.amazonaws.com", path: "/console/config.json", wantStatus: 200,
			wantBody: `"apiBase":""`},
		{name: "default stage index", base: "https://a1.execute-api.eu-west-1.amazonaws.com", path: "/console/", wantStatus: 200,
			wantBody: `src="/console/assets/index-Bx1.js"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			req = req.WithContext(httpapi.WithPublicBase(req.Context(), tt.base))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body %s lacks %s", rec.Body, tt.wantBody)
			}
			if got := rec.Header().Get("Location"); got != tt.wantLocation {
				t.Errorf("Location = %q, want %q", got, tt.wantLocation)
			}
		})
	}
}

func TestRevalidation(t *testing.T) {
	h := console.New(built, cfg)
	tests := []struct{ path string }{{"/console/"}, {"/console/config.json"}, {"/console/favicon.svg"}}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			tag := rec.Header().Get("ETag")
			if tag == "" {
				t.Fatal("no ETag")
			}
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header.Set("If-None-Match", tag)
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				t.Errorf("If-None-Match status %d, want 304", rec.Code)
			}
		})
	}
}

func TestNotBuilt(t *testing.T) {
	h := console.New(fstest.MapFS{".gitkeep": {}}, cfg)
	tests := []struct {
		path       string
		wantStatus int
		wantType   string
	}{
		{"/console/", 503, "console-not-built"},
		{"/console/callback", 503, "console-not-built"},
		{"/console/assets/index-Bx1.js", 404, "not-found"},
		{"/console/config.json", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantType == "" {
				return
			}
			var p struct{ Type, Detail string }
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != "https://gatehouse.dev/problems/"+tt.wantType {
				t.Errorf("type = %q, want %q", p.Type, tt.wantType)
			}
			if tt.wantStatus == 503 && !strings.Contains(p.Detail, "make console") {
				t.Errorf("detail = %q, want it to say make console", p.Detail)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    console.Config
		wantErr bool
	}{
		{name: "defaults", env: map[string]string{"JWT_ISSUER": "https://kc.example/realms/g"},
			want: console.Config{Issuer: "https://kc.example/realms/g", ClientID: "gatehouse-console"}},
		{name: "client id", env: map[string]string{"JWT_ISSUER": "http://127.0.0.1:3000/dev-issuer", "CONSOLE_CLIENT_ID": "ops-console"},
			want: console.Config{Issuer: "http://127.0.0.1:3000/dev-issuer", ClientID: "ops-console"}},
		{name: "avatar bucket on AWS", env: map[string]string{"JWT_ISSUER": "https://kc.example/r", "AVATAR_BUCKET": "gh-avatars-1x2", "AWS_REGION": "eu-west-1"},
			want: console.Config{Issuer: "https://kc.example/r", ClientID: "gatehouse-console", ConnectSrc: []string{"https://gh-avatars-1x2.s3.eu-west-1.amazonaws.com"}}},
		{name: "dotted bucket in China", env: map[string]string{"JWT_ISSUER": "https://kc.example/r", "AVATAR_BUCKET": "a.b", "AWS_REGION": "cn-north-1"},
			want: console.Config{Issuer: "https://kc.example/r", ClientID: "gatehouse-console", ConnectSrc: []string{"https://s3.cn-north-1.amazonaws.com.cn"}}},
		{name: "local S3", env: map[string]string{"JWT_ISSUER": "https://kc.example/r", "AVATAR_BUCKET": "avatars", "S3_ENDPOINT": "http://127.0.0.1:4569/"},
			want: console.Config{Issuer: "https://kc.example/r", ClientID: "gatehouse-console", ConnectSrc: []string{"http://127.0.0.1:4569"}}},
		{name: "no issuer", env: map[string]string{}, wantErr: true},
		{name: "relative issuer", env: map[string]string{"JWT_ISSUER": "/dev-issuer"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := console.ConfigFromEnv(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ConfigFromEnv() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// The embedded build compiles on a fresh clone: dist holds at least
// .gitkeep.
func TestAssetsEmbedded(t *testing.T) {
	if _, err := console.Assets().Open(".gitkeep"); err != nil {
		t.Errorf("embedded dist lacks .gitkeep: %v", err)
	}
}

func BenchmarkHandler(b *testing.B) {
	h := console.New(built, cfg)
	for _, p := range []string{"/console/", "/console/assets/index-Bx1.js", "/console/config.json", "/console/requests/42"} {
		b.Run(strings.Trim(p, "/"), func(b *testing.B) {
			req := httptest.NewRequest("GET", p, nil)
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
