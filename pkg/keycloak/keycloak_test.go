package keycloak_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/testkit/keycloakkit"
)

const realm = "sweetconnect"

func newPair(t *testing.T) (*keycloak.Client, *keycloakkit.Server) {
	t.Helper()
	srv := keycloakkit.NewServer(realm, t.Logf)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := keycloak.New(keycloak.Config{
		BaseURL:      srv.URL,
		Realm:        realm,
		ClientID:     srv.ClientID,
		ClientSecret: srv.ClientSecret,
		Timeout:      5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestLifecycle(t *testing.T) {
	ctx := t.Context()
	c, srv := newPair(t)

	id, err := c.CreateDisabledUser(ctx, "Alice@Example.com", "org-1")
	if err != nil {
		t.Fatalf("CreateDisabledUser: %v", err)
	}
	want := keycloak.User{ID: id, Email: "alice@example.com", Organization: "org-1", Enabled: false}

	got, err := c.FindUserByEmail(ctx, "ALICE@example.com")
	if err != nil || got != want {
		t.Fatalf("FindUserByEmail = %+v, %v; want %+v", got, err, want)
	}
	got, err = c.GetUser(ctx, id)
	if err != nil || got != want {
		t.Fatalf("GetUser = %+v, %v; want %+v", got, err, want)
	}
	stored, _ := srv.User(id)
	if stored.Username != "alice@example.com" {
		t.Errorf("username = %q, want the e-mail", stored.Username)
	}

	if err := c.EnableWithPasswordReset(ctx, id); err != nil {
		t.Fatalf("EnableWithPasswordReset: %v", err)
	}
	stored, _ = srv.User(id)
	if !stored.Enabled || !slices.Equal(stored.RequiredActions, []string{"UPDATE_PASSWORD"}) {
		t.Errorf("after enable: enabled=%v requiredActions=%v, want true [UPDATE_PASSWORD]", stored.Enabled, stored.RequiredActions)
	}
	// The full representation goes back, so nothing else is lost.
	if stored.Email != "alice@example.com" || !slices.Equal(stored.Attributes["organization"], []string{"org-1"}) {
		t.Errorf("after enable: email=%q attributes=%v, want them kept", stored.Email, stored.Attributes)
	}

	for range 2 { // assigning twice is harmless
		if err := c.AssignRealmRole(ctx, id, "buyer"); err != nil {
			t.Fatalf("AssignRealmRole: %v", err)
		}
	}
	stored, _ = srv.User(id)
	if !slices.Equal(stored.RealmRoles, []string{"buyer"}) {
		t.Errorf("realm roles = %v, want [buyer]", stored.RealmRoles)
	}

	if err := c.DeleteUser(ctx, id); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, ok := srv.User(id); ok {
		t.Error("user still stored after DeleteUser")
	}
	if err := c.DeleteUser(ctx, id); err != nil {
		t.Errorf("second DeleteUser = %v, want nil (already deleted)", err)
	}
	if n := srv.Calls("DELETE", srv.UsersPath()+"/"+id); n != 2 {
		t.Errorf("DELETE calls = %d, want 2", n)
	}
	if _, err := c.GetUser(ctx, id); !errors.Is(err, keycloak.ErrNotFound) {
		t.Errorf("GetUser after delete = %v, want ErrNotFound", err)
	}
}

func TestCreateDuplicate(t *testing.T) {
	ctx := t.Context()
	c, _ := newPair(t)
	if _, err := c.CreateDisabledUser(ctx, "bob@example.com", "org-1"); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateDisabledUser(ctx, "BOB@example.com", "org-2")
	if !errors.Is(err, keycloak.ErrConflict) {
		t.Errorf("second CreateDisabledUser = %v, want ErrConflict", err)
	}
}

func TestFindUserByEmailIsExact(t *testing.T) {
	ctx := t.Context()
	c, srv := newPair(t)
	srv.AddUser(keycloakkit.User{Username: "xbob@example.com", Email: "xbob@example.com"})
	if _, err := c.FindUserByEmail(ctx, "bob@example.com"); !errors.Is(err, keycloak.ErrNotFound) {
		t.Errorf("FindUserByEmail(bob) with only xbob stored = %v, want ErrNotFound", err)
	}
}

func TestNotFound(t *testing.T) {
	ctx := t.Context()
	c, srv := newPair(t)
	id := srv.AddUser(keycloakkit.User{Username: "carol@example.com", Email: "carol@example.com"})
	const missing = "6b0c9c5e-0000-4000-8000-000000000000"
	tests := []struct {
		name string
		call func() error
	}{
		{"GetUser", func() error { _, err := c.GetUser(ctx, missing); return err }},
		{"GetUser empty id", func() error { _, err := c.GetUser(ctx, ""); return err }},
		{"FindUserByEmail", func() error { _, err := c.FindUserByEmail(ctx, "nobody@example.com"); return err }},
		{"EnableWithPasswordReset", func() error { return c.EnableWithPasswordReset(ctx, missing) }},
		{"AssignRealmRole unknown user", func() error { return c.AssignRealmRole(ctx, missing, "buyer") }},
		{"AssignRealmRole unknown role", func() error { return c.AssignRealmRole(ctx, id, "root") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, keycloak.ErrNotFound) {
				t.Errorf("got %v, want ErrNotFound", err)
			}
		})
	}
}

// A 5xx changes nothing and surfaces as ErrUnavailable, so the caller can
// answer 502 and let the client retry.
func TestServerErrorIsUnavailable(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name string
		call func(c *keycloak.Client, id string) error
	}{
		{"CreateDisabledUser", func(c *keycloak.Client, _ string) error {
			_, err := c.CreateDisabledUser(ctx, "new@example.com", "org-1")
			return err
		}},
		{"FindUserByEmail", func(c *keycloak.Client, _ string) error {
			_, err := c.FindUserByEmail(ctx, "dave@example.com")
			return err
		}},
		{"GetUser", func(c *keycloak.Client, id string) error { _, err := c.GetUser(ctx, id); return err }},
		{"EnableWithPasswordReset", func(c *keycloak.Client, id string) error { return c.EnableWithPasswordReset(ctx, id) }},
		{"AssignRealmRole", func(c *keycloak.Client, id string) error { return c.AssignRealmRole(ctx, id, "seller") }},
		{"DeleteUser", func(c *keycloak.Client, id string) error { return c.DeleteUser(ctx, id) }},
	}
	for _, status := range []int{500, 502, 503} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d", tt.name, status), func(t *testing.T) {
				c, srv := newPair(t)
				id := srv.AddUser(keycloakkit.User{
					Username: "dave@example.com", Email: "dave@example.com",
					Attributes: map[string][]string{"organization": {"org-1"}},
				})
				before, _ := srv.User(id)
				// Fetch the token first so the failure hits the admin call.
				if _, err := c.GetUser(ctx, id); err != nil {
					t.Fatal(err)
				}
				srv.FailNext(1, status)

				err := tt.call(c, id)
				if !errors.Is(err, keycloak.ErrUnavailable) {
					t.Fatalf("got %v, want ErrUnavailable", err)
				}
				after, ok := srv.User(id)
				if !ok || !equalUsers(before, after) {
					t.Errorf("user changed: before %+v, after %+v (present %v)", before, after, ok)
				}
				if n := len(srv.Users()); n != 1 {
					t.Errorf("%d users stored, want 1", n)
				}
			})
		}
	}
}

func equalUsers(a, b keycloakkit.User) bool {
	return a.ID == b.ID && a.Email == b.Email && a.Enabled == b.Enabled &&
		slices.Equal(a.RequiredActions, b.RequiredActions) && slices.Equal(a.RealmRoles, b.RealmRoles) &&
		slices.Equal(a.Attributes["organization"], b.Attributes["organization"])
}

func TestNetworkErrorIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more

	c, err := keycloak.New(keycloak.Config{BaseURL: "http://" + addr, Realm: realm, ClientID: "x", ClientSecret: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(t.Context(), "some-id"); !errors.Is(err, keycloak.ErrUnavailable) {
		t.Errorf("DeleteUser with Keycloak down = %v, want ErrUnavailable", err)
	}
}

func TestCanceledContext(t *testing.T) {
	c, _ := newPair(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.GetUser(ctx, "some-id"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetUser with canceled ctx = %v, want context.Canceled", err)
	}
}

func TestBadClientSecret(t *testing.T) {
	_, srv := newPair(t)
	c, err := keycloak.New(keycloak.Config{BaseURL: srv.URL, Realm: realm, ClientID: srv.ClientID, ClientSecret: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(t.Context(), "some-id")
	if err == nil || errors.Is(err, keycloak.ErrUnavailable) || errors.Is(err, keycloak.ErrNotFound) {
		t.Errorf("GetUser with a wrong secret = %v, want a configuration error", err)
	}
	if n := srv.Calls("", "/admin/"); n != 0 {
		t.Errorf("%d admin calls without a token, want 0", n)
	}
}

func TestTokenReuse(t *testing.T) {
	ctx := t.Context()
	c, srv := newPair(t)
	id, err := c.CreateDisabledUser(ctx, "erin@example.com", "org-1")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := c.GetUser(ctx, id); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := c.EnableWithPasswordReset(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got := srv.Calls("POST", srv.TokenPath()); got != 1 {
		t.Errorf("token calls = %d for %d admin calls, want 1", got, srv.Calls("", "/admin/"))
	}
}

func TestTokenRefreshAfterExpiry(t *testing.T) {
	ctx := t.Context()
	c, srv := newPair(t)
	srv.TokenTTL = 60 * time.Second
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	keycloak.SetClock(c, func() time.Time { return now })

	tests := []struct {
		advance    time.Duration
		wantTokens int
	}{
		{0, 1},
		{20 * time.Second, 1}, // well inside the lifetime
		{15 * time.Second, 2}, // 35s: within the 30s leeway of expiry
		{10 * time.Second, 2},
		{60 * time.Second, 3},
	}
	for _, tt := range tests {
		now = now.Add(tt.advance)
		if _, err := c.FindUserByEmail(ctx, "nobody@example.com"); !errors.Is(err, keycloak.ErrNotFound) {
			t.Fatalf("FindUserByEmail = %v, want ErrNotFound", err)
		}
		if got := srv.Calls("POST", srv.TokenPath()); got != tt.wantTokens {
			t.Errorf("after +%v: token calls = %d, want %d", tt.advance, got, tt.wantTokens)
		}
	}
}

func TestTokenRefreshOn401(t *testing.T) {
	ctx := t.Context()
	c, srv := newPair(t)
	id := srv.AddUser(keycloakkit.User{Username: "frank@example.com", Email: "frank@example.com"})
	if _, err := c.GetUser(ctx, id); err != nil {
		t.Fatal(err)
	}

	srv.ExpireTokens() // Keycloak forgot the cached token
	if _, err := c.GetUser(ctx, id); err != nil {
		t.Fatalf("GetUser after the token was revoked = %v, want a retry with a new token", err)
	}
	if got := srv.Calls("POST", srv.TokenPath()); got != 2 {
		t.Errorf("token calls = %d, want 2", got)
	}

	// A second 401 is not retried again.
	srv.FailNext(2, 401)
	if _, err := c.GetUser(ctx, id); err == nil || errors.Is(err, keycloak.ErrUnavailable) {
		t.Errorf("GetUser with 401 twice = %v, want an authorization error", err)
	}
	if got := srv.Calls("POST", srv.TokenPath()); got != 3 {
		t.Errorf("token calls = %d, want 3 (one refresh)", got)
	}
}

func TestNew(t *testing.T) {
	full := keycloak.Config{BaseURL: "http://127.0.0.1:1", Realm: "r", ClientID: "c", ClientSecret: "s"}
	tests := []struct {
		name    string
		edit    func(*keycloak.Config)
		wantErr bool
	}{
		{"complete", func(*keycloak.Config) {}, false},
		{"no url", func(c *keycloak.Config) { c.BaseURL = "" }, true},
		{"no realm", func(c *keycloak.Config) { c.Realm = "" }, true},
		{"no client id", func(c *keycloak.Config) { c.ClientID = "" }, true},
		{"no secret", func(c *keycloak.Config) { c.ClientSecret = "" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := full
			tt.edit(&cfg)
			_, err := keycloak.New(cfg)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("New error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"KEYCLOAK_URL":           "https://sso.example.com",
		"KEYCLOAK_REALM":         "sweetconnect",
		"KEYCLOAK_CLIENT_ID":     "gatehouse",
		"KEYCLOAK_CLIENT_SECRET": "s3cret",
	}
	got := keycloak.ConfigFromEnv(func(k string) string { return env[k] })
	want := keycloak.Config{BaseURL: "https://sso.example.com", Realm: "sweetconnect", ClientID: "gatehouse", ClientSecret: "s3cret"}
	if got != want {
		t.Errorf("ConfigFromEnv = %+v, want %+v", got, want)
	}
}

// The registration step: enabled, named, with a locale; the organization
// attribute and the rest of the user survive the PUT.
func TestCompleteProfile(t *testing.T) {
	c, kc := newPair(t)
	ctx := context.Background()
	id, err := c.CreateDisabledUser(ctx, "reg@example.com", "org-a")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CompleteProfile(ctx, id, "Regina", "Rex", "de"); err != nil {
		t.Fatal(err)
	}
	got, _ := kc.User(id)
	want := keycloakkit.User{ID: id, Username: "reg@example.com", Email: "reg@example.com", FirstName: "Regina", LastName: "Rex", Enabled: true,
		RequiredActions: []string{}, Attributes: map[string][]string{"organization": {"org-a"}, "locale": {"de"}}, CreatedTimestamp: got.CreatedTimestamp}
	if !equalUsers(got, want) || got.FirstName != "Regina" || got.LastName != "Rex" || !slices.Equal(got.Attributes["locale"], []string{"de"}) {
		t.Errorf("user = %+v, want %+v", got, want)
	}
	if u, err := c.GetUser(ctx, id); err != nil || u.Locale != "de" || u.FirstName != "Regina" {
		t.Errorf("GetUser = %+v, %v", u, err)
	}
	if err := c.CompleteProfile(ctx, "6f1c1c4e-8d7e-4b8a-9a57-3d3c2f1b0a11", "A", "B", "de"); !errors.Is(err, keycloak.ErrNotFound) {
		t.Errorf("unknown user: %v, want ErrNotFound", err)
	}
}

// Users of an organization in roles: the join of the role lists and the
// organization's users; disabled users, other organizations and other
// roles are left out, and an unknown role holds nobody.
func TestOrganizationUsersInRoles(t *testing.T) {
	c, kc := newPair(t)
	kc.AddRole("admin")
	kc.AddRole("producer-admin")
	add := func(email, org, role string, enabled bool) string {
		return kc.AddUser(keycloakkit.User{Username: email, Email: email, Enabled: enabled, RealmRoles: []string{role},
			Attributes: map[string][]string{"organization": {org}}})
	}
	boss := add("boss@a.example", "org-a", "admin", true)
	prod := add("prod@a.example", "org-a", "producer-admin", true)
	add("user@a.example", "org-a", "buyer", true)
	add("boss@b.example", "org-b", "admin", true)
	add("gone@a.example", "org-a", "admin", false)
	got, err := c.OrganizationUsersInRoles(context.Background(), "org-a", "admin", "producer-admin", "no-such-role")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range got {
		ids = append(ids, u.ID)
	}
	slices.Sort(ids)
	want := []string{boss, prod}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("users = %+v, want ids %v", got, want)
	}
}
