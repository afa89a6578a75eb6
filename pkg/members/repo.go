package members

import (
	"context"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// Member is a subject's role on an agent.
type Member struct {
	AgentID    string `dynamo:"agentId"`
	Subject    string `dynamo:"subject"`
	Role       string `dynamo:"role"`
	CreatedBy  string `dynamo:"createdBy,omitempty"`
	CreatedAt  int64  `dynamo:"createdAt"`
	ModifiedAt int64  `dynamo:"modifiedAt"`
}

// Repo reads and writes agent members.
type Repo struct{ st *store.Store }

// NewRepo returns a Repo over the table.
func NewRepo(st *store.Store) *Repo { return &Repo{st: st} }

// memberItem is the stored member; pkg/authz reads its role attribute.
type memberItem struct {
	PK     string `dynamo:"PK,hash"`
	SK     string `dynamo:"SK,range"`
	Tenant string `dynamo:"tenant"`
	Member
}

// GetMember reads a subject's role on an agent.
func (s *Repo) GetMember(ctx context.Context, tenant, agent, subject string) (Member, error) {
	var it memberItem
	err := s.st.Table().Get("PK", store.AgentMemberPK(tenant, agent)).Range("SK", dynamo.Equal, store.MemberSK(subject)).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Member{}, store.ErrNotFound
	}
	if err != nil {
		return Member{}, fmt.Errorf("members: get member: %w", err)
	}
	return it.Member, nil
}

// PutMember creates or replaces a role, keeping the original createdAt.
func (s *Repo) PutMember(ctx context.Context, tenant string, m Member) (Member, error) {
	var out memberItem
	err := s.st.Table().Update("PK", store.AgentMemberPK(tenant, m.AgentID)).Range("SK", store.MemberSK(m.Subject)).
		Set("tenant", tenant).Set("agentId", m.AgentID).Set("subject", m.Subject).Set("role", m.Role).
		Set("modifiedAt", m.ModifiedAt).SetIfNotExists("createdAt", m.CreatedAt).SetIfNotExists("createdBy", m.CreatedBy).
		Value(ctx, &out)
	if err != nil {
		return Member{}, fmt.Errorf("members: put member: %w", err)
	}
	return out.Member, nil
}

// DeleteMember removes a role; ErrNotFound when there was none.
func (s *Repo) DeleteMember(ctx context.Context, tenant, agent, subject string) error {
	err := s.st.Table().Delete("PK", store.AgentMemberPK(tenant, agent)).Range("SK", store.MemberSK(subject)).If("attribute_exists(PK)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("members: delete member: %w", err)
	}
	return nil
}

// ListMembers lists an agent's members (one Query page of up to 1000).
func (s *Repo) ListMembers(ctx context.Context, tenant, agent string) ([]Member, error) {
	var items []memberItem
	if err := s.st.Table().Get("PK", store.AgentMemberPK(tenant, agent)).Limit(1000).All(ctx, &items); err != nil {
		return nil, fmt.Errorf("members: list members: %w", err)
	}
	out := make([]Member, 0, len(items))
	for _, it := range items {
		out = append(out, it.Member)
	}
	return out, nil
}
