package shares

import (
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Input limits.
const (
	maxEmail       = 254
	maxMessage     = 2000
	maxFilename    = 255
	maxDisplayName = 255
	maxCategory    = 64
	maxMimetype    = 127
	maxAssetID     = 128
	maxOrg         = 128
	maxPersonName  = 100
	maxSupplier    = 255
)

// parseUUID validates a UUID path or body value and returns its
// canonical (lower-case) form.
func parseUUID(field, v string) (string, error) {
	u, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		return "", badField(field)
	}
	return u.String(), nil
}

// validOrg reports whether an organization id can be a key part: 1-128
// characters of A-Z, a-z, 0-9, '.', '_' or '-'.
func validOrg(s string) bool { return validToken(s, maxOrg, "._-") }

// validAssetID is an id from the asset system: 1-128 characters of A-Z,
// a-z, 0-9, '.', '_', ':' or '-'.
func validAssetID(s string) bool { return validToken(s, maxAssetID, "._:-") }

func validToken(s string, max int, extra string) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(extra, c)) {
			return false
		}
	}
	return true
}

// parseEmail accepts a bare address (no display name, no comments) and
// returns it lower-cased, as Keycloak stores it.
func parseEmail(v string) (string, bool) {
	if len(v) == 0 || len(v) > maxEmail || strings.ContainsFunc(v, isControl) {
		return "", false
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return "", false
	}
	local, domain, ok := strings.Cut(a.Address, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, "[") {
		return "", false
	}
	return strings.ToLower(a.Address), true
}

// validText reports whether s is valid UTF-8 without control characters
// (tab, and newlines when multiline, allowed) and at most max runes.
func validText(s string, max int, multiline bool) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		if multiline && (r == '\n' || r == '\r') {
			return false
		}
		return isControl(r)
	})
}

// validName is a required one-line name: validText and not blank.
func validName(s string, max int) bool {
	return strings.TrimSpace(s) != "" && validText(s, max, false)
}

// validFilename is a name without path separators.
func validFilename(s string) bool {
	return validName(s, maxFilename) && !strings.ContainsAny(s, `/\`) && s != "." && s != ".."
}

// validMimetype is a media type such as application/pdf.
func validMimetype(s string) bool {
	if len(s) > maxMimetype || !validText(s, maxMimetype, false) {
		return false
	}
	mt, _, err := mime.ParseMediaType(s)
	return err == nil && strings.Count(mt, "/") == 1 && !strings.HasPrefix(mt, "/") && !strings.HasSuffix(mt, "/")
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t') || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// validLanguage is a BCP 47 language tag of the simple kind Keycloak
// locales use: "de", "en-GB", "pt-BR".
func validLanguage(s string) bool {
	lang, region, hasRegion := strings.Cut(s, "-")
	if len(lang) < 2 || len(lang) > 3 || !isLetters(lang) {
		return false
	}
	return !hasRegion || len(region) >= 2 && len(region) <= 8 && validToken(region, 8, "")
}

// validLanguageCode is an ISO 639-1 code, lower case: "de".
func validLanguageCode(s string) bool {
	return len(s) == 2 && isLetters(s) && strings.ToLower(s) == s
}

func isLetters(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
