// Package mail delivers e-mail: through Amazon SES v2 in production, or as
// .eml files in a folder for local development. It also holds the messages
// of the document-shares flow.
package mail

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Sentinel errors; callers test them with errors.Is.
var (
	// ErrInvalid means the message cannot be sent as it is (bad address,
	// control characters in a header, no body). Retrying will not help.
	ErrInvalid = errors.New("mail: invalid message")
	// ErrRejected means the provider refused the message for good (for
	// example an unverified sender or a suppressed recipient).
	ErrRejected = errors.New("mail: rejected")
)

// maxSubject keeps the Subject header far below the 998-octet line limit
// of RFC 5322 even before folding.
const maxSubject = 900

// Message is one e-mail to one recipient. Text and HTML are alternative
// renderings of the same content; at least one is required. From, when
// empty, is the sender's default.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	From    string
}

// checked is a Message whose addresses have been parsed.
type checked struct {
	Message
	to, from *mail.Address
}

// check validates m. Header values are refused rather than cleaned: a CR or
// LF there is either a bug or a header-injection attempt.
func check(m Message) (checked, error) {
	to, err := parseAddress("To", m.To)
	if err != nil {
		return checked{}, err
	}
	from, err := parseAddress("From", m.From)
	if err != nil {
		return checked{}, err
	}
	if err := checkHeader("Subject", m.Subject); err != nil {
		return checked{}, err
	}
	if strings.TrimSpace(m.Subject) == "" {
		return checked{}, fmt.Errorf("%w: empty Subject", ErrInvalid)
	}
	if len(m.Subject) > maxSubject {
		return checked{}, fmt.Errorf("%w: Subject longer than %d bytes", ErrInvalid, maxSubject)
	}
	if m.Text == "" && m.HTML == "" {
		return checked{}, fmt.Errorf("%w: no body", ErrInvalid)
	}
	if !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML) {
		return checked{}, fmt.Errorf("%w: body is not UTF-8", ErrInvalid)
	}
	return checked{Message: m, to: to, from: from}, nil
}

func parseAddress(field, s string) (*mail.Address, error) {
	if err := checkHeader(field, s); err != nil {
		return nil, err
	}
	if s == "" {
		return nil, fmt.Errorf("%w: empty %s", ErrInvalid, field)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q: %v", ErrInvalid, field, s, err)
	}
	if !utf8.ValidString(a.Name) || strings.ContainsFunc(a.Address, isControl) {
		return nil, fmt.Errorf("%w: %s %q", ErrInvalid, field, s)
	}
	// Only addresses that survive being written and read again: net/mail
	// accepts some (a quoted blank local part) that it cannot write back.
	if back, err := mail.ParseAddress(addressString(a)); err != nil || back.Address != a.Address {
		return nil, fmt.Errorf("%w: %s %q cannot be written as a header", ErrInvalid, field, s)
	}
	return a, nil
}

// checkHeader refuses invalid UTF-8 and control characters (CR and LF
// above all) in a header value.
func checkHeader(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalid, field)
	}
	if strings.ContainsFunc(s, isControl) {
		return fmt.Errorf("%w: control character in %s", ErrInvalid, field)
	}
	return nil
}

// isControl reports C0 and C1 controls, DEL and the Unicode line and
// paragraph separators; tab is allowed.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t') || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// KindSend is the outbox kind of an e-mail; its payload is a Message as
// JSON (delivered by pkg/mail/delivery).
const KindSend = "mail.send"

// Checked is a Message that passed Check, with its addresses formatted
// for a header or an API field.
type Checked struct {
	Message
	ToHeader, FromHeader string
	// ToAddress is the bare recipient address, for logs and errors.
	ToAddress string
}

// Check validates m as every sender does before sending.
func Check(m Message) (Checked, error) {
	c, err := check(m)
	if err != nil {
		return Checked{}, err
	}
	return Checked{Message: c.Message, ToHeader: addressString(c.to), FromHeader: addressString(c.from), ToAddress: c.to.Address}, nil
}

// addressString formats a for a header or an API field: the bare address
// when there is no display name, else RFC 5322 name-addr with the name
// RFC 2047-encoded as needed.
func addressString(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.String()
}
