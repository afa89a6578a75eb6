package devserver

import (
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/console"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// DemoShareUsers are the document-shares demo's staff of DemoOrg: subject,
// name and realm role.
var DemoShareUsers = []struct{ Subject, Name, RealmRole string }{
	{"olivia", "Olivia Admin", "admin"},
	{"paul", "Paul Producer", "producer-user"},
}

// demoProfile is the profile a demo tenant user's token brings.
func demoProfile(sub string) collaborators.Profile {
	return collaborators.Profile{Email: sub + "@demo.example", FirstName: strings.ToUpper(sub[:1]) + sub[1:], LastName: "Demo"}
}

// DemoUsers are the users the dev issuer's sign-in page offers, derived
// from the seed so that page and data cannot drift: alice (tenant ADMIN),
// the agent collaborators, the one asking for a role, the shares staff.
func DemoUsers() []issuerkit.User {
	tenantUser := func(sub, role string) issuerkit.User {
		prof := demoProfile(sub)
		return issuerkit.User{Claims: issuerkit.Claims{Subject: sub, Tenants: map[string]string{DemoTenant: role},
			Name: prof.FirstName + " " + prof.LastName, GivenName: prof.FirstName, FamilyName: prof.LastName, Email: prof.Email}}
	}
	alice := tenantUser("alice", "ADMIN")
	alice.AgentRoles = []string{"every agent (tenant ADMIN)"}
	users := []issuerkit.User{alice}
	for _, sub := range slices.Sorted(maps.Keys(DemoSubjects)) {
		u := tenantUser(sub, "MEMBER")
		u.AgentRoles = []string{DemoAgent + ": " + DemoSubjects[sub]}
		users = append(users, u)
	}
	req := demoCollaboratorRequest(0)
	asker := tenantUser(req.UserID, "MEMBER")
	asker.Note = "Asks for " + req.Role + " on " + req.AgentID + " (pending)."
	users = append(users, asker)
	for _, s := range DemoShareUsers {
		first, last, _ := strings.Cut(s.Name, " ")
		users = append(users, issuerkit.User{Claims: issuerkit.Claims{Subject: s.Subject, Organization: DemoOrg,
			RealmRoles: []string{s.RealmRole}, Name: s.Name, GivenName: first, FamilyName: last, Email: s.Subject + "@demo.example"}})
	}
	return users
}

// newConsole is the dev OpenID Connect provider at iss's URL (base +
// /dev-issuer) and the console trusting it, serving the build in
// pkg/console/dist from disk (a rebuild needs no restart). env holds the
// hooks' settings.
func newConsole(root string, iss *issuerkit.Issuer, env map[string]string) (*issuerkit.Provider, http.Handler, error) {
	cfg, err := console.ConfigFromEnv(func(k string) string {
		if k == "JWT_ISSUER" {
			return iss.URL()
		}
		return settings(env)(k) // the hooks' settings, e.g. the local S3
	})
	if err != nil {
		return nil, nil, err
	}
	oidc, err := issuerkit.NewProvider(iss, issuerkit.ProviderConfig{URL: iss.URL(), ClientID: cfg.ClientID, Users: DemoUsers()})
	if err != nil {
		return nil, nil, err
	}
	return oidc, console.New(os.DirFS(filepath.Join(root, "pkg", "console", "dist")), cfg), nil
}
