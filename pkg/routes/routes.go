// Package routes is the one route table: every route of every Lambda.
// The dev server mounts all of it; a test checks template.yaml against it.
package routes

import (
	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/alertsettings"
	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/participants"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/shares"
)

// Config is every feature's configuration. Each Lambda reads only its
// own feature's in main; the dev server reads this once.
type Config struct {
	// PublicBaseURL is the API's public base URL (PUBLIC_BASE_URL); the
	// HTTP server applies it (platform.Config.PublicBaseURL). Empty means
	// each request's own (httpapi.PublicBaseURL).
	PublicBaseURL string
	Connectors    connectors.Config
	Inbound       inbound.Config
	Participants  participants.Config
	Shares        shares.Config
}

// ConfigFromEnv reads every feature's Config.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	pc, err := participants.ConfigFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	return Config{
		PublicBaseURL: getenv("PUBLIC_BASE_URL"),
		Connectors:    connectors.ConfigFromEnv(getenv),
		Inbound:       inbound.ConfigFromEnv(getenv),
		Participants:  pc,
		Shares:        shares.ConfigFromEnv(getenv),
	}, nil
}

// Deps is what one process serves every route with.
type Deps struct {
	Platform *platform.Platform
	// Connectors is the process's one connectors repository: the
	// connectors API, the webhooks and participants share its cache.
	Connectors *connectors.Repo
	Config     Config
}

// NewDeps returns Deps over p with a new connectors repository.
func NewDeps(p *platform.Platform, cfg Config) *Deps {
	return &Deps{Platform: p, Connectors: connectors.NewRepo(p.Store), Config: cfg}
}

// All returns every route, bound to d. A nil d gives routes fit only for
// reading their metadata (method, path, function).
func All(d *Deps) ([]httpapi.Route, error) {
	if d == nil {
		d = &Deps{}
	}
	p, conns, cfg := d.Platform, d.Connectors, d.Config
	builders := []func() ([]httpapi.Route, error){
		func() ([]httpapi.Route, error) { return accessrequests.Routes(p) },
		func() ([]httpapi.Route, error) { return audit.Routes(p) },
		func() ([]httpapi.Route, error) { return collaborators.Routes(p) },
		func() ([]httpapi.Route, error) { return alertsettings.Routes(p) },
		func() ([]httpapi.Route, error) { return participants.Routes(p, conns, cfg.Participants) },
		func() ([]httpapi.Route, error) { return shares.Routes(p, cfg.Shares) },
		func() ([]httpapi.Route, error) { return connectors.Routes(p, conns, cfg.Connectors) },
		func() ([]httpapi.Route, error) { return inbound.Routes(p, conns, cfg.Inbound) },
	}
	var out []httpapi.Route
	for _, build := range builders {
		rs, err := build()
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}
