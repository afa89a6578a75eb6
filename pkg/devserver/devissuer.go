package devserver

import (
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/pkg/collaborators"
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

// newDevIssuer is the dev OpenID Connect provider at url (base +
// /dev-issuer), for the console's client id (CONSOLE_CLIENT_ID).
func newDevIssuer(iss *issuerkit.Issuer, url string) (*issuerkit.Provider, error) {
	return issuerkit.NewProvider(iss, issuerkit.ProviderConfig{URL: url, ClientID: os.Getenv("CONSOLE_CLIENT_ID"), Users: DemoUsers()})
}
