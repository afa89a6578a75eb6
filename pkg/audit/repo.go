package audit

import (
	"context"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// Repo reads audit trails. Nothing updates or deletes an entry: the
// only writes are Record's conditional puts (and TTL's expiry).
type Repo struct{ table dynamo.Table }

// NewRepo returns a Repo over the table.
func NewRepo(st *store.Store) *Repo { return &Repo{table: st.Table()} }

// Filter selects entries of one scope. Empty fields do not filter; From
// and To are epoch ms, inclusive (0 = unbounded).
type Filter struct {
	AgentID, TargetType, TargetID, Actor string
	From, To                             int64
	PageSize                             int
	PageToken                            string
}

// agentCond matches an entry of the agent: its first agent or one it is
// also filed under (a participant's other agents).
const agentCond = "agentId = ? OR contains(agentIds, ?)"

// List returns one page of entries, newest first, and the next page's
// token. The narrowest index serves the query (target, actor, agent,
// then the whole scope); the time range is a key condition, the other
// filters a filter expression, so a filtered page may be short and still
// link on.
func (r *Repo) List(ctx context.Context, scope string, f Filter) ([]Entry, string, error) {
	var index, pkAttr, skAttr, pk string
	var conds []string
	var args [][]any
	switch {
	case f.TargetID != "":
		index, pkAttr, skAttr, pk = store.GSI2, "GSI2PK", "GSI2SK", store.AuditsByTargetPK(scope, f.TargetType, f.TargetID)
		if f.Actor != "" {
			conds, args = append(conds, "actor = ?"), append(args, []any{f.Actor})
		}
		if f.AgentID != "" {
			conds, args = append(conds, agentCond), append(args, []any{f.AgentID, f.AgentID})
		}
	case f.Actor != "":
		index, pkAttr, skAttr, pk = store.GSI3, "GSI3PK", "GSI3SK", store.AuditsByActorPK(scope, f.Actor)
		if f.AgentID != "" {
			conds, args = append(conds, agentCond), append(args, []any{f.AgentID, f.AgentID})
		}
	case f.AgentID != "":
		index, pkAttr, skAttr, pk = store.GSI1, "GSI1PK", "GSI1SK", store.AuditsByAgentPK(scope, f.AgentID)
	default:
		index, pkAttr, skAttr, pk = store.GSI4, "GSI4PK", "GSI4SK", store.AuditsPK(scope)
	}
	if f.TargetType != "" && f.TargetID == "" {
		conds, args = append(conds, "targetType = ?"), append(args, []any{f.TargetType})
	}
	q := r.table.Get(pkAttr, pk).Index(index).Order(dynamo.Descending)
	if f.From > 0 || f.To > 0 {
		to := f.To
		if to == 0 {
			to = 9999999999999
		}
		// Sort keys are "%013d#id": "%013d" sorts before every key of
		// that millisecond and "%013d#~" after.
		q = q.Range(skAttr, dynamo.Between, fmt.Sprintf("%013d", f.From), fmt.Sprintf("%013d#~", to))
	}
	for i, c := range conds {
		// Successive Filter calls are ANDed.
		q = q.Filter(c, args[i]...)
	}
	if len(conds) == 0 {
		items, next, err := store.QueryPage[entryItem](ctx, q, pkAttr, pk, f.PageSize, f.PageToken)
		if err != nil {
			return nil, "", fmt.Errorf("audit: list: %w", err)
		}
		return entries(items), next, nil
	}
	start, err := store.DecodePageToken(f.PageToken, pkAttr, pk)
	if err != nil {
		return nil, "", err
	}
	q = q.Limit(f.PageSize)
	if start != nil {
		q = q.StartFrom(start)
	}
	var items []entryItem
	lek, err := q.AllWithLastEvaluatedKey(ctx, &items)
	if err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	next, err := store.EncodePageToken(lek)
	if err != nil {
		return nil, "", err
	}
	return entries(items), next, nil
}

func entries(items []entryItem) []Entry {
	out := make([]Entry, len(items))
	for i, it := range items {
		out[i] = it.Entry
	}
	return out
}
