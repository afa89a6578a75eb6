package shares

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// Keys of the shares items (the table in pkg/store's package doc lists
// them too). Every partition but the id registry starts with the
// organization taken from the verified token.
//
//	document     O#{org}#D#{id}       D    -
//	recipient    O#{org}#R#{userId}   R    GSI1 O#{org}#RS#{status} / {createdAt}#{userId}
//	id registry  ID#{id}              ID   -   entity type and organization of a share-API id
func orgKey(org, kind, id string) string { return "O#" + org + "#" + kind + "#" + id }

func documentPK(org, id string) string       { return orgKey(org, "D", id) }
func recipientPK(org, userID string) string  { return orgKey(org, "R", userID) }
func recipientsPK(org, status string) string { return orgKey(org, "RS", status) }
func entityPK(id string) string              { return "ID#" + id }

const (
	documentSK  = "D"
	recipientSK = "R"
	entitySK    = "ID"
)

// Recipient statuses.
const (
	StatusWaiting  = "WAITING_FOR_ADMIN_DECISION"
	StatusAccepted = "ACCEPTED"
	StatusDeclined = "DECLINED"
)

// Entity types of the id registry, as extension.entityType shows them.
const (
	EntityDocument  = "Document"
	EntityRecipient = "Recipient"
)

// errCondition means a conditional write found the item changed; the
// caller reads it again to tell why.
var errCondition = errors.New("shares: condition failed")

// Document is the metadata of a file an organization owns.
type Document struct {
	ID             string `dynamo:"id"`
	OrganizationID string `dynamo:"organizationId"`
	Filename       string `dynamo:"filename"`
	DisplayName    string `dynamo:"displayName"`
	AssetID        string `dynamo:"assetId,omitempty"`
	Category       string `dynamo:"category,omitempty"`
	Mimetype       string `dynamo:"mimetype,omitempty"`
	CreatedBy      string `dynamo:"createdBy,omitempty"`
	CreatedAt      int64  `dynamo:"createdAt"`
	ModifiedAt     int64  `dynamo:"modifiedAt"`
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

type recipientItem struct {
	store.Keys
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
	it.PK, it.SK = recipientPK(r.OrganizationID, r.UserID), recipientSK
	it.GSI1PK, it.GSI1SK = recipientsPK(r.OrganizationID, r.Status), store.SortKey(r.CreatedAt, r.UserID)
	return it
}

// Store keeps documents and recipients in the gatehouse table.
type Store struct {
	db    *dynamo.DB
	table dynamo.Table
}

// NewStore returns a Store over st's table.
func NewStore(st *store.Store) *Store { return &Store{db: st.DB(), table: st.Table()} }

// PutDocument registers d and its id. store.ErrConflict means the id is taken.
func (s *Store) PutDocument(ctx context.Context, d Document) error {
	it := documentItem{Document: d}
	it.PK, it.SK = documentPK(d.OrganizationID, d.ID), documentSK
	tx := s.db.WriteTx()
	tx.Put(s.table.Put(it).If("attribute_not_exists(PK)"))
	tx.Put(s.table.Put(entity{PK: entityPK(d.ID), SK: entitySK, Type: EntityDocument, OrganizationID: d.OrganizationID, CreatedAt: d.CreatedAt}).If("attribute_not_exists(PK)"))
	err := tx.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("shares: put document: %w", err)
	}
	return nil
}

// GetDocument reads a document of org or returns store.ErrNotFound.
func (s *Store) GetDocument(ctx context.Context, org, id string) (Document, error) {
	var it documentItem
	err := s.table.Get("PK", documentPK(org, id)).Range("SK", dynamo.Equal, documentSK).Consistent(true).One(ctx, &it)
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
	err = s.table.Get("PK", entityPK(id)).Range("SK", dynamo.Equal, entitySK).Consistent(true).One(ctx, &e)
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
	err := s.table.Get("PK", recipientPK(org, userID)).Range("SK", dynamo.Equal, recipientSK).Consistent(true).One(ctx, &it)
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
	tx := s.db.WriteTx()
	tx.Put(s.table.Put(newRecipientItem(r)).If("attribute_not_exists(PK)"))
	tx.Put(s.table.Put(entity{PK: entityPK(r.UserID), SK: entitySK, Type: EntityRecipient, OrganizationID: r.OrganizationID, CreatedAt: r.CreatedAt}).If("attribute_not_exists(PK)"))
	for _, x := range extra {
		x(tx, s.table)
	}
	err := tx.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("shares: create recipient: %w", err)
	}
	return nil
}

// AddGrant adds g to cur (still in cur.Status, without that document)
// with extra actions in one transaction; errCondition means cur changed.
func (s *Store) AddGrant(ctx context.Context, cur Recipient, g Grant, at int64, extra ...store.TxAction) error {
	tx := s.db.WriteTx()
	tx.Update(s.table.Update("PK", recipientPK(cur.OrganizationID, cur.UserID)).Range("SK", recipientSK).
		SetExpr("grants.$ = ?", g.DocumentID, g).
		Set("modifiedAt", at).
		Add("version", 1).
		If("$ = ? AND attribute_not_exists(grants.$)", "status", cur.Status, g.DocumentID))
	for _, x := range extra {
		x(tx, s.table)
	}
	return runCond(ctx, tx, "add grant")
}

// Claim marks a WAITING recipient as being decided by token until the
// given time, unless another unexpired claim holds it, and returns the
// recipient as claimed. errCondition means it is not WAITING or is claimed.
func (s *Store) Claim(ctx context.Context, org, userID, token string, now, until int64) (Recipient, error) {
	var it recipientItem
	err := s.table.Update("PK", recipientPK(org, userID)).Range("SK", recipientSK).
		Set("decision", token).
		Set("decisionUntil", until).
		If("$ = ? AND (attribute_not_exists(decision) OR decisionUntil < ?)", "status", StatusWaiting, now).
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
	err := s.table.Update("PK", recipientPK(org, userID)).Range("SK", recipientSK).
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

// Decide moves cur, claimed by d.Token, out of WAITING together with
// extra actions (the e-mail). A decline revokes every grant of cur and
// requires cur.Version to be current, so a document shared meanwhile
// cannot stay granted. errCondition means the claim or the version moved.
func (s *Store) Decide(ctx context.Context, cur Recipient, d Decision, extra ...store.TxAction) error {
	u := s.table.Update("PK", recipientPK(cur.OrganizationID, cur.UserID)).Range("SK", recipientSK).
		Set("status", d.Status).
		Set("GSI1PK", recipientsPK(cur.OrganizationID, d.Status)).
		Set("decidedBy", d.By).
		Set("decidedAt", d.At).
		Set("modifiedAt", d.At).
		Add("version", 1).
		Remove("decision", "decisionUntil")
	switch d.Status {
	case StatusDeclined:
		for id, g := range cur.Grants {
			if g.RevokedAt == 0 {
				u.SetExpr("grants.$.revokedAt = ?", id, d.At)
			}
		}
		u.If("$ = ? AND decision = ? AND version = ?", "status", StatusWaiting, d.Token, cur.Version)
	case StatusAccepted:
		u.Set("marketplaceRole", d.Role)
		u.If("$ = ? AND decision = ?", "status", StatusWaiting, d.Token)
	default:
		return fmt.Errorf("shares: bad decision %q", d.Status)
	}
	tx := s.db.WriteTx()
	tx.Update(u)
	for _, x := range extra {
		x(tx, s.table)
	}
	return runCond(ctx, tx, "decide")
}

// runCond runs tx; a failed condition on its first action is errCondition.
func runCond(ctx context.Context, tx *dynamo.WriteTx, op string) error {
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 {
		if c := tce.CancellationReasons[0].Code; c != nil && *c == "ConditionalCheckFailed" {
			return errCondition
		}
	}
	return fmt.Errorf("shares: %s: %w", op, err)
}

// ListRecipients returns one page of org's recipients in status, newest
// first, and the next page's token ("" when none): one Query.
func (s *Store) ListRecipients(ctx context.Context, org, status string, pageSize int, pageToken string) ([]Recipient, string, error) {
	pk := recipientsPK(org, status)
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
