// Package routes is the one route table: every route of every Lambda.
// The dev server mounts all of it; a test checks template.yaml against it.
package routes

import (
	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/members"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

// All returns every route, bound to p. A nil p gives routes fit only for
// reading their metadata.
func All(p *platform.Platform) []httpapi.Route {
	if p == nil {
		p = &platform.Platform{}
	}
	var out []httpapi.Route
	out = append(out, accessrequests.New(p.Store, p.Authz).Routes()...)
	out = append(out, members.New(p.Store, p.Authz).Routes()...)
	return out
}
