package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/problem"
)

func TestParseListNamesAnyCase(t *testing.T) {
	tests := []struct {
		query      string
		wantAgent  string
		wantStatus string
		wantSize   int
		wantErr    string // problem type
	}{
		{"", "", "", DefaultListBound, ""},
		{"AgentId=a1&Status=pending", "a1", "pending", DefaultListBound, ""},
		{"agentid=a1&STATUS=x&PageSize=7", "a1", "x", 7, ""},
		{"pageSize=501", "", "", 0, "invalid-page-size"},
		{"pageSize=0", "", "", 0, "invalid-page-size"},
		{"agentId=a&AgentId=b", "", "", 0, "repeated-parameter"},
		{"colour=red", "", "", 0, "unknown-parameter"},
		{"agentId=bad%20id", "", "", 0, "invalid-agent-id"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/x?"+tt.query, nil)
		lp, err := ParseList(r, "status")
		if got := problemType(err); got != tt.wantErr {
			t.Errorf("%q: error %q, want %q", tt.query, got, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if lp.AgentID != tt.wantAgent || lp.Query.Get("Status") != tt.wantStatus || lp.PageSize != tt.wantSize {
			t.Errorf("%q: got agent %q status %q size %d, want %q %q %d", tt.query, lp.AgentID, lp.Query.Get("status"), lp.PageSize, tt.wantAgent, tt.wantStatus, tt.wantSize)
		}
	}
}

func TestEnum(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"", "", ""},
		{"unspecified", "", ""},
		{"UNSPECIFIED", "", ""},
		{"pending", "PENDING", ""},
		{"Approved", "APPROVED", ""},
		{"PENDING ", "", "invalid-status"},
		{"maybe", "", "invalid-status"},
	}
	for _, tt := range tests {
		got, err := Enum("status", tt.in, "PENDING", "APPROVED")
		if got != tt.want || problemType(err) != tt.wantErr {
			t.Errorf("Enum(%q) = %q, %q; want %q, %q", tt.in, got, problemType(err), tt.want, tt.wantErr)
		}
	}
}

func TestWriteList(t *testing.T) {
	tests := []struct {
		name, next, wantBody, wantLink string
	}{
		{"last page", "", "[]\n", ""},
		{"more", "tok", "[]\n", `<https://api.example/v1/things?Status=PENDING&pageToken=tok>; rel="next"`},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/v1/things?Status=PENDING&PageToken=old", nil)
		r = r.WithContext(WithPublicBase(r.Context(), "https://api.example/"))
		w := httptest.NewRecorder()
		if err := WriteList[int](w, r, nil, tt.next); err != nil {
			t.Fatal(err)
		}
		if got := w.Body.String(); got != tt.wantBody {
			t.Errorf("%s: body %q, want %q", tt.name, got, tt.wantBody)
		}
		if got := w.Header().Get("Link"); got != tt.wantLink {
			t.Errorf("%s: Link %q, want %q", tt.name, got, tt.wantLink)
		}
	}
}

// A JSON route refuses any other body type with 415 before its handler
// runs; webhooks (ConsumesAny) and empty bodies pass.
func TestMediaType(t *testing.T) {
	tests := []struct {
		name, method, ctype, body, consumes string
		chunked                             bool
		want                                int
	}{
		{"json", "POST", "application/json", "{}", "", false, 204},
		{"json charset", "POST", "application/json; charset=utf-8", "{}", "", false, 204},
		{"JSON upper", "PATCH", "Application/JSON", "{}", "", false, 204},
		{"text/plain", "POST", "text/plain", "{}", "", false, 415},
		{"form", "PUT", "application/x-www-form-urlencoded", "a=b", "", false, 415},
		{"no type", "POST", "", "{}", "", false, 415},
		{"no type chunked", "POST", "", "{}", "", true, 415},
		{"empty chunked", "POST", "", "", "", true, 204},
		{"empty body", "POST", "", "", "", false, 204},
		{"GET ignores", "GET", "text/plain", "x", "", false, 204},
		{"webhook", "POST", "application/x-www-form-urlencoded", "a=b", ConsumesAny, false, 204},
		{"multipart wanted", "POST", "multipart/form-data; boundary=x", "--x--", "multipart/form-data", false, 204},
		{"json to multipart", "POST", "application/json", "{}", "multipart/form-data", false, 415},
	}
	for _, tt := range tests {
		called := false
		s := &Server{}
		h := s.Handler([]Route{{Method: tt.method, Path: "/x", Public: true, Consumes: tt.consumes, Handle: func(w http.ResponseWriter, r *http.Request) error {
			called = true
			w.WriteHeader(http.StatusNoContent)
			return nil
		}}})
		r := httptest.NewRequest(tt.method, "/x", strings.NewReader(tt.body))
		if tt.chunked {
			r.ContentLength = -1
		}
		if tt.ctype != "" {
			r.Header.Set("Content-Type", tt.ctype)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.want, w.Body)
		}
		if tt.want == 415 && called {
			t.Errorf("%s: handler ran for a refused body", tt.name)
		}
	}
}

func problemType(err error) string {
	if err == nil {
		return ""
	}
	p, ok := problem.As(err)
	if !ok {
		return "not a problem: " + err.Error()
	}
	return p.Type
}
