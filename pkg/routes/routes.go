// Package routes is the one route table: every route of every Lambda.
// The dev server mounts all of it; a test checks template.yaml against it.
package routes

import (
	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/members"
	"github.com/gatehouse/gatehouse/pkg/participants"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/shares"
)

// All returns every route, bound to p. A nil p gives routes fit only for
// reading their metadata (method, path, function).
func All(p *platform.Platform) ([]httpapi.Route, error) {
	var out []httpapi.Route
	for _, build := range builders {
		rs, err := build(p)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// builders lists every resource's Routes function. Each takes a nil
// platform to mean "metadata only".
var builders = []func(p *platform.Platform) ([]httpapi.Route, error){
	accessrequests.Routes,
	members.Routes,
	participants.Routes,
	shares.Routes,
	connectors.Routes,
	inbound.Routes,
}
