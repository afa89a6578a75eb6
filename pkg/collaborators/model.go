// Package collaborators serves /v1/tenants/{tenant}/agents/{agentId}/collaborators:
// who is ADMIN, EDITOR or VIEWER on an agent, and the access requests of
// users who want a role (Fruxon's agent collaborators API).
package collaborators

import (
	"net/http"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// Statuses of a collaborator. The docs show only PENDING; ACTIVE is
// gatehouse's name for a granted role.
const (
	StatusActive  = "ACTIVE"
	StatusPending = "PENDING"
)

// Roles a client may name (the docs' enum without its UNSPECIFIED zero).
var roles = []string{authz.RoleViewer, authz.RoleEditor, authz.RoleAdmin}

// AlertPreferences are a collaborator's notification choices. They are
// stored; the alerts themselves are sent by the lifecycle features.
type AlertPreferences struct {
	ErrorAlerts         bool `dynamo:"errorAlerts"`
	AccessRequestAlerts bool `dynamo:"accessRequestAlerts"`
	BudgetAlerts        bool `dynamo:"budgetAlerts"`
}

// AllAlerts is the default: every flag true, as documented.
var AllAlerts = AlertPreferences{ErrorAlerts: true, AccessRequestAlerts: true, BudgetAlerts: true}

// Profile is what gatehouse knows of a user: gatehouse has no user
// directory, so it keeps the claims of the user's own token (email,
// given_name, family_name), refreshed whenever the user calls this API.
type Profile struct {
	Email     string `dynamo:"email"`
	FirstName string `dynamo:"firstName"`
	LastName  string `dynamo:"lastName"`
}

// Collaborator is a user's grant on an agent, or their pending request
// for one.
type Collaborator struct {
	AgentID string
	UserID  string
	// Role is the granted role (ACTIVE) or the requested one (PENDING).
	Role   string
	Status string
	Profile
	AlertPreferences AlertPreferences
	CreatedBy        string
	CreatedAt        int64
	ModifiedAt       int64
}

// Admin reports whether c holds the ADMIN role (a pending request for a
// role holds nothing).
func (c Collaborator) Admin() bool { return c.Status == StatusActive && c.Role == authz.RoleAdmin }

// Grant is a PUT: give UserID a role on AgentID, or change it.
type Grant struct {
	AgentID, UserID string
	// Role "" (UNSPECIFIED or absent) keeps the current role, or the
	// requested one of a pending request; a new grant is VIEWER.
	Role string
	// Alerts nil keeps the stored preferences (a new grant: all true).
	Alerts *AlertPreferences
	By     string
	At     int64
}

// apply returns the collaborator cur becomes under g (cur is nil for a
// user without a grant or request).
func (g Grant) apply(cur *Collaborator) Collaborator {
	next := Collaborator{AgentID: g.AgentID, UserID: g.UserID, Role: authz.RoleViewer, AlertPreferences: AllAlerts,
		CreatedBy: g.By, CreatedAt: g.At}
	if cur != nil {
		next = *cur
	}
	next.Status, next.ModifiedAt = StatusActive, g.At
	if g.Role != "" {
		next.Role = g.Role
	}
	if g.Alerts != nil {
		next.AlertPreferences = *g.Alerts
	}
	return next
}

// Request is a user's request for a role (collaborators:requestAccess).
type Request struct {
	AgentID, UserID string
	Role            string // VIEWER or EDITOR
	Profile         Profile
	At              int64
}

// Sentinel errors, carrying their problems.
var (
	// ErrLastAdmin refuses to remove or demote an agent's last ADMIN.
	ErrLastAdmin = problem.NewKind("collaborators: last admin", http.StatusConflict, "last-admin",
		"the agent's last ADMIN cannot be removed or demoted; make another collaborator ADMIN first")
	// ErrHasAccess refuses a request from a user who already has a role
	// (a grant, or tenant ADMIN).
	ErrHasAccess = problem.NewKind("collaborators: already has access", http.StatusConflict, "already-has-access",
		"you already have access to this agent")
)

// NotPendingError refuses to approve or reject a granted collaborator.
type NotPendingError struct{ Status string }

func (e *NotPendingError) Error() string { return "collaborators: not pending but " + e.Status }

// Problem is 400 not-pending naming the current status, as for access
// requests.
func (e *NotPendingError) Problem() *problem.Error {
	return problem.Newf(http.StatusBadRequest, "not-pending", "the collaborator is %s, not PENDING", e.Status).With("currentStatus", e.Status)
}
