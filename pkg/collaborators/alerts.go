package collaborators

import (
	"context"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// AlertsAccessRequests reports whether c is told of new access requests
// (pkg/alerts): an ACTIVE grant that can decide them (EDITOR or ADMIN;
// a VIEWER could only look) with accessRequestAlerts on.
func (c Collaborator) AlertsAccessRequests() bool {
	return c.Status == StatusActive && (c.Role == authz.RoleEditor || c.Role == authz.RoleAdmin) && c.AlertPreferences.AccessRequestAlerts
}

// AccessRequestAlerted returns the agent's collaborators for whom
// AlertsAccessRequests holds: one Query of the agent's member partition
// (paged by the SDK; an agent has few collaborators).
func (r *Repo) AccessRequestAlerted(ctx context.Context, tenant, agent string) ([]Collaborator, error) {
	var items []item
	err := r.table.Get("PK", store.AgentMemberPK(tenant, agent)).Range("SK", dynamo.BeginsWith, store.MemberSK("")).
		Filter("'role' IN (?, ?)", authz.RoleEditor, authz.RoleAdmin).All(ctx, &items)
	if err != nil {
		return nil, fmt.Errorf("collaborators: alerted: %w", err)
	}
	var out []Collaborator
	for _, it := range items {
		if c := it.collaborator(); c.AlertsAccessRequests() {
			out = append(out, c)
		}
	}
	return out, nil
}
