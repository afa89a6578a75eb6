package shares

import (
	"context"
	"errors"
	"fmt"
	"github.com/gatehouse/gatehouse/pkg/audit"
	"strings"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// Recipient statuses. A recipient without an account first registers
// (complete-profile), then waits for an admin's decision.
const (
	StatusRegistration = "WAITING_FOR_USER_REGISTRATION"
	StatusWaiting      = "WAITING_FOR_ADMIN_DECISION"
	StatusAccepted     = "ACCEPTED"
	StatusDeclined     = "DECLINED"
)

// Entity types of the id registry, as extension.entityType shows them.
const (
	EntityDocument  = "Document"
	EntityRecipient = "Recipient"
)

// errCondition means a conditional write found the item changed; the
// caller reads it again to tell why.
var errCondition = errors.New("shares: condition failed")

// errDocumentGone means the document being shared was deleted meanwhile.
var errDocumentGone = &Error{Code: CodeNotFound, Extension: map[string]any{}, Cause: errors.New("shares: document deleted meanwhile")}

// Document is a file an organization uploaded for one of its assets: its
// metadata here, its bytes in S3 under Key.
type Document struct {
	ID               string   `dynamo:"id"`
	OrganizationID   string   `dynamo:"organizationId"`
	Filename         string   `dynamo:"filename"`
	DisplayName      string   `dynamo:"displayName"`
	AssetID          string   `dynamo:"assetId,omitempty"`
	Category         string   `dynamo:"category,omitempty"` // the category code (categoryId)
	Languages        []string `dynamo:"languages,omitempty"`
	SupplierDocument bool     `dynamo:"supplierDocument,omitempty"`
	SupplierName     string   `dynamo:"supplierName,omitempty"`
	Mimetype         string   `dynamo:"mimetype,omitempty"`
	Key              string   `dynamo:"key,omitempty"`    // S3 object
	SHA256           string   `dynamo:"sha256,omitempty"` // of the content (hex)
	Size             int64    `dynamo:"size,omitempty"`
	// Shared is set by the first share, in its transaction: a shared
	// document cannot be deleted.
	Shared     bool   `dynamo:"shared,omitempty"`
	CreatedBy  string `dynamo:"createdBy,omitempty"`
	UpdatedBy  string `dynamo:"updatedBy,omitempty"`
	CreatedAt  int64  `dynamo:"createdAt"`
	ModifiedAt int64  `dynamo:"modifiedAt"`
}

// Grant is one document shared with a recipient. It gives access while
// the recipient is ACCEPTED and RevokedAt is zero.
type Grant struct {
	DocumentID      string `dynamo:"documentId"`
	DocumentName    string `dynamo:"documentName"`
	AssetID         string `dynamo:"assetId,omitempty"`
	SenderUserID    string `dynamo:"senderUserId"`
	SenderUserName  string `dynamo:"senderUserName,omitempty"`
	SenderUserEmail string `dynamo:"senderUserEmail,omitempty"`
	Message         string `dynamo:"message,omitempty"`
	CreatedAt       int64  `dynamo:"createdAt"`
	RevokedAt       int64  `dynamo:"revokedAt,omitempty"`
}

// Recipient is an outside person documents were shared with: a Keycloak
// user (UserID is its id) waiting for, or past, an admin decision.
type Recipient struct {
	UserID          string           `dynamo:"userId"`
	OrganizationID  string           `dynamo:"organizationId"`
	Email           string           `dynamo:"email"`
	Status          string           `dynamo:"status"`
	FirstName       string           `dynamo:"firstName,omitempty"` // from complete-profile
	LastName        string           `dynamo:"lastName,omitempty"`
	Language        string           `dynamo:"language,omitempty"`
	Grants          map[string]Grant `dynamo:"grants"`
	MarketplaceRole string           `dynamo:"marketplaceRole,omitempty"`
	DecidedBy       string           `dynamo:"decidedBy,omitempty"`
	DecidedAt       int64            `dynamo:"decidedAt,omitempty"`
	CreatedAt       int64            `dynamo:"createdAt"`
	ModifiedAt      int64            `dynamo:"modifiedAt"`
	// Version counts changes to Grants, so a decline revokes exactly the
	// grants it read.
	Version int64 `dynamo:"version"`
	// Decision is the claim of the accept or decline in flight (its
	// token), valid until DecisionUntil (epoch ms): Keycloak is called
	// only by the claim holder, so two decisions never both reach it.
	Decision      string `dynamo:"decision,omitempty"`
	DecisionUntil int64  `dynamo:"decisionUntil,omitempty"`
}

type documentItem struct {
	store.Keys
	Document
}

func newDocumentItem(d Document) documentItem {
	it := documentItem{Document: d}
	it.PK, it.SK = store.DocumentPK(d.OrganizationID, d.ID), store.DocumentSK
	if d.AssetID != "" {
		it.GSI1PK, it.GSI1SK = store.DocumentsByAssetPK(d.OrganizationID, d.AssetID), store.SortKey(d.CreatedAt, d.ID)
	}
	return it
}

// contentMarker names the document holding a file content.
type contentMarker struct {
	PK         string `dynamo:"PK,hash"`
	SK         string `dynamo:"SK,range"`
	DocumentID string `dynamo:"documentId"`
}

type recipientItem struct {
	store.Keys
	store.ExpiryKeys
	Recipient
}

// entity is an id registry item.
type entity struct {
	PK             string `dynamo:"PK,hash"`
	SK             string `dynamo:"SK,range"`
	Type           string `dynamo:"entityType"`
	OrganizationID string `dynamo:"organizationId"`
	CreatedAt      int64  `dynamo:"createdAt"`
}

func newRecipientItem(r Recipient) recipientItem {
	it := recipientItem{Recipient: r}
	it.PK, it.SK = store.RecipientPK(r.OrganizationID, r.UserID), store.RecipientSK
	it.GSI1PK, it.GSI1SK = store.RecipientsByStatusPK(r.OrganizationID, r.Status), store.SortKey(r.CreatedAt, r.UserID)
	if expires(r.Status) {
		it.EXPPK, it.EXPSK = expiryPK(r.Status, r.UserID), store.SortKey(r.CreatedAt, r.UserID)
	}
	return it
}

// Store keeps documents and recipients in the gatehouse table.
type Store struct {
	st    *store.Store
	db    *dynamo.DB
	table dynamo.Table
}

// NewStore returns a Store over st's table.
func NewStore(st *store.Store) *Store { return &Store{st: st, db: st.DB(), table: st.Table()} }

// errDuplicate means an organization's document already holds the content.
var errDuplicate = errors.New("shares: duplicate document content")

// PutDocument registers d, its id and its content marker.
// store.ErrConflict means the id is taken, errDuplicate the content.
func (s *Store) PutDocument(ctx context.Context, d Document) error {
	tx := s.st.Tx().
		Put(actDocument, s.table.Put(newDocumentItem(d)).If("attribute_not_exists(PK)")).
		Put(actEntity, s.table.Put(entity{PK: store.EntityPK(d.ID), SK: store.EntitySK, Type: EntityDocument, OrganizationID: d.OrganizationID, CreatedAt: d.CreatedAt}).If("attribute_not_exists(PK)"))
	if d.SHA256 != "" {
		tx.Put(actContent, s.table.Put(contentMarker{PK: store.DocumentContentPK(d.OrganizationID, d.SHA256), SK: store.MarkerSK, DocumentID: d.ID}).If("attribute_not_exists(PK)"))
	}
	err := tx.Run(ctx)
	switch {
	case store.ConditionFailed(err, actContent):
		return errDuplicate
	case store.ConditionFailed(err, actDocument) || store.ConditionFailed(err, actEntity):
		return store.ErrConflict
	case err != nil:
		return fmt.Errorf("shares: put document: %w", err)
	}
	return nil
}

// DocumentWithContent returns the id of org's document holding the
// content, or store.ErrNotFound.
func (s *Store) DocumentWithContent(ctx context.Context, org, sha256Hex string) (string, error) {
	var m contentMarker
	err := s.table.Get("PK", store.DocumentContentPK(org, sha256Hex)).Range("SK", dynamo.Equal, store.MarkerSK).Consistent(true).One(ctx, &m)
	if errors.Is(err, dynamo.ErrNotFound) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("shares: content marker: %w", err)
	}
	return m.DocumentID, nil
}

// UpdateDocument replaces cur (as read) with d; a new content moves the
// content marker. errCondition means cur changed meanwhile (or was
// deleted), errDuplicate that another document holds the new content.
func (s *Store) UpdateDocument(ctx context.Context, cur, d Document) error {
	tx := s.st.Tx().Put(actDocument, s.table.Put(newDocumentItem(d)).If("modifiedAt = ? AND attribute_exists(PK)", cur.ModifiedAt))
	if d.SHA256 != cur.SHA256 {
		tx.Put(actContent, s.table.Put(contentMarker{PK: store.DocumentContentPK(d.OrganizationID, d.SHA256), SK: store.MarkerSK, DocumentID: d.ID}).If("attribute_not_exists(PK)"))
		if cur.SHA256 != "" {
			tx.Delete(actOldContent, s.table.Delete("PK", store.DocumentContentPK(cur.OrganizationID, cur.SHA256)).Range("SK", store.MarkerSK))
		}
	}
	err := tx.Run(ctx)
	switch {
	case store.ConditionFailed(err, actContent):
		return errDuplicate
	case store.ConditionFailed(err, actDocument):
		return errCondition
	case err != nil:
		return fmt.Errorf("shares: update document: %w", err)
	}
	return nil
}

// DeleteDocument removes d (unless shared meanwhile), its id and its
// content marker. errCondition means it changed, was shared or is gone.
func (s *Store) DeleteDocument(ctx context.Context, d Document) error {
	tx := s.st.Tx().
		Delete(actDocument, s.table.Delete("PK", store.DocumentPK(d.OrganizationID, d.ID)).Range("SK", store.DocumentSK).If("attribute_exists(PK) AND attribute_not_exists($)", "shared")).
		Delete(actEntity, s.table.Delete("PK", store.EntityPK(d.ID)).Range("SK", store.EntitySK))
	if d.SHA256 != "" {
		tx.Delete(actContent, s.table.Delete("PK", store.DocumentContentPK(d.OrganizationID, d.SHA256)).Range("SK", store.MarkerSK))
	}
	err := tx.Run(ctx)
	if store.ConditionFailed(err, actDocument) {
		return errCondition
	}
	if err != nil {
		return fmt.Errorf("shares: delete document: %w", err)
	}
	return nil
}

// ListDocuments returns up to limit of org's documents of one asset,
// newest first: one Query.
func (s *Store) ListDocuments(ctx context.Context, org, assetID string, limit int) ([]Document, error) {
	var items []documentItem
	err := s.table.Get("GSI1PK", store.DocumentsByAssetPK(org, assetID)).Index(store.GSI1).Order(dynamo.Descending).Limit(limit).All(ctx, &items)
	if err != nil {
		return nil, fmt.Errorf("shares: list documents: %w", err)
	}
	out := make([]Document, 0, len(items))
	for _, it := range items {
		out = append(out, it.Document)
	}
	return out, nil
}

// markShared is the share transaction's action on the shared document:
// it must still exist, and cannot be deleted from now on.
func (s *Store) markShared(org, documentID string) store.TxAction {
	u := s.table.Update("PK", store.DocumentPK(org, documentID)).Range("SK", store.DocumentSK).Set("shared", true).If("attribute_exists(PK)")
	return func(tx *store.Tx) { tx.Update(actDocument, u) }
}

// GetDocument reads a document of org or returns store.ErrNotFound.
func (s *Store) GetDocument(ctx context.Context, org, id string) (Document, error) {
	var it documentItem
	err := s.table.Get("PK", store.DocumentPK(org, id)).Range("SK", dynamo.Equal, store.DocumentSK).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Document{}, store.ErrNotFound
	}
	if err != nil {
		return Document{}, fmt.Errorf("shares: get document: %w", err)
	}
	return it.Document, nil
}

// Lookup returns the entity type and organization an id names, or
// store.ErrNotFound.
func (s *Store) Lookup(ctx context.Context, id string) (entityType, org string, err error) {
	var e entity
	err = s.table.Get("PK", store.EntityPK(id)).Range("SK", dynamo.Equal, store.EntitySK).Consistent(true).One(ctx, &e)
	if errors.Is(err, dynamo.ErrNotFound) {
		return "", "", store.ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("shares: lookup id: %w", err)
	}
	return e.Type, e.OrganizationID, nil
}

// GetRecipient reads a recipient of org or returns store.ErrNotFound.
func (s *Store) GetRecipient(ctx context.Context, org, userID string) (Recipient, error) {
	var it recipientItem
	err := s.table.Get("PK", store.RecipientPK(org, userID)).Range("SK", dynamo.Equal, store.RecipientSK).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Recipient{}, store.ErrNotFound
	}
	if err != nil {
		return Recipient{}, fmt.Errorf("shares: get recipient: %w", err)
	}
	return it.Recipient, nil
}

// CreateRecipient writes a new recipient, its id registry item and extra
// actions (the invitation e-mail) in one transaction. store.ErrConflict
// means the recipient exists.
func (s *Store) CreateRecipient(ctx context.Context, r Recipient, extra ...store.TxAction) error {
	err := s.st.Tx().
		Put(actRecipient, s.table.Put(newRecipientItem(r)).If("attribute_not_exists(PK)")).
		Put(actEntity, s.table.Put(entity{PK: store.EntityPK(r.UserID), SK: store.EntitySK, Type: EntityRecipient, OrganizationID: r.OrganizationID, CreatedAt: r.CreatedAt}).If("attribute_not_exists(PK)")).
		Join(audit.Share(ctx, audit.ShareInvited, r.detail("", firstGrant(r), "", r.CreatedAt))).
		Join(extra...).
		Run(ctx)
	if store.ConditionFailed(err, actRecipient) || store.ConditionFailed(err, actEntity) {
		return store.ErrConflict
	}
	if store.ConditionFailed(err, actDocument) {
		return errDocumentGone
	}
	if err != nil {
		return fmt.Errorf("shares: create recipient: %w", err)
	}
	return nil
}

// AddGrant adds g to cur (still in cur.Status, without that document)
// with extra actions in one transaction; errCondition means cur changed.
func (s *Store) AddGrant(ctx context.Context, cur Recipient, g Grant, at int64, extra ...store.TxAction) error {
	tx := s.st.Tx()
	tx.Update(actRecipient, s.table.Update("PK", store.RecipientPK(cur.OrganizationID, cur.UserID)).Range("SK", store.RecipientSK).
		SetExpr("grants.$ = ?", g.DocumentID, g).
		Set("modifiedAt", at).
		Add("version", 1).
		If("$ = ? AND attribute_not_exists(grants.$)", "status", cur.Status, g.DocumentID))
	tx.Join(audit.Share(ctx, audit.ShareInvited, cur.detail(cur.Status, g.DocumentID, "", at)))
	return runCond(ctx, tx.Join(extra...), "add grant")
}

// Claim marks a recipient in one of the statuses (StatusWaiting when
// none are given) as being decided by token until the given time, unless
// another unexpired claim holds it, and returns the recipient as claimed.
// errCondition means it is in another status or is claimed.
func (s *Store) Claim(ctx context.Context, org, userID, token string, now, until int64, statuses ...string) (Recipient, error) {
	if len(statuses) == 0 {
		statuses = []string{StatusWaiting}
	}
	args := []any{"status"}
	for _, st := range statuses {
		args = append(args, st)
	}
	in := strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ")
	var it recipientItem
	err := s.table.Update("PK", store.RecipientPK(org, userID)).Range("SK", store.RecipientSK).
		Set("decision", token).
		Set("decisionUntil", until).
		If("$ IN ("+in+") AND (attribute_not_exists(decision) OR decisionUntil < ?)", append(args, now)...).
		Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return Recipient{}, errCondition
	}
	if err != nil {
		return Recipient{}, fmt.Errorf("shares: claim recipient: %w", err)
	}
	return it.Recipient, nil
}

// Release drops token's claim; a claim already gone or taken over is left alone.
func (s *Store) Release(ctx context.Context, org, userID, token string) error {
	err := s.table.Update("PK", store.RecipientPK(org, userID)).Range("SK", store.RecipientSK).
		Remove("decision", "decisionUntil").
		If("decision = ?", token).
		Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("shares: release claim: %w", err)
	}
	return nil
}

// Decision closes a claimed recipient.
type Decision struct {
	Status string // StatusAccepted or StatusDeclined
	Token  string // the claim
	Role   string // marketplace role, for StatusAccepted
	By     string
	At     int64
}

// Decide moves cur, claimed by d.Token in cur.Status, to d.Status together with
// extra actions (the e-mail). A decline revokes every grant of cur and
// requires cur.Version to be current, so a document shared meanwhile
// cannot stay granted. errCondition means the claim or the version moved.
func (s *Store) Decide(ctx context.Context, cur Recipient, d Decision, extra ...store.TxAction) error {
	u := s.table.Update("PK", store.RecipientPK(cur.OrganizationID, cur.UserID)).Range("SK", store.RecipientSK).
		Set("status", d.Status).
		Set("GSI1PK", store.RecipientsByStatusPK(cur.OrganizationID, d.Status)).
		Set("decidedBy", d.By).
		Set("decidedAt", d.At).
		Set("modifiedAt", d.At).
		Add("version", 1).
		Remove("decision", "decisionUntil", "EXPPK", "EXPSK") // decided: out of the expiry index
	switch d.Status {
	case StatusDeclined:
		for id, g := range cur.Grants {
			if g.RevokedAt == 0 {
				u.SetExpr("grants.$.revokedAt = ?", id, d.At)
			}
		}
		u.If("$ = ? AND decision = ? AND version = ?", "status", cur.Status, d.Token, cur.Version)
	case StatusAccepted:
		u.Set("marketplaceRole", d.Role)
		u.If("$ = ? AND decision = ?", "status", cur.Status, d.Token)
	default:
		return fmt.Errorf("shares: bad decision %q", d.Status)
	}
	next := cur
	next.Status = d.Status
	return runCond(ctx, s.st.Tx().Update(actRecipient, u).
		Join(audit.Share(ctx, decisionEvent(d), next.detail(cur.Status, "", d.By, d.At))).Join(extra...), "decide")
}

// Registered moves cur from StatusRegistration to StatusWaiting with the
// recipient's names and language, unless a decision holds it, together
// with extra actions (the admins' e-mails). errCondition means cur is no
// longer registering or is claimed.
func (s *Store) Registered(ctx context.Context, cur Recipient, now int64, extra ...store.TxAction) error {
	u := s.table.Update("PK", store.RecipientPK(cur.OrganizationID, cur.UserID)).Range("SK", store.RecipientSK).
		Set("status", StatusWaiting).
		Set("GSI1PK", store.RecipientsByStatusPK(cur.OrganizationID, StatusWaiting)).
		Set("EXPPK", expiryPK(StatusWaiting, cur.UserID)).
		Set("EXPSK", store.SortKey(cur.CreatedAt, cur.UserID)).
		Set("firstName", cur.FirstName).
		Set("lastName", cur.LastName).
		Set("language", cur.Language).
		Set("modifiedAt", now).
		Add("version", 1).
		If("$ = ? AND (attribute_not_exists(decision) OR decisionUntil < ?)", "status", StatusRegistration, now)
	// The recipient registers: an audit entry, no event.
	entry := audit.Record(ctx, audit.Change{Scope: store.OrgScope(cur.OrganizationID), Action: audit.ShareRegistered,
		TargetType: audit.TargetShareRecipient, TargetID: cur.UserID, StatusBefore: StatusRegistration, StatusAfter: StatusWaiting,
		Actor: cur.UserID, At: now})
	return runCond(ctx, s.st.Tx().Update(actRecipient, u).Join(entry).Join(extra...), "register")
}

// Names of the actions of shares transactions.
const (
	actDocument   = "document"
	actContent    = "content-marker"
	actOldContent = "old-content-marker"
	actRecipient  = "recipient"
	actEntity     = "id-registry"
)

// runCond runs tx; a failed condition on the recipient is errCondition.
func runCond(ctx context.Context, tx *store.Tx, op string) error {
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	if store.ConditionFailed(err, actRecipient) {
		return errCondition
	}
	if store.ConditionFailed(err, actDocument) {
		return errDocumentGone
	}
	return fmt.Errorf("shares: %s: %w", op, err)
}

// ListRecipients returns one page of org's recipients in status, newest
// first, and the next page's token ("" when none): one Query.
func (s *Store) ListRecipients(ctx context.Context, org, status string, pageSize int, pageToken string) ([]Recipient, string, error) {
	pk := store.RecipientsByStatusPK(org, status)
	q := s.table.Get("GSI1PK", pk).Index(store.GSI1).Order(dynamo.Descending)
	items, next, err := store.QueryPage[recipientItem](ctx, q, "GSI1PK", pk, pageSize, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("shares: list recipients: %w", err)
	}
	out := make([]Recipient, 0, len(items))
	for _, it := range items {
		out = append(out, it.Recipient)
	}
	return out, next, nil
}

// detail is r's share event detail (r in its new status).
func (r Recipient) detail(before, documentID, by string, at int64) audit.ShareDetail {
	return audit.ShareDetail{OrganizationID: r.OrganizationID, RecipientID: r.UserID, RecipientEmail: r.Email, Status: r.Status,
		PreviousStatus: before, DocumentID: documentID, By: by, At: at}
}

// firstGrant is the document of a new recipient's only grant.
func firstGrant(r Recipient) string {
	for id := range r.Grants {
		return id
	}
	return ""
}

// decisionEvent is the event of a decision; a decline by the expiry
// sweep is an expiry.
func decisionEvent(d Decision) string {
	switch {
	case d.Status == StatusAccepted:
		return audit.ShareAccepted
	case d.By == audit.ActorExpiry:
		return audit.ShareExpired
	}
	return audit.ShareDeclined
}
