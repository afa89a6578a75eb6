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

// ListResponse is one page of access requests.
type ListResponse struct {
	ParticipantAccessRequests []View `json:"participantAccessRequests"`
	NextPageToken             string `json:"nextPageToken"`
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
