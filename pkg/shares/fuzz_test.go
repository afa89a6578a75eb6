package shares

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
)

// parseEmail accepts only bare addresses it can hand to Keycloak and to
// a mail header as they are.
func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"dana@example.com", "Dana <dana@example.com>", "a@b", "x@example.com\r\nBcc: y@example.com",
		`"quoted local"@example.com`, "a+tag@sub.example.org", "@example.com", "a@[127.0.0.1]", "ä@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseEmail(s)
		if !ok {
			return
		}
		if got != strings.ToLower(s) || strings.ContainsFunc(got, isControl) || strings.ContainsAny(got, "<> ,;") && !strings.HasPrefix(got, `"`) {
			t.Fatalf("parseEmail(%q) = %q", s, got)
		}
		if again, ok := parseEmail(got); !ok || again != got {
			t.Fatalf("parseEmail(%q) = %q, %v: not stable", got, again, ok)
		}
	})
}

// A page token decodes only for the partition it was issued for, and an
// issued one decodes to the key it came from.
func FuzzPageToken(f *testing.F) {
	f.Add("O#org#RS#WAITING_FOR_ADMIN_DECISION", "0001795297827238#u", "eyJ9")
	f.Add("x", "y", "")
	f.Fuzz(func(t *testing.T, pk, sk, junk string) {
		_, _ = decodePageToken(junk, pk) // must not panic
		lek := dynamo.PagingKey{
			"PK": &types.AttributeValueMemberS{Value: "O#o#R#" + sk}, "SK": &types.AttributeValueMemberS{Value: recipientSK},
			"GSI1PK": &types.AttributeValueMemberS{Value: pk}, "GSI1SK": &types.AttributeValueMemberS{Value: sk},
		}
		tok, err := encodePageToken(lek)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodePageToken(tok, pk)
		if pk == "" || sk == "" || len(tok) > 2048 || !utf8.ValidString(pk) || !utf8.ValidString(sk) {
			return // keys are valid UTF-8 (DynamoDB strings), JSON would replace the rest
		}
		if err != nil || len(got) != 4 || got["GSI1SK"].(*types.AttributeValueMemberS).Value != sk {
			t.Fatalf("round trip of %q/%q: %v %v", pk, sk, got, err)
		}
		if _, err := decodePageToken(tok, pk+"x"); err == nil {
			t.Fatalf("token of %q accepted for another partition", pk)
		}
	})
}
