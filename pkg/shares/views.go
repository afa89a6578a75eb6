package shares

import (
	"cmp"
	"encoding/json"
	"slices"
)

// The JSON shapes of the API. Optional values are null when unset, so
// every documented field is always present.

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullableInt(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// MarshalJSON renders a document.
func (d Document) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID             string  `json:"id"`
		Filename       string  `json:"filename"`
		DisplayName    string  `json:"displayName"`
		OrganizationID string  `json:"organizationId"`
		AssetID        *string `json:"assetId"`
		Category       *string `json:"category"`
		Mimetype       *string `json:"mimetype"`
		CreatedAt      int64   `json:"createdAt"`
		ModifiedAt     int64   `json:"modifiedAt"`
	}{d.ID, d.Filename, d.DisplayName, d.OrganizationID, nullable(d.AssetID), nullable(d.Category), nullable(d.Mimetype), d.CreatedAt, d.ModifiedAt})
}

// SharedDocument is a grant as the pending list and share answers show it.
type SharedDocument struct {
	DocumentID      string  `json:"documentId"`
	DocumentName    string  `json:"documentName"`
	AssetID         *string `json:"assetId"`
	SenderUserID    string  `json:"senderUserId"`
	SenderUserName  *string `json:"senderUserName"`
	SenderUserEmail *string `json:"senderUserEmail"`
	Message         *string `json:"message"`
	CreatedAt       int64   `json:"createdAt"`
	RevokedAt       *int64  `json:"revokedAt"`
}

// RecipientView is a recipient as the API shows it.
type RecipientView struct {
	UserID          string           `json:"userId"`
	Email           string           `json:"email"`
	OrganizationID  string           `json:"organizationId"`
	Status          string           `json:"status"`
	MarketplaceRole *string          `json:"marketplaceRole"`
	DecidedBy       *string          `json:"decidedBy"`
	DecidedAt       *int64           `json:"decidedAt"`
	CreatedAt       int64            `json:"createdAt"`
	ModifiedAt      int64            `json:"modifiedAt"`
	Documents       []SharedDocument `json:"documents"`
}

// sortedGrants returns the grants oldest first.
func sortedGrants(r Recipient) []Grant {
	out := make([]Grant, 0, len(r.Grants))
	for _, g := range r.Grants {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(a.CreatedAt, b.CreatedAt), cmp.Compare(a.DocumentID, b.DocumentID))
	})
	return out
}

func viewRecipient(r Recipient) RecipientView {
	v := RecipientView{
		UserID: r.UserID, Email: r.Email, OrganizationID: r.OrganizationID, Status: r.Status,
		MarketplaceRole: nullable(r.MarketplaceRole), DecidedBy: nullable(r.DecidedBy), DecidedAt: nullableInt(r.DecidedAt),
		CreatedAt: r.CreatedAt, ModifiedAt: r.ModifiedAt, Documents: []SharedDocument{},
	}
	for _, g := range sortedGrants(r) {
		v.Documents = append(v.Documents, SharedDocument{
			DocumentID: g.DocumentID, DocumentName: g.DocumentName, AssetID: nullable(g.AssetID),
			SenderUserID: g.SenderUserID, SenderUserName: nullable(g.SenderUserName), SenderUserEmail: nullable(g.SenderUserEmail),
			Message: nullable(g.Message), CreatedAt: g.CreatedAt, RevokedAt: nullableInt(g.RevokedAt),
		})
	}
	return v
}

// PendingList is one page of GET /v1/shares/{organizationId}/pending-requests.
type PendingList struct {
	PendingRequests []RecipientView `json:"pendingRequests"`
	NextPageToken   string          `json:"nextPageToken"`
}

// State is the public answer of GET /v1/shares/state/{userId}: only the
// fields a recipient's invitation already told them.
type State struct {
	Documents []StateDocument `json:"documents"`
}

// StateDocument is one pending document of a State.
type StateDocument struct {
	DocumentID      string  `json:"documentId"`
	DocumentName    string  `json:"documentName"`
	SenderUserName  *string `json:"senderUserName"`
	SenderUserEmail *string `json:"senderUserEmail"`
	CreatedAt       int64   `json:"createdAt"`
}
