// Package store owns the gatehouse table: its key schema (keys.go, the
// one place key prefixes are spelled), named transactions with
// condition-failure decoding (tx.go), paging and the sentinel errors.
// Features own their items, repositories and API views.
package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/problem"
)

// Sentinel errors; compare with errors.Is.
// Each carries the problem a client sees, so handlers just return it.
var (
	ErrNotFound = problem.NewKind("store: not found", http.StatusNotFound, "not-found", "no such resource")
	// ErrConflict means a condition failed: someone else changed the item.
	ErrConflict = problem.NewKind("store: conflict", http.StatusConflict, "conflict", "the resource was changed concurrently; retry")
	// ErrInvalidPageToken means a page token was not issued for this query.
	ErrInvalidPageToken = problem.NewKind("store: invalid page token", http.StatusBadRequest, "invalid-page-token", "pageToken was not issued for this query")
)

// Index names, as in template.yaml.
const (
	GSI1 = "GSI1"
	GSI2 = "GSI2"
	GSI3 = "GSI3"
	GSI4 = "GSI4"
	GSI5 = "GSI5"
)

// Store reads and writes the gatehouse table.
type Store struct {
	db    *dynamo.DB
	table dynamo.Table
}

// New returns a Store over the named table.
func New(db *dynamo.DB, table string) *Store {
	return &Store{db: db, table: db.Table(table)}
}

// DB returns the underlying client, for packages that add their own items.
func (s *Store) DB() *dynamo.DB { return s.db }

// Table returns the table handle.
func (s *Store) Table() dynamo.Table { return s.table }

// Keys are the key attributes an item may carry.
type Keys struct {
	PK     string `dynamo:"PK,hash"`
	SK     string `dynamo:"SK,range"`
	GSI1PK string `dynamo:",omitempty"`
	GSI1SK string `dynamo:",omitempty"`
	GSI2PK string `dynamo:",omitempty"`
	GSI2SK string `dynamo:",omitempty"`
	GSI3PK string `dynamo:",omitempty"`
	GSI3SK string `dynamo:",omitempty"`
	GSI4PK string `dynamo:",omitempty"`
	GSI4SK string `dynamo:",omitempty"`
	GSI5PK string `dynamo:",omitempty"`
	GSI5SK string `dynamo:",omitempty"`
}

// EncodePageToken is the opaque form of a LastEvaluatedKey: its string
// key attributes as base64url JSON ("" for none).
func EncodePageToken(lek dynamo.PagingKey) (string, error) {
	if len(lek) == 0 {
		return "", nil
	}
	m := map[string]string{}
	for k, v := range lek {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("store: unexpected key attribute %s", k)
		}
		m[k] = s.Value
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodePageToken reverses EncodePageToken, accepting only a token issued
// for the partition pkAttr = pkValue, so a token cannot be replayed on
// another partition (another tenant's, say). "" decodes to nil.
func DecodePageToken(tok, pkAttr, pkValue string) (dynamo.PagingKey, error) {
	if tok == "" {
		return nil, nil
	}
	if len(tok) > 2048 {
		return nil, ErrInvalidPageToken
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, ErrInvalidPageToken
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil || len(m) > 6 {
		return nil, ErrInvalidPageToken
	}
	if m[pkAttr] != pkValue || m["PK"] == "" || m["SK"] == "" {
		return nil, ErrInvalidPageToken
	}
	lek := dynamo.PagingKey{}
	for k, v := range m {
		lek[k] = &types.AttributeValueMemberS{Value: v}
	}
	return lek, nil
}

// QueryPage runs q (a Query on the partition pkAttr = pk, already given its
// index, order and filters) for one page of at most pageSize items from
// pageToken, decoding them as T, and returns the next page's token ("" on
// the last page).
func QueryPage[T any](ctx context.Context, q *dynamo.Query, pkAttr, pk string, pageSize int, pageToken string) ([]T, string, error) {
	start, err := DecodePageToken(pageToken, pkAttr, pk)
	if err != nil {
		return nil, "", err
	}
	q = q.Limit(pageSize)
	if start != nil {
		q = q.StartFrom(start)
	}
	var items []T
	lek, err := q.AllWithLastEvaluatedKey(ctx, &items)
	if err != nil {
		return nil, "", err
	}
	var next string
	if len(items) == pageSize {
		if next, err = EncodePageToken(lek); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// Ping checks the table is reachable.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.table.Describe().Run(ctx)
	return err
}
