package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"
)

// Agent roles, weakest first.
const (
	RoleViewer = "VIEWER"
	RoleEditor = "EDITOR"
	RoleAdmin  = "ADMIN"
)

// Member is a subject's role on an agent.
type Member struct {
	AgentID    string `dynamo:"agentId" json:"agentId"`
	Subject    string `dynamo:"subject" json:"subject"`
	Role       string `dynamo:"role" json:"role"`
	CreatedBy  string `dynamo:"createdBy,omitempty" json:"createdBy,omitempty"`
	CreatedAt  int64  `dynamo:"createdAt" json:"createdAt"`
	ModifiedAt int64  `dynamo:"modifiedAt" json:"modifiedAt"`
}

type memberItem struct {
	PK     string `dynamo:"PK,hash"`
	SK     string `dynamo:"SK,range"`
	Tenant string `dynamo:"tenant"`
	Member
}

func memberSK(subject string) string { return "S#" + subject }

// GetMember reads a subject's role on an agent.
func (s *Store) GetMember(ctx context.Context, tenant, agent, subject string) (Member, error) {
	var it memberItem
	err := s.table.Get("PK", AgentMemberPK(tenant, agent)).Range("SK", dynamo.Equal, memberSK(subject)).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Member{}, ErrNotFound
	}
	if err != nil {
		return Member{}, fmt.Errorf("store: get member: %w", err)
	}
	return it.Member, nil
}

// PutMember creates or replaces a role, keeping the original createdAt.
func (s *Store) PutMember(ctx context.Context, tenant string, m Member) (Member, error) {
	var out memberItem
	err := s.table.Update("PK", AgentMemberPK(tenant, m.AgentID)).Range("SK", memberSK(m.Subject)).
		Set("tenant", tenant).Set("agentId", m.AgentID).Set("subject", m.Subject).Set("role", m.Role).
		Set("modifiedAt", m.ModifiedAt).SetIfNotExists("createdAt", m.CreatedAt).SetIfNotExists("createdBy", m.CreatedBy).
		Value(ctx, &out)
	if err != nil {
		return Member{}, fmt.Errorf("store: put member: %w", err)
	}
	return out.Member, nil
}

// DeleteMember removes a role; ErrNotFound when there was none.
func (s *Store) DeleteMember(ctx context.Context, tenant, agent, subject string) error {
	err := s.table.Delete("PK", AgentMemberPK(tenant, agent)).Range("SK", memberSK(subject)).If("attribute_exists(PK)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: delete member: %w", err)
	}
	return nil
}

// ListMembers lists an agent's members (one Query page of up to 1000).
func (s *Store) ListMembers(ctx context.Context, tenant, agent string) ([]Member, error) {
	var items []memberItem
	if err := s.table.Get("PK", AgentMemberPK(tenant, agent)).Limit(1000).All(ctx, &items); err != nil {
		return nil, fmt.Errorf("store: list members: %w", err)
	}
	out := make([]Member, 0, len(items))
	for _, it := range items {
		out = append(out, it.Member)
	}
	return out, nil
}
