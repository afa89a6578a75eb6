package keycloak_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/keycloak"
)

// E-mails travel in a query string; '+' and '&' must survive it.
func TestEmailsWithSpecialCharacters(t *testing.T) {
	ctx := t.Context()
	c, _ := newPair(t)
	for _, email := range []string{
		"ann+shares@example.com",
		"o'brien@example.com",
		"a&b=c@example.com",
		"zoë@bücher.example",
		"%41nn@example.com",
	} {
		t.Run(email, func(t *testing.T) {
			id, err := c.CreateDisabledUser(ctx, email, "org-1")
			if err != nil {
				t.Fatalf("CreateDisabledUser: %v", err)
			}
			got, err := c.FindUserByEmail(ctx, email)
			if err != nil || got.ID != id {
				t.Errorf("FindUserByEmail = %+v, %v; want id %s", got, err, id)
			}
		})
	}
}

func TestInvalidIDsStayOffTheWire(t *testing.T) {
	ctx := t.Context()
	c, srv := newPair(t)
	for _, id := range []string{"", ".", "..", "../roles/buyer", "a?b", "a#b", "a%2Fb", "a b", "a\nb"} {
		t.Run(id, func(t *testing.T) {
			if _, err := c.GetUser(ctx, id); !errors.Is(err, keycloak.ErrNotFound) {
				t.Errorf("GetUser = %v, want ErrNotFound", err)
			}
			if err := c.AssignRealmRole(ctx, "u-1", id); !errors.Is(err, keycloak.ErrNotFound) {
				t.Errorf("AssignRealmRole with role %q = %v, want ErrNotFound", id, err)
			}
			if err := c.DeleteUser(ctx, id); err == nil || errors.Is(err, keycloak.ErrNotFound) {
				t.Errorf("DeleteUser = %v, want an error that is not ErrNotFound (not \"already deleted\")", err)
			}
		})
	}
	if n := srv.Calls("", "/"); n != 0 {
		t.Errorf("%d requests reached Keycloak, want 0", n)
	}
}

// FuzzValidSegment checks that an accepted id or role name stays one path
// segment of the URL gocloak builds from it.
func FuzzValidSegment(f *testing.F) {
	for _, s := range []string{"6b0c9c5e-1b2a-4c1d-9f00-0a1b2c3d4e5f", "f:ldap:42", "..", "a/b", "a?b", "é", "a%2e"} {
		f.Add(s)
	}
	const prefix = "http://127.0.0.1:8080/admin/realms/r/users/"
	f.Fuzz(func(t *testing.T, s string) {
		if !keycloak.ValidSegment(s) {
			return
		}
		u, err := url.Parse(prefix + s)
		if err != nil {
			t.Fatalf("accepted %q, but the URL does not parse: %v", s, err)
		}
		if u.Path != "/admin/realms/r/users/"+s || u.RawQuery != "" || u.Fragment != "" || strings.Contains(s, "/") {
			t.Fatalf("accepted %q, but it lands on path %q query %q fragment %q", s, u.Path, u.RawQuery, u.Fragment)
		}
	})
}
