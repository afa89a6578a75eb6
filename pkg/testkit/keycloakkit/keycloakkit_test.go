package keycloakkit_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/testkit/keycloakkit"
)

func token(t *testing.T, h http.Handler, secret string) (string, int) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {keycloakkit.DefaultClientID}, "client_secret": {secret}}
	r := httptest.NewRequest("POST", "/realms/r/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body := w.Body.String()
	_, rest, _ := strings.Cut(body, `"access_token":"`)
	tok, _, _ := strings.Cut(rest, `"`)
	return tok, w.Code
}

func TestWireFormat(t *testing.T) {
	srv := keycloakkit.NewServer("r", t.Logf)
	h := srv.Handler()
	if _, code := token(t, h, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("token with a wrong secret: status %d, want 401", code)
	}
	tok, code := token(t, h, keycloakkit.DefaultClientSecret)
	if code != http.StatusOK || tok == "" {
		t.Fatalf("token: status %d, token %q", code, tok)
	}
	existing := srv.AddUser(keycloakkit.User{Username: "a@example.com", Email: "a@example.com"})

	tests := []struct {
		name, method, path, body, auth string
		want                           int
		wantLocation                   bool
	}{
		{"no token", "GET", "/admin/realms/r/users", "", "", 401, false},
		{"forged token", "GET", "/admin/realms/r/users", "", "Bearer forged", 401, false},
		{"other realm", "GET", "/admin/realms/other/users", "", "Bearer " + tok, 404, false},
		{"create", "POST", "/admin/realms/r/users", `{"username":"b@example.com","email":"b@example.com","enabled":false}`, "Bearer " + tok, 201, true},
		{"duplicate username", "POST", "/admin/realms/r/users", `{"username":"A@example.com"}`, "Bearer " + tok, 409, false},
		{"duplicate email", "POST", "/admin/realms/r/users", `{"username":"c","email":"a@example.com"}`, "Bearer " + tok, 409, false},
		{"no username", "POST", "/admin/realms/r/users", `{"email":"d@example.com"}`, "Bearer " + tok, 400, false},
		{"get unknown", "GET", "/admin/realms/r/users/nope", "", "Bearer " + tok, 404, false},
		{"unknown role", "GET", "/admin/realms/r/roles/root", "", "Bearer " + tok, 404, false},
		{"default role", "GET", "/admin/realms/r/roles/technician", "", "Bearer " + tok, 200, false},
		{"delete", "DELETE", "/admin/realms/r/users/" + existing, "", "Bearer " + tok, 204, false},
		{"delete again", "DELETE", "/admin/realms/r/users/" + existing, "", "Bearer " + tok, 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d (body %s)", w.Code, tt.want, w.Body)
			}
			if loc := w.Header().Get("Location"); (loc != "") != tt.wantLocation {
				t.Errorf("Location = %q, want present %v", loc, tt.wantLocation)
			}
		})
	}
	if got := srv.Calls("GET", "/admin/realms/r/users"); got != 3 {
		t.Errorf("Calls(GET, users) = %d, want 3", got)
	}
}
