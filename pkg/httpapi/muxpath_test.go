package httpapi

import (
	"context"

	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/auth"
)

// Routes sharing a MuxPath register once and each gets its own requests,
// path values and Public flag.
func TestMuxPath(t *testing.T) {
	echo := func(name string, keys ...string) HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			out := name
			for _, k := range keys {
				out += " " + k + "=" + r.PathValue(k)
			}
			_, err := io.WriteString(w, out)
			return err
		}
	}
	render := func(w http.ResponseWriter, r *http.Request, err error) {
		w.WriteHeader(Classify(err).Status)
		_, _ = io.WriteString(w, "rendered")
	}
	routes := []Route{
		{Method: "GET", Path: "/v1/shares/state/{userId}", MuxPath: "/v1/shares/{id}/{part}", Public: true, Handle: echo("state", "userId"), Render: render},
		{Method: "GET", Path: "/v1/shares/{id}/pending-requests", MuxPath: "/v1/shares/{id}/{part}", Handle: echo("pending", "id"), Render: render},
		{Method: "POST", Path: "/v1/shares/{id}/decline", Handle: echo("decline", "id"), Render: render},
	}
	s := &Server{Auth: denyAll{}}
	h := s.Handler(routes) // would panic without MuxPath
	tests := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/v1/shares/state/u-1", 200, "state userId=u-1"},
		{"GET", "/v1/shares/state/a%2Fb", 200, "state userId=a/b"},
		{"GET", "/v1/shares/org-1/pending-requests", 401, "rendered"}, // not public: the auth check runs
		{"GET", "/v1/shares/state/pending-requests", 200, "state userId=pending-requests"},
		{"GET", "/v1/shares/org-1/other", 404, "rendered"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tt.status, tt.body)
			}
		})
	}
}

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          map[string]string
	}{
		{"/a/{x}/c", "/a/b/c", map[string]string{"x": "b"}},
		{"/a/{x}/c", "/a/b%20d/c", map[string]string{"x": "b d"}},
		{"/a/{x}/c", "/a/b/d", nil},
		{"/a/{x}/c", "/a//c", nil},
		{"/a/{x}/c", "/a/b/c/d", nil},
		{"/a/{x}/c", "/a/%zz/c", nil},
	}
	for _, tt := range tests {
		got, ok := matchPath(tt.pattern, tt.path)
		if ok != (tt.want != nil) || tt.want != nil && got["x"] != tt.want["x"] {
			t.Errorf("matchPath(%q, %q) = %v, %v; want %v", tt.pattern, tt.path, got, ok, tt.want)
		}
	}
}

type denyAll struct{}

func (denyAll) Verify(_ context.Context, _ string) (auth.Principal, error) {
	return auth.Principal{}, auth.ErrUnauthenticated
}
