package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultDirFrom is the From address of a Dir unless its From field is changed.
const DefaultDirFrom = "gatehouse <no-reply@gatehouse.localhost>"

// Dir writes each message as an RFC 5322 .eml file into a folder, for
// local development: open the files with any mail client.
type Dir struct {
	// From is used when a Message has no From.
	From string

	path string
	now  func() time.Time // replaced in tests
}

// NewDir returns a sender writing into path, creating the folder if needed.
func NewDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return &Dir{From: DefaultDirFrom, path: abs, now: time.Now}, nil
}

// Path is the absolute path of the folder, for printing at start-up.
func (d *Dir) Path() string { return d.path }

// Send writes m to a new file named after the current time (so names sort
// by time) plus a random suffix (so they are unique). The file appears
// whole or not at all: it is written under a temporary name and renamed.
func (d *Dir) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if m.From == "" {
		m.From = d.From
	}
	c, err := check(m)
	if err != nil {
		return err
	}
	now := d.now().UTC()
	suffix := randomHex(8)
	var buf bytes.Buffer
	if err := render(&buf, c, now, "<"+now.Format("20060102150405")+"."+suffix+"@"+domainOf(c.from.Address)+">"); err != nil {
		return fmt.Errorf("mail: render: %w", err)
	}
	name := filepath.Join(d.path, now.Format("20060102T150405.000000000Z")+"-"+suffix+".eml")
	if err := writeFileAtomic(name, buf.Bytes()); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}

func writeFileAtomic(name string, data []byte) error {
	// The leading dot keeps half-written files out of "*.eml" globs.
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*.eml")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// render writes c as an RFC 5322 message with CRLF line ends: text/plain or
// text/html alone, multipart/alternative when it has both.
func render(w io.Writer, c checked, date time.Time, messageID string) error {
	h := &headerWriter{w: w}
	h.field("Date", date.Format(time.RFC1123Z))
	h.field("From", addressString(c.from))
	h.field("To", addressString(c.to))
	h.field("Subject", encodeSubject(c.Subject))
	h.field("Message-ID", messageID)
	h.field("MIME-Version", "1.0")
	if h.err != nil {
		return h.err
	}
	switch {
	case c.HTML == "":
		return singlePart(w, "text/plain; charset=utf-8", c.Text)
	case c.Text == "":
		return singlePart(w, "text/html; charset=utf-8", c.HTML)
	}
	mw := multipart.NewWriter(w)
	h.field("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	h.raw("\r\n")
	if h.err != nil {
		return h.err
	}
	// Plain text first: RFC 2046 puts the preferred (richest) part last.
	for _, p := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", c.Text},
		{"text/html; charset=utf-8", c.HTML},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return err
		}
		if err := writeQP(pw, p.body); err != nil {
			return err
		}
	}
	return mw.Close()
}

func singlePart(w io.Writer, ctype, body string) error {
	h := &headerWriter{w: w}
	h.field("Content-Type", ctype)
	h.field("Content-Transfer-Encoding", "quoted-printable")
	h.raw("\r\n")
	if h.err != nil {
		return h.err
	}
	return writeQP(w, body)
}

func writeQP(w io.Writer, body string) error {
	qw := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qw, body); err != nil {
		return err
	}
	return qw.Close()
}

// headerWriter writes header fields, keeping the first error.
type headerWriter struct {
	w   io.Writer
	err error
}

// encodeSubject encodes non-ASCII subjects as RFC 2047 words. A subject
// that itself looks like an encoded word ("=?...?=") is encoded in full, so
// a reader shows it literally instead of decoding it.
func encodeSubject(s string) string {
	if !strings.Contains(s, "=?") {
		return mime.QEncoding.Encode("utf-8", s)
	}
	var words []string
	for len(s) > 0 {
		n := min(len(s), 45) // 45 bytes -> 60 base64 chars: a word stays within 75
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

func (h *headerWriter) field(name, value string) {
	h.raw(fold(name+": "+value) + "\r\n")
}

func (h *headerWriter) raw(s string) {
	if h.err == nil {
		_, h.err = io.WriteString(h.w, s)
	}
}

// fold breaks a header line before spaces so that lines stay within 78
// characters where possible (RFC 5322 section 2.2.3). Encoded words are at
// most 75 characters and separated by spaces, so they always fit.
func fold(line string) string {
	const width = 78
	if len(line) <= width {
		return line
	}
	var b strings.Builder
	n := 0
	for i, word := range strings.Split(line, " ") {
		if i > 0 {
			if n+1+len(word) > width && n > 0 && word != "" {
				b.WriteString("\r\n")
				n = 0
			}
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "localhost"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// WriteRaw writes an already rendered RFC 5322 message as a new .eml file
// (a stand-in for SES's Raw content uses it); nothing is checked.
func (d *Dir) WriteRaw(ctx context.Context, raw []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	name := filepath.Join(d.path, d.now().UTC().Format("20060102T150405.000000000Z")+"-"+randomHex(8)+".eml")
	if err := writeFileAtomic(name, raw); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}
