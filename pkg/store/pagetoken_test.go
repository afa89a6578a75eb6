package store_test

import (
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// A page token decodes only for the partition it was issued for, and an
// issued one decodes to the key it came from.
func FuzzPageToken(f *testing.F) {
	f.Add("O#org#RS#WAITING_FOR_ADMIN_DECISION", "0001795297827238#u", "eyJ9")
	f.Add("x", "y", "")
	f.Fuzz(func(t *testing.T, pk, sk, junk string) {
		_, _ = store.DecodePageToken(junk, "GSI1PK", pk) // must not panic
		lek := dynamo.PagingKey{
			"PK": &types.AttributeValueMemberS{Value: "O#o#R#" + sk}, "SK": &types.AttributeValueMemberS{Value: "R"},
			"GSI1PK": &types.AttributeValueMemberS{Value: pk}, "GSI1SK": &types.AttributeValueMemberS{Value: sk},
		}
		tok, err := store.EncodePageToken(lek)
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.DecodePageToken(tok, "GSI1PK", pk)
		if pk == "" || sk == "" || len(tok) > 2048 || !utf8.ValidString(pk) || !utf8.ValidString(sk) {
			return // keys are valid UTF-8 (DynamoDB strings), JSON would replace the rest
		}
		if err != nil || len(got) != 4 || got["GSI1SK"].(*types.AttributeValueMemberS).Value != sk {
			t.Fatalf("round trip of %q/%q: %v %v", pk, sk, got, err)
		}
		if _, err := store.DecodePageToken(tok, "GSI1PK", pk+"x"); err == nil {
			t.Fatalf("token of %q accepted for another partition", pk)
		}
	})
}
