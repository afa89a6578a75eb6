package shares

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
)

// The JSON shapes of the API, as SweetConnect documents them: every
// success body is {"data": …}, times are ISO-8601 UTC with milliseconds,
// and optional values are null when unset, so every documented field is
// always present.

// writeData writes {"data": v} with status.
func writeData(w http.ResponseWriter, status int, v any) error {
	return httpapi.WriteJSON(w, status, struct {
		Data any `json:"data"`
	}{v})
}

// isoTime renders epoch milliseconds as 2024-01-15T10:30:00.000Z.
func isoTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CategoryView is a document's category. Without a category catalogue the
// name repeats the code.
type CategoryView struct {
	ID           string `json:"id"`
	LanguageCode string `json:"languageCode"`
	Name         string `json:"name"`
}

// DocumentView is the documented Document object.
type DocumentView struct {
	ID                  string        `json:"id"`
	Filename            string        `json:"filename"`
	DisplayName         string        `json:"displayname"`
	OwnerID             string        `json:"ownerId"`
	OrganizationID      string        `json:"organizationId"`
	ManufacturerID      string        `json:"manufacturerId"`
	Mimetype            *string       `json:"mimetype"`
	Category            *CategoryView `json:"category"`
	Languages           []string      `json:"languages"`
	UpdatedAt           string        `json:"updatedAt"`
	UpdatedBy           *string       `json:"updatedBy"`
	CreatedBy           *string       `json:"createdBy"`
	CreatedAt           string        `json:"createdAt"`
	SupplierDocument    bool          `json:"supplierDocument"`
	SupplierName        *string       `json:"supplierName"`
	AIInjected          string        `json:"aiInjected"`
	AIInjectedUpdatedAt *string       `json:"aiInjectedUpdatedAt"`
}

// aiUninjected is the only AI state gatehouse knows: it feeds no AI.
const aiUninjected = "uninjected"

func viewDocument(d Document) DocumentView {
	v := DocumentView{
		ID: d.ID, Filename: d.Filename, DisplayName: d.DisplayName,
		// The organization owns and manufactures its documents, as the
		// docs' examples show (all three ids equal).
		OwnerID: d.OrganizationID, OrganizationID: d.OrganizationID, ManufacturerID: d.OrganizationID,
		Mimetype: nullable(d.Mimetype), Languages: append([]string{}, d.Languages...),
		UpdatedAt: isoTime(d.ModifiedAt), UpdatedBy: nullable(cmp.Or(d.UpdatedBy, d.CreatedBy)), CreatedBy: nullable(d.CreatedBy),
		CreatedAt: isoTime(d.CreatedAt), SupplierDocument: d.SupplierDocument, SupplierName: nullable(d.SupplierName),
		AIInjected: aiUninjected,
	}
	if d.Category != "" {
		v.Category = &CategoryView{ID: d.Category, LanguageCode: "en", Name: d.Category}
	}
	return v
}

// DuplicateView is the answer to an upload of content the organization
// already has: nothing is stored again.
type DuplicateView struct {
	WarningCode string `json:"warningCode"`
	Message     string `json:"message"`
	Extension   struct {
		Document DocumentView `json:"document"`
	} `json:"extension"`
}

var shareNS = uuid.MustParse("6c9e1f0a-4d2b-4b7e-8a55-3f1e2d7c9b01")

// shareID is the id of the share of document to recipient userID: derived,
// so a share needs no item of its own.
func shareID(org, userID, documentID string) string {
	return uuid.NewSHA1(shareNS, []byte(org+"/"+userID+"/"+documentID)).String()
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

// recipientName is "first last", "" before complete-profile.
func recipientName(r Recipient) string {
	return strings.TrimSpace(r.FirstName + " " + r.LastName)
}

// PendingRecipient is one recipient of the pending-requests list.
type PendingRecipient struct {
	RecipientID string         `json:"recipientId"`
	Shares      []PendingShare `json:"shares"`
}

// PendingShare is one document shared with a pending recipient.
type PendingShare struct {
	ShareID        string  `json:"shareId"`
	DocumentID     string  `json:"documentId"`
	DocumentName   string  `json:"documentName"`
	SenderEmail    *string `json:"senderEmail"`
	SenderName     *string `json:"senderName"`
	RecipientEmail string  `json:"recipientEmail"`
	RecipientName  *string `json:"recipientName"`
	CreatedAt      string  `json:"createdAt"`
}

func viewPending(r Recipient) PendingRecipient {
	v := PendingRecipient{RecipientID: r.UserID, Shares: []PendingShare{}}
	for _, g := range sortedGrants(r) {
		if g.RevokedAt != 0 {
			continue
		}
		v.Shares = append(v.Shares, PendingShare{
			ShareID: shareID(r.OrganizationID, r.UserID, g.DocumentID), DocumentID: g.DocumentID, DocumentName: g.DocumentName,
			SenderEmail: nullable(g.SenderUserEmail), SenderName: nullable(g.SenderUserName),
			RecipientEmail: r.Email, RecipientName: nullable(recipientName(r)), CreatedAt: isoTime(g.CreatedAt),
		})
	}
	return v
}

// StateDocument is one pending document of GET /v1/shares/state/{userId}.
type StateDocument struct {
	DocumentID      string  `json:"documentId"`
	DocumentName    string  `json:"documentName"`
	SenderUserName  *string `json:"senderUserName"`
	SenderUserEmail *string `json:"senderUserEmail"`
	CreatedAt       string  `json:"createdAt"`
}

// ShareState is GET /v1/shares/state/{userId}/{shareId}: where a
// recipient following a link stands.
type ShareState struct {
	Status     string  `json:"status"`
	AssetID    *string `json:"assetId"`
	DocumentID string  `json:"documentId"`
}

// ProfileView answers complete-profile.
type ProfileView struct {
	ID      string `json:"id"`
	Email   string `json:"email"`
	Enabled bool   `json:"enabled"`
}

// RecipientCheck answers check-recipient. UserID and Status are set only
// for an account of the caller's organization.
type RecipientCheck struct {
	Exists           bool    `json:"exists"`
	SameOrganization *bool   `json:"sameOrganization"`
	UserID           *string `json:"userId"`
	Status           *string `json:"status"`
}
