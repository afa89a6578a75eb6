package members

// View is a member as the API shows it.
type View struct {
	AgentID    string `json:"agentId"`
	Subject    string `json:"subject"`
	Role       string `json:"role"`
	CreatedBy  string `json:"createdBy,omitempty"`
	CreatedAt  int64  `json:"createdAt"`
	ModifiedAt int64  `json:"modifiedAt"`
}

// ViewOf renders a stored member.
func ViewOf(m Member) View {
	return View{AgentID: m.AgentID, Subject: m.Subject, Role: m.Role, CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt, ModifiedAt: m.ModifiedAt}
}
