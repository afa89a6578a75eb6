package participants

import (
	"context"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// caller is the principal's roles on the agents a request touches, read
// with one BatchGet (none for a tenant ADMIN, who is ADMIN everywhere).
type caller struct {
	subject string
	admin   bool
	roles   map[string]authz.Role
}

type roleReader interface {
	MemberRoles(ctx context.Context, tenant, subject string, agents []string) (map[string]string, error)
}

func (s *Service) caller(ctx context.Context, tenant string, agents []string) (*caller, error) {
	p, trole, err := authz.TenantRole(ctx, tenant)
	if err != nil {
		return nil, err
	}
	c := &caller{subject: p.Subject, admin: trole == "ADMIN", roles: map[string]authz.Role{}}
	if err := c.loadMore(ctx, s.authz, tenant, agents...); err != nil {
		return nil, err
	}
	return c, nil
}

// loadMore reads the roles on agents not read yet.
func (c *caller) loadMore(ctx context.Context, rr roleReader, tenant string, agents ...string) error {
	if c.admin {
		return nil
	}
	var missing []string
	for _, a := range agents {
		if _, ok := c.roles[a]; !ok {
			missing = append(missing, a)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	got, err := rr.MemberRoles(ctx, tenant, c.subject, missing)
	if err != nil {
		return err
	}
	for _, a := range missing {
		c.roles[a] = authz.ParseRole(got[a]) // None when absent
	}
	return nil
}

func (c *caller) on(agent string) authz.Role {
	if c.admin {
		return authz.Admin
	}
	return c.roles[agent]
}

// requireAny checks the caller holds want on one of agents: 404 when it
// holds no role on any (the participant is invisible), 403 when too weak.
func (c *caller) requireAny(agents []string, want authz.Role) error {
	if c.admin {
		return nil
	}
	best := authz.None
	for _, a := range agents {
		best = max(best, c.on(a))
	}
	switch {
	case best == authz.None:
		return authz.ErrNoAccess
	case best < want:
		return authz.ErrForbidden
	}
	return nil
}

// requireEach checks the caller holds want on every agent (403 naming the
// first that fails).
func (c *caller) requireEach(agents []string, want authz.Role) error {
	for _, a := range agents {
		if c.on(a) < want {
			return problem.Forbidden("you need the "+want.String()+" role on agent "+a).With("agentId", a)
		}
	}
	return nil
}

// visible keeps the participants bound to an agent the caller holds a
// role on (what GET of one needs), reading the roles of the page's
// agents with one BatchGet per 100.
func (c *caller) visible(ctx context.Context, rr roleReader, tenant string, ps []roster.Participant) ([]roster.Participant, error) {
	var agents []string
	for _, p := range ps {
		agents = append(agents, p.AgentIDs...)
	}
	if err := c.loadMore(ctx, rr, tenant, agents...); err != nil {
		return nil, err
	}
	out := ps[:0:0]
	for _, p := range ps {
		if c.requireAny(p.AgentIDs, authz.Viewer) == nil {
			out = append(out, p)
		}
	}
	return out, nil
}
