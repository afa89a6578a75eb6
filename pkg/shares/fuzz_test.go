package shares

import (
	"strings"
	"testing"
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
