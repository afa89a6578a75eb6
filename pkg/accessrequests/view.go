package accessrequests

// View is an access request as the API shows it: exactly seed 000's
// fields, with unset optional ones null.
type View struct {
	ID                    string  `json:"id"`
	IntegrationConfigID   string  `json:"integrationConfigId"`
	Provider              string  `json:"provider"`
	Address               string  `json:"address"`
	AgentID               string  `json:"agentId"`
	MatchedParticipantID  *string `json:"matchedParticipantId"`
	DisplayName           *string `json:"displayName"`
	ConversationName      *string `json:"conversationName"`
	Status                string  `json:"status"`
	ProcessedBy           *string `json:"processedBy"`
	ProcessedAt           *int64  `json:"processedAt"`
	ProcessingNote        *string `json:"processingNote"`
	ApprovedParticipantID *string `json:"approvedParticipantId"`
	CreatedAt             int64   `json:"createdAt"`
	ModifiedAt            int64   `json:"modifiedAt"`
}

// ViewOf renders a stored request.
func ViewOf(a AccessRequest) View {
	return View{
		ID: a.ID, IntegrationConfigID: a.IntegrationConfigID, Provider: a.Provider, Address: a.Address, AgentID: a.AgentID,
		MatchedParticipantID: optional(a.MatchedParticipantID), DisplayName: optional(a.DisplayName),
		ConversationName: optional(a.ConversationName), Status: a.Status, ProcessedBy: optional(a.ProcessedBy),
		ProcessedAt: optionalTime(a.ProcessedAt), ProcessingNote: optional(a.ProcessingNote),
		ApprovedParticipantID: optional(a.ApprovedParticipantID), CreatedAt: a.CreatedAt, ModifiedAt: a.ModifiedAt,
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(ms int64) *int64 {
	if ms == 0 {
		return nil
	}
	return &ms
}

// ChatUserView is a request in the legacy per-agent model (seed 002,
// CONTRACT.md §2): the same row under that model's field names.
type ChatUserView struct {
	ID               string  `json:"id"`
	Provider         string  `json:"provider"`
	Identifier       string  `json:"identifier"` // address
	UserName         *string `json:"userName"`   // displayName
	AgentID          string  `json:"agentId"`
	ConnectorID      string  `json:"connectorId"` // integrationConfigId
	ConversationName *string `json:"conversationName"`
	Status           string  `json:"status"`
	ProcessedBy      *string `json:"processedBy"`
	ProcessedAt      *int64  `json:"processedAt"`
	ProcessingNote   *string `json:"processingNote"`
	TenantID         string  `json:"tenantId"`
	CreatedAt        int64   `json:"createdAt"`
	ModifiedAt       int64   `json:"modifiedAt"`
}

// ChatUserViewOf renders a stored request of tenant in the legacy model.
func ChatUserViewOf(tenant string, a AccessRequest) ChatUserView {
	return ChatUserView{
		ID: a.ID, Provider: a.Provider, Identifier: a.Address, UserName: optional(a.DisplayName), AgentID: a.AgentID,
		ConnectorID: a.IntegrationConfigID, ConversationName: optional(a.ConversationName), Status: a.Status,
		ProcessedBy: optional(a.ProcessedBy), ProcessedAt: optionalTime(a.ProcessedAt), ProcessingNote: optional(a.ProcessingNote),
		TenantID: tenant, CreatedAt: a.CreatedAt, ModifiedAt: a.ModifiedAt,
	}
}
