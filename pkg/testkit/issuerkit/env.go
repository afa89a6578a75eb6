package issuerkit

import (
	"fmt"
	"strings"
	"time"
)

// ClaimsFromEnv builds the Claims of `make token` from environment
// variables (pass os.Getenv):
//
//	SUB          subject (default alice)
//	TENANT       tenant id (default demo)
//	TENANT_ROLE  ADMIN or MEMBER (default MEMBER)
//	ORG          organization id (optional)
//	REALM_ROLES  comma-separated realm roles (optional)
//	NAME, EMAIL  optional
//	GIVEN_NAME, FAMILY_NAME  optional (given_name, family_name)
//	TTL          Go duration, e.g. 1h (default 12h)
func ClaimsFromEnv(getenv func(string) string) (Claims, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	rawRole := get("TENANT_ROLE", "MEMBER")
	role := strings.ToUpper(rawRole)
	if role != "ADMIN" && role != "MEMBER" {
		return Claims{}, fmt.Errorf("TENANT_ROLE %q: want ADMIN or MEMBER", rawRole)
	}
	c := Claims{
		Subject:      get("SUB", "alice"),
		Tenants:      map[string]string{get("TENANT", "demo"): role},
		Organization: get("ORG", ""),
		Name:         get("NAME", ""),
		Email:        get("EMAIL", ""),
		GivenName:    get("GIVEN_NAME", ""),
		FamilyName:   get("FAMILY_NAME", ""),
	}
	for r := range strings.SplitSeq(get("REALM_ROLES", ""), ",") {
		if r = strings.TrimSpace(r); r != "" {
			c.RealmRoles = append(c.RealmRoles, r)
		}
	}
	if s := get("TTL", ""); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return Claims{}, fmt.Errorf("TTL %q: want a positive duration such as 1h", s)
		}
		c.TTL = d
	}
	return c, nil
}
