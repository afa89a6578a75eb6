// Package auth verifies operator bearer JWTs and carries the verified caller
// (a Principal) through a request context.
//
// Tokens are signed with RS256 or ES256 by a key published in the issuer's
// JWKS. The registered claims iss, aud and exp are required (nbf and iat are
// checked when present; leeway is at most 60 s). The claims read are:
//
//	sub                 the caller's subject; required and non-empty
//	tenants             JSON object: tenant id -> tenant role, "ADMIN" or
//	                    "MEMBER"; entries with any other value are ignored
//	organization        string, the organization id used by the shares API
//	realm_access.roles  string array, Keycloak realm roles
//	name, email         optional display data
//	given_name, family_name  optional (the collaborators API's firstName, lastName)
//
// Example payload:
//
//	{"iss":"https://id.example.com/realms/x","aud":"gatehouse","exp":1767225600,
//	 "sub":"alice","tenants":{"demo":"ADMIN"},"organization":"org-1",
//	 "realm_access":{"roles":["admin"]},"name":"Alice","email":"alice@example.com"}
//
// Header parameters jku, jwk, x5u and x5c are never used to find a key: keys
// come only from the configured JWKS URL.
package auth

import (
	"context"
	"slices"
)

// Tenant roles carried in the tenants claim.
const (
	TenantAdmin  = "ADMIN"
	TenantMember = "MEMBER"
)

// Principal is the verified caller.
type Principal struct {
	Subject string
	// Tenants maps tenant id to TenantAdmin or TenantMember.
	Tenants      map[string]string
	Organization string
	RealmRoles   []string
	Name, Email  string
	GivenName    string // given_name
	FamilyName   string // family_name
}

// TenantRole reports the caller's role in tenant.
func (p Principal) TenantRole(tenant string) (string, bool) {
	r, ok := p.Tenants[tenant]
	return r, ok
}

// HasRealmRole reports whether the caller has any of roles.
func (p Principal) HasRealmRole(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(p.RealmRoles, r) {
			return true
		}
	}
	return false
}

type principalKey struct{}

// NewContext returns a copy of ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the Principal stored by NewContext.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
