package authz

import (
	"context"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// Role names as stored and shown in the API.
const (
	RoleViewer = "VIEWER"
	RoleEditor = "EDITOR"
	RoleAdmin  = "ADMIN"
)

// TableRoles reads agent roles from the collaborator items
// pkg/collaborators writes. Authorization reads only their role and status
// attributes, with the keys of pkg/store, so that every feature can
// authorize without linking the collaborators API. A pending access
// request carries no role and, should one ever carry it, its PENDING
// status still grants nothing.
type TableRoles struct{ st *store.Store }

// NewTableRoles returns the role reader over the table.
func NewTableRoles(st *store.Store) *TableRoles { return &TableRoles{st: st} }

type roleItem struct {
	AgentID string `dynamo:"agentId"`
	Role    string `dynamo:"role"`
	Status  string `dynamo:"status"`
}

// statusPending is pkg/collaborators' status of an access request.
const statusPending = "PENDING"

// role is the role the item grants ("" for none).
func (it roleItem) role() string {
	if it.Status == statusPending {
		return ""
	}
	return it.Role
}

// MemberRole returns subject's role on agent, or store.ErrNotFound (also
// for a pending request).
func (r *TableRoles) MemberRole(ctx context.Context, tenant, agent, subject string) (string, error) {
	var it roleItem
	err := r.st.Table().Get("PK", store.AgentMemberPK(tenant, agent)).Range("SK", dynamo.Equal, store.MemberSK(subject)).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("authz: member role: %w", err)
	}
	if it.role() == "" {
		return "", store.ErrNotFound
	}
	return it.role(), nil
}

// MemberRoles returns subject's role on each of agents that it has one
// on, with one BatchGet.
func (r *TableRoles) MemberRoles(ctx context.Context, tenant, subject string, agents []string) (map[string]string, error) {
	out := map[string]string{}
	if len(agents) == 0 {
		return out, nil
	}
	keys := make([]dynamo.Keyed, 0, len(agents))
	seen := map[string]bool{}
	for _, a := range agents {
		if !seen[a] {
			seen[a] = true
			keys = append(keys, dynamo.Keys{store.AgentMemberPK(tenant, a), store.MemberSK(subject)})
		}
	}
	var items []roleItem
	err := r.st.Table().Batch("PK", "SK").Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, fmt.Errorf("authz: member roles: %w", err)
	}
	for _, it := range items {
		if r := it.role(); r != "" {
			out[it.AgentID] = r
		}
	}
	return out, nil
}
