package collaborators

// AlertsView is alertPreferences as the API shows it.
type AlertsView struct {
	ErrorAlerts         bool `json:"errorAlerts"`
	AccessRequestAlerts bool `json:"accessRequestAlerts"`
	BudgetAlerts        bool `json:"budgetAlerts"`
}

func alertsView(a AlertPreferences) AlertsView {
	return AlertsView{ErrorAlerts: a.ErrorAlerts, AccessRequestAlerts: a.AccessRequestAlerts, BudgetAlerts: a.BudgetAlerts}
}

// View is a list item: the grant or request joined with the user's
// profile ("" while gatehouse has not seen the user's token).
type View struct {
	AgentID          string     `json:"agentId"`
	UserID           string     `json:"userId"`
	Role             string     `json:"role"`
	Email            string     `json:"email"`
	FirstName        string     `json:"firstName"`
	LastName         string     `json:"lastName"`
	CreatedAt        int64      `json:"createdAt"`
	ModifiedAt       int64      `json:"modifiedAt"`
	Status           string     `json:"status"`
	AlertPreferences AlertsView `json:"alertPreferences"`
}

// ViewOf renders a collaborator as a list item.
func ViewOf(c Collaborator) View {
	return View{AgentID: c.AgentID, UserID: c.UserID, Role: c.Role, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName,
		CreatedAt: c.CreatedAt, ModifiedAt: c.ModifiedAt, Status: c.Status, AlertPreferences: alertsView(c.AlertPreferences)}
}

// GrantView is what PUT and :approve answer.
type GrantView struct {
	AgentID          string     `json:"agentId"`
	UserID           string     `json:"userId"`
	Role             string     `json:"role"`
	Status           string     `json:"status"`
	AlertPreferences AlertsView `json:"alertPreferences"`
	CreatedAt        int64      `json:"createdAt"`
	ModifiedAt       int64      `json:"modifiedAt"`
	// TenantID is the tenant's id; the docs show a UUID, gatehouse's
	// tenant ids are the path's strings.
	TenantID string `json:"tenantId"`
}

// GrantViewOf renders a collaborator of tenant as PUT answers it.
func GrantViewOf(tenant string, c Collaborator) GrantView {
	return GrantView{AgentID: c.AgentID, UserID: c.UserID, Role: c.Role, Status: c.Status, AlertPreferences: alertsView(c.AlertPreferences),
		CreatedAt: c.CreatedAt, ModifiedAt: c.ModifiedAt, TenantID: tenant}
}
