// Package store keeps every gatehouse entity in one DynamoDB table.
//
// Key schema (the one place it is written down; template.yaml defines the
// attributes). Every key starts with the tenant ("T#{tenant}") or the
// organization ("O#{org}") taken from the verified token, never the body.
//
//	entity               PK                                   SK            GSIs
//	access request       T#t#AR#{id}                          AR            GSI1 agent+status, GSI2 agent, GSI3 status, GSI4 tenant, GSI5 participant
//	request alias        T#t#AR#{id}                          ALIAS#{pid}   GSI5 (matched participant when approval chose another)
//	pending marker       T#t#PENDING#{connector}#{address}    M             -   (one PENDING request per connector+sender)
//	block marker         T#t#BLOCK#{connector}#{address}      M             -
//	participant          T#t#P#{id}                           P             GSI4 tenant participants
//	binding              T#t#P#{id}                           B#{agent}     GSI1 participants of an agent
//	channel index        T#t#CH#{connector}#{address}         M             -   (one participant per channel)
//	oauth connection     T#t#OAUTH#{connector}                {provider}    -   (write-only provider OAuth token, e.g. Slack users:read for avatars; pkg/participants)
//	agent member         T#t#AG#{agent}#M                     S#{subject}   -
//	outbox message       OUTBOX#{id}                          O             -   (stream-dispatched side effects)
//	connector            T#t#CFG#{id}                         CFG           GSI1 T#t#AG#{agent}#CFG (agent's connectors), GSI4 T#t#CFG (tenant's)   (pkg/connectors)
//	webhook key          HOOK#{key}                           M             -   (global: inbound URL key → tenant + connector; pkg/connectors)
//	inbound dedupe       T#t#DEDUPE#{connector}#{sha256(eid)} M             -   (provider event id seen; TTL expiresAt; pkg/inbound)
//	document (shares)    O#o#D#{id}                           D             -   (pkg/shares)
//	share recipient      O#o#R#{userId}                       R             GSI1 O#o#RS#{status} (pending list), grants in the item
//	share id registry    ID#{id}                              ID            -   (entity type + organization of a share-API id: 404/403/422)
//
// GSI sort keys are "{createdAt:013d}#{id}" so Query with ScanIndexForward
// false lists newest first. Times are epoch milliseconds.
package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
)

// Sentinel errors; compare with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a condition failed: someone else changed the item.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalidPageToken means a page token was not issued for this query.
	ErrInvalidPageToken = errors.New("store: invalid page token")
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

func tenantKey(tenant string, parts ...string) string {
	return "T#" + tenant + "#" + strings.Join(parts, "#")
}

// SortKey orders items newest first under ScanIndexForward=false.
func SortKey(createdAt int64, id string) string {
	return fmt.Sprintf("%013d#%s", createdAt, id)
}

// AgentMemberPK is the partition of an agent's members.
func AgentMemberPK(tenant, agent string) string { return tenantKey(tenant, "AG", agent, "M") }

// ParticipantPK is the partition of a participant and its bindings.
func ParticipantPK(tenant, id string) string { return tenantKey(tenant, "P", id) }

// ChannelPK is the unique index item of a channel.
func ChannelPK(tenant, connector, address string) string {
	return tenantKey(tenant, "CH", connector, address)
}

// PendingPK is the one-PENDING-request marker of a sender on a connector.
func PendingPK(tenant, connector, address string) string {
	return tenantKey(tenant, "PENDING", connector, address)
}

// BlockPK marks a sender blocked on a connector.
func BlockPK(tenant, connector, address string) string {
	return tenantKey(tenant, "BLOCK", connector, address)
}

// MarkerSK is the sort key of single-item partitions (markers, indexes).
const MarkerSK = "M"

// condFailedAt reports which actions of a cancelled transaction failed
// their condition.
func condFailedAt(err error) []int {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	var out []int
	for i, r := range tce.CancellationReasons {
		if r.Code != nil && *r.Code == "ConditionalCheckFailed" {
			out = append(out, i)
		}
	}
	return out
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
