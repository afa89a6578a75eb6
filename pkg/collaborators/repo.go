package collaborators

import (
	"context"
	"errors"
	"fmt"
	"github.com/gatehouse/gatehouse/pkg/audit"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Repo reads and writes an agent's collaborators: one item per user in
// the agent's partition (store.AgentMemberPK), the items pkg/authz reads.
type Repo struct {
	st    *store.Store
	table dynamo.Table
}

// NewRepo returns a Repo over the table.
func NewRepo(st *store.Store) *Repo { return &Repo{st: st, table: st.Table()} }

// item is the stored collaborator. Only a grant carries "role", the one
// attribute authorization reads, so a pending request grants nothing
// whatever reads it; the request's role is "requestedRole". Items written
// before collaborators existed have no status (ACTIVE), no profile, no
// alert preferences (all true) and no version (0).
type item struct {
	PK            string            `dynamo:"PK,hash"`
	SK            string            `dynamo:"SK,range"`
	Tenant        string            `dynamo:"tenant"`
	AgentID       string            `dynamo:"agentId"`
	Subject       string            `dynamo:"subject"`
	Role          string            `dynamo:"role,omitempty"`
	RequestedRole string            `dynamo:"requestedRole,omitempty"`
	Status        string            `dynamo:"status,omitempty"`
	Email         string            `dynamo:"email,omitempty"`
	FirstName     string            `dynamo:"firstName,omitempty"`
	LastName      string            `dynamo:"lastName,omitempty"`
	Alerts        *AlertPreferences `dynamo:"alertPreferences,omitempty"`
	CreatedBy     string            `dynamo:"createdBy,omitempty"`
	CreatedAt     int64             `dynamo:"createdAt"`
	ModifiedAt    int64             `dynamo:"modifiedAt"`
	// Version orders writes: each one is conditional on the version it
	// read, so a decision is never taken on a stale role.
	Version int64 `dynamo:"version,omitempty"`
}

func newItem(tenant string, c Collaborator, version int64) item {
	it := item{PK: store.AgentMemberPK(tenant, c.AgentID), SK: store.MemberSK(c.UserID), Tenant: tenant,
		AgentID: c.AgentID, Subject: c.UserID, Status: c.Status,
		Email: c.Email, FirstName: c.FirstName, LastName: c.LastName,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, ModifiedAt: c.ModifiedAt, Version: version}
	if c.Status == StatusPending {
		it.RequestedRole = c.Role
	} else {
		it.Role = c.Role
	}
	a := c.AlertPreferences
	it.Alerts = &a
	return it
}

func (it item) collaborator() Collaborator {
	c := Collaborator{AgentID: it.AgentID, UserID: it.Subject, Role: it.Role, Status: it.Status,
		Profile:          Profile{Email: it.Email, FirstName: it.FirstName, LastName: it.LastName},
		AlertPreferences: AllAlerts, CreatedBy: it.CreatedBy, CreatedAt: it.CreatedAt, ModifiedAt: it.ModifiedAt}
	if c.Status == "" {
		c.Status = StatusActive
	}
	if c.Status == StatusPending {
		c.Role = it.RequestedRole
	}
	if it.Alerts != nil {
		c.AlertPreferences = *it.Alerts
	}
	return c
}

// Transaction action names.
const (
	actCollaborator = "collaborator"
	actWitness      = "admin-witness"
)

// maxAttempts bounds the optimistic retries of one write.
const maxAttempts = 5

// read returns the stored item (nil when the user has none), strongly
// consistent because writes are conditional on what it returns.
func (r *Repo) read(ctx context.Context, tenant, agent, user string) (*item, error) {
	var it item
	err := r.table.Get("PK", store.AgentMemberPK(tenant, agent)).Range("SK", dynamo.Equal, store.MemberSK(user)).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("collaborators: read: %w", err)
	}
	return &it, nil
}

// Get returns a user's collaborator item, or store.ErrNotFound.
func (r *Repo) Get(ctx context.Context, tenant, agent, user string) (Collaborator, error) {
	it, err := r.read(ctx, tenant, agent, user)
	if err != nil {
		return Collaborator{}, err
	}
	if it == nil {
		return Collaborator{}, store.ErrNotFound
	}
	return it.collaborator(), nil
}

// List returns one page of an agent's collaborators and pending requests,
// in userId order, and the next page's token ("" on the last page).
func (r *Repo) List(ctx context.Context, tenant, agent string, pageSize int, pageToken string) ([]Collaborator, string, error) {
	pk := store.AgentMemberPK(tenant, agent)
	q := r.table.Get("PK", pk).Range("SK", dynamo.BeginsWith, store.MemberSK(""))
	items, next, err := store.QueryPage[item](ctx, q, "PK", pk, pageSize, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("collaborators: list: %w", err)
	}
	out := make([]Collaborator, len(items))
	for i, it := range items {
		out[i] = it.collaborator()
	}
	return out, next, nil
}

// Admins returns the agent's ADMIN collaborators (pending requests hold no
// role). consistent reads what the last write left, for the last-admin
// guard; the e-mails of a request need no more than eventual.
func (r *Repo) Admins(ctx context.Context, tenant, agent string, consistent bool) ([]Collaborator, error) {
	var items []item
	err := r.table.Get("PK", store.AgentMemberPK(tenant, agent)).Range("SK", dynamo.BeginsWith, store.MemberSK("")).
		Filter("'role' = ?", authz.RoleAdmin).Consistent(consistent).All(ctx, &items)
	if err != nil {
		return nil, fmt.Errorf("collaborators: admins: %w", err)
	}
	out := make([]Collaborator, 0, len(items))
	for _, it := range items {
		if c := it.collaborator(); c.Admin() {
			out = append(out, c)
		}
	}
	return out, nil
}

// unchanged is the condition that the item is still as read.
func unchanged(cur *item) (string, []any) {
	switch {
	case cur == nil:
		return "attribute_not_exists(PK)", nil
	case cur.Version == 0:
		return "attribute_exists(PK) AND attribute_not_exists('version')", nil
	}
	return "'version' = ?", []any{cur.Version}
}

// witness adds to tx a check that some ADMIN other than user remains,
// when the write takes the ADMIN role from user. DynamoDB transactions
// are serializable, so two concurrent demotions that each name the other
// as witness cannot both commit: the agent always keeps an ADMIN.
func (r *Repo) witness(ctx context.Context, tx *store.Tx, tenant, agent, user string) error {
	admins, err := r.Admins(ctx, tenant, agent, true)
	if err != nil {
		return err
	}
	for _, a := range admins {
		if a.UserID != user {
			tx.Check(actWitness, r.table.Check("PK", store.AgentMemberPK(tenant, agent)).Range("SK", store.MemberSK(a.UserID)).
				If("'role' = ? AND (attribute_not_exists('status') OR 'status' = ?)", authz.RoleAdmin, StatusActive))
			return nil
		}
	}
	return ErrLastAdmin
}

// retry runs attempt until it succeeds, fails for good, or maxAttempts
// pass; attempt reports retry when the item or the witness changed under
// it.
func retry(what string, attempt func() (retry bool, err error)) error {
	var err error
	for range maxAttempts {
		var again bool
		if again, err = attempt(); !again {
			return err
		}
	}
	return fmt.Errorf("collaborators: %s: %w: %w", what, store.ErrConflict, err)
}

// changed reports a transaction lost to a concurrent write of the item or
// its witness: read again and decide again.
func changed(err error) bool {
	return store.ConditionFailed(err, actCollaborator) || store.ConditionFailed(err, actWitness) || store.OnlyConflicts(err)
}

// write replaces cur by next (nil deletes it) in a transaction joined by
// extra, guarding the agent's last ADMIN.
func (r *Repo) write(ctx context.Context, tenant, agent, user string, cur *item, next *Collaborator, extra ...store.TxAction) error {
	tx := r.st.Tx()
	cond, args := unchanged(cur)
	if next == nil {
		tx.Delete(actCollaborator, r.table.Delete("PK", store.AgentMemberPK(tenant, agent)).Range("SK", store.MemberSK(user)).If(cond, args...))
	} else {
		var version int64 = 1
		if cur != nil {
			version = cur.Version + 1
		}
		tx.Put(actCollaborator, r.table.Put(newItem(tenant, *next, version)).If(cond, args...))
	}
	if cur != nil && cur.collaborator().Admin() && (next == nil || !next.Admin()) {
		if err := r.witness(ctx, tx, tenant, agent, user); err != nil {
			return err
		}
	}
	return tx.Join(auditChange(ctx, tenant, agent, user, cur, next)).Join(extra...).Run(ctx)
}

// auditChange is the audit entry of a collaborator write; the status is
// "{status} {role}" (e.g. "ACTIVE EDITOR"), "" for none.
func auditChange(ctx context.Context, tenant, agent, user string, cur *item, next *Collaborator) store.TxAction {
	c := audit.Change{Scope: store.TenantScope(tenant), AgentID: agent, TargetType: audit.TargetCollaborator, TargetID: user}
	var before Collaborator
	if cur != nil {
		before = cur.collaborator()
		c.StatusBefore = before.Status + " " + before.Role
	}
	if next != nil {
		c.StatusAfter, c.At = next.Status+" "+next.Role, next.ModifiedAt
	}
	c.Action = collaboratorAction(cur != nil, before.Status, next)
	return audit.Record(ctx, c)
}

// collaboratorAction names a write by the states it joins.
func collaboratorAction(existed bool, before string, next *Collaborator) string {
	switch {
	case next == nil && before == StatusPending:
		return audit.CollaboratorRejected
	case next == nil:
		return audit.CollaboratorRevoked
	case next.Status == StatusPending:
		return audit.CollaboratorAccessRequested
	case !existed:
		return audit.CollaboratorGranted
	case before == StatusPending:
		return audit.CollaboratorApproved // :approve, or a PUT granting the request
	}
	return audit.CollaboratorChanged
}

// Grant applies a PUT and returns the collaborator as stored. It fails
// with ErrLastAdmin when it would demote the agent's last ADMIN.
func (r *Repo) Grant(ctx context.Context, tenant string, g Grant) (Collaborator, error) {
	var out Collaborator
	err := retry("grant", func() (bool, error) {
		cur, err := r.read(ctx, tenant, g.AgentID, g.UserID)
		if err != nil {
			return false, err
		}
		var c *Collaborator
		if cur != nil {
			cc := cur.collaborator()
			c = &cc
		}
		out = g.apply(c)
		err = r.write(ctx, tenant, g.AgentID, g.UserID, cur, &out)
		return changed(err), err
	})
	return out, err
}

// Revoke deletes a user's grant or request; a user with neither is no
// error. It fails with ErrLastAdmin for the agent's last ADMIN.
func (r *Repo) Revoke(ctx context.Context, tenant, agent, user string) error {
	return retry("revoke", func() (bool, error) {
		cur, err := r.read(ctx, tenant, agent, user)
		if err != nil || cur == nil {
			return false, err
		}
		err = r.write(ctx, tenant, agent, user, cur, nil)
		return changed(err), err
	})
}

// RequestAccess writes a PENDING request with the actions notify returns
// for it (the admins' e-mails) in one transaction. A request already
// pending is refreshed (role, profile) and notifies no one again; a user
// with a grant gets ErrHasAccess.
func (r *Repo) RequestAccess(ctx context.Context, tenant string, q Request, notify func(c Collaborator) ([]store.TxAction, error)) (Collaborator, error) {
	var out Collaborator
	err := retry("request access", func() (bool, error) {
		cur, err := r.read(ctx, tenant, q.AgentID, q.UserID)
		if err != nil {
			return false, err
		}
		var extra []store.TxAction
		if cur == nil {
			out = Collaborator{AgentID: q.AgentID, UserID: q.UserID, Role: q.Role, Status: StatusPending, Profile: q.Profile,
				AlertPreferences: AllAlerts, CreatedBy: q.UserID, CreatedAt: q.At, ModifiedAt: q.At}
			if extra, err = notify(out); err != nil {
				return false, err
			}
		} else {
			out = cur.collaborator()
			if out.Status != StatusPending {
				return false, ErrHasAccess
			}
			out.Role, out.Profile, out.ModifiedAt = q.Role, q.Profile, q.At
		}
		err = r.write(ctx, tenant, q.AgentID, q.UserID, cur, &out, extra...)
		return changed(err), err
	})
	return out, err
}

// Approve grants a pending request its requested role; *NotPendingError
// for a user who already has a grant, store.ErrNotFound for none.
func (r *Repo) Approve(ctx context.Context, tenant, agent, user string, at int64) (Collaborator, error) {
	var out Collaborator
	err := retry("approve", func() (bool, error) {
		cur, err := r.pending(ctx, tenant, agent, user)
		if err != nil {
			return false, err
		}
		out = cur.collaborator()
		out.Status, out.ModifiedAt = StatusActive, at
		err = r.write(ctx, tenant, agent, user, cur, &out)
		return changed(err), err
	})
	return out, err
}

// Reject deletes a pending request; errors as Approve.
func (r *Repo) Reject(ctx context.Context, tenant, agent, user string) error {
	return retry("reject", func() (bool, error) {
		cur, err := r.pending(ctx, tenant, agent, user)
		if err != nil {
			return false, err
		}
		err = r.write(ctx, tenant, agent, user, cur, nil)
		return changed(err), err
	})
}

func (r *Repo) pending(ctx context.Context, tenant, agent, user string) (*item, error) {
	cur, err := r.read(ctx, tenant, agent, user)
	switch {
	case err != nil:
		return nil, err
	case cur == nil:
		return nil, store.ErrNotFound
	}
	if c := cur.collaborator(); c.Status != StatusPending {
		return nil, &NotPendingError{Status: c.Status}
	}
	return cur, nil
}

// RefreshProfile stores p on user's item of agent when it differs; a
// user without one is no error. It leaves the version alone: a profile
// decides nothing.
func (r *Repo) RefreshProfile(ctx context.Context, tenant, agent, user string, p Profile) error {
	err := r.table.Update("PK", store.AgentMemberPK(tenant, agent)).Range("SK", store.MemberSK(user)).
		Set("email", p.Email).Set("firstName", p.FirstName).Set("lastName", p.LastName).
		If("attribute_exists(PK) AND NOT ('email' = ? AND 'firstName' = ? AND 'lastName' = ?)", p.Email, p.FirstName, p.LastName).
		Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("collaborators: refresh profile: %w", err)
	}
	return nil
}
