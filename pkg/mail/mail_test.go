package mail_test

import (
	"context"
	"errors"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/pkg/mail"
)

// sender is what the outbox dispatcher will hold.
type sender interface {
	Send(ctx context.Context, m mail.Message) error
}

func TestSendRejectsInvalid(t *testing.T) {
	ok := mail.Message{To: "ann@example.com", Subject: "Hello", Text: "hi"}
	tests := []struct {
		name string
		edit func(m *mail.Message)
	}{
		{"CRLF in subject", func(m *mail.Message) { m.Subject = "Hi\r\nBcc: eve@example.com" }},
		{"LF in subject", func(m *mail.Message) { m.Subject = "Hi\nBcc: eve@example.com" }},
		{"CR in subject", func(m *mail.Message) { m.Subject = "Hi\rthere" }},
		{"NUL in subject", func(m *mail.Message) { m.Subject = "Hi\x00" }},
		{"line separator in subject", func(m *mail.Message) { m.Subject = "Hi\u2028there" }},
		{"CRLF in to", func(m *mail.Message) { m.To = "ann@example.com\r\nBcc: eve@example.com" }},
		{"LF in to display name", func(m *mail.Message) { m.To = "\"Ann\nBcc: eve@example.com\" <ann@example.com>" }},
		{"CRLF in from", func(m *mail.Message) { m.From = "x@example.org\r\nReply-To: eve@example.com" }},
		{"two recipients", func(m *mail.Message) { m.To = "ann@example.com, eve@example.com" }},
		{"no recipient", func(m *mail.Message) { m.To = "" }},
		{"not an address", func(m *mail.Message) { m.To = "ann" }},
		{"empty subject", func(m *mail.Message) { m.Subject = " " }},
		{"huge subject", func(m *mail.Message) { m.Subject = strings.Repeat("a", 901) }},
		{"no body", func(m *mail.Message) { m.Text, m.HTML = "", "" }},
		{"invalid UTF-8 subject", func(m *mail.Message) { m.Subject = "\xff" }},
		{"invalid UTF-8 body", func(m *mail.Message) { m.Text = "\xff" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.edit(&m)

			d, err := mail.NewDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Send(t.Context(), m); !errors.Is(err, mail.ErrInvalid) {
				t.Errorf("Dir.Send = %v, want ErrInvalid", err)
			}
			if _, err := mail.Check(m); !errors.Is(err, mail.ErrInvalid) {
				t.Errorf("Check = %v, want ErrInvalid (pkg/mail/ses sends only what Check passes)", err)
			}
			if n := len(emlFiles(t, d.Path())); n != 0 {
				t.Errorf("Dir wrote %d files, want 0", n)
			}
		})
	}
}

// User text in the templates must not add header fields or markup.
func TestTemplatesResistInjection(t *testing.T) {
	const (
		evilName = "Eve <script>alert(1)</script>\r\nBcc: victim@example.com"
		evilDoc  = "report.pdf\n<img src=x onerror=alert(1)>\r\nX-Evil: 1"
		evilNote = "</blockquote><script>alert(2)</script>\r\n\r\nBcc: victim@example.com"
		evilURL  = "javascript:alert(3)"
		evilOrg  = "ACME\r\nSubject: hijacked <b>bold</b>"
	)
	msgs := map[string]mail.Message{
		"Invitation": mail.Invitation("ann@example.com", evilName, evilDoc, evilNote, evilURL),
		"Welcome":    mail.Welcome("ann@example.com", "<b>buyer</b>\r\nBcc: victim@example.com"),
		"Decline":    mail.Decline("ann@example.com", evilOrg),
	}
	for name, m := range msgs {
		t.Run(name, func(t *testing.T) {
			if strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("Subject %q has a line break", m.Subject)
			}
			for _, bad := range []string{"<script", "<img", "<b>", "javascript:"} {
				if strings.Contains(strings.ToLower(m.HTML), bad) {
					t.Errorf("HTML contains %q:\n%s", bad, m.HTML)
				}
			}
			d, err := mail.NewDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Send(t.Context(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			raw, err := os.ReadFile(filepath.Join(d.Path(), emlFiles(t, d.Path())[0]))
			if err != nil {
				t.Fatal(err)
			}
			p := parseEML(t, raw)
			for key := range p.header {
				switch key {
				case "Date", "From", "To", "Subject", "Message-Id", "Mime-Version", "Content-Type":
				default:
					t.Errorf("unexpected header %q", key)
				}
			}
			if p.to.Address != "ann@example.com" || p.subj != m.Subject {
				t.Errorf("To %v, Subject %q; want ann@example.com, %q", p.to, p.subj, m.Subject)
			}
		})
	}
	if html := msgs["Invitation"].HTML; !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("the sender's name is not shown escaped:\n%s", html)
	}
}

func TestTemplates(t *testing.T) {
	tests := []struct {
		name        string
		msg         mail.Message
		wantSubject string
		wantInBoth  []string // in the text and, escaped, in the HTML
		wantInHTML  []string
	}{
		{
			name:        "invitation",
			msg:         mail.Invitation("ann@example.com", "Bob  Builder", "Q3 report.pdf", "Please have a look.\nThanks & regards", "https://app.example.com/shares/state/u-1?x=1&y=2"),
			wantSubject: `Bob Builder shared "Q3 report.pdf" with you`,
			wantInBoth:  []string{"Bob Builder", "Q3 report.pdf", "Please have a look."},
			wantInHTML:  []string{`href="https://app.example.com/shares/state/u-1?x=1&amp;y=2"`, "Thanks &amp; regards"},
		},
		{
			name:        "invitation without name, document or note",
			msg:         mail.Invitation("ann@example.com", " ", "", "", ""),
			wantSubject: "Someone shared a document with you",
			wantInBoth:  []string{"Someone shared a document with you."},
		},
		{
			name:        "invitation with a long document name",
			msg:         mail.Invitation("ann@example.com", "Bob", strings.Repeat("x", 500), "", ""),
			wantSubject: `Bob shared "` + strings.Repeat("x", 119) + `…" with you`,
		},
		{
			name:        "welcome",
			msg:         mail.Welcome("ann@example.com", "buyer"),
			wantSubject: "Your access has been approved",
			wantInBoth:  []string{"buyer", "password"},
		},
		{
			name:        "decline",
			msg:         mail.Decline("ann@example.com", "ACME Foods"),
			wantSubject: "Your access request to ACME Foods was declined",
			wantInBoth:  []string{"ACME Foods", "declined"},
		},
		{
			name:        "decline without organization",
			msg:         mail.Decline("ann@example.com", ""),
			wantSubject: "Your access request was declined",
			wantInBoth:  []string{"The organization declined"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.msg
			if m.To != "ann@example.com" || m.From != "" {
				t.Errorf("To %q From %q, want the recipient and no From (the sender's default)", m.To, m.From)
			}
			if m.Subject != tt.wantSubject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.wantSubject)
			}
			for _, s := range tt.wantInBoth {
				if !strings.Contains(m.Text, s) {
					t.Errorf("Text lacks %q:\n%s", s, m.Text)
				}
				if !strings.Contains(m.HTML, strings.ReplaceAll(s, "&", "&amp;")) {
					t.Errorf("HTML lacks %q:\n%s", s, m.HTML)
				}
			}
			for _, s := range tt.wantInHTML {
				if !strings.Contains(m.HTML, s) {
					t.Errorf("HTML lacks %q:\n%s", s, m.HTML)
				}
			}
			m.From = "no-reply@example.org"
			if _, err := mail.Render(m, time.Now()); err != nil {
				t.Errorf("the message does not pass Send's checks: %v", err)
			}
		})
	}
}

// FuzzRender checks that whatever a caller puts in a Message, Send either
// refuses it with ErrInvalid or writes exactly the expected header fields,
// addressed to the one recipient given, with the subject intact.
func FuzzRender(f *testing.F) {
	f.Add("ann@example.com", "Hello", "text", "<p>html</p>")
	f.Add("Ann <ann@example.com>", "Hi\r\nBcc: eve@example.com", "t", "")
	f.Add("\"a\\\"b\" <x@y.z>", "Grüße aus Zürich, "+strings.Repeat("ü", 80), "", "<b>x</b>")
	f.Add("ann@example.com\nBcc: eve@example.com", "s", "t", "")
	f.Add("=?utf-8?q?=0D=0A?= <a@b.c>", "=?utf-8?q?=0D=0ABcc:_x@y?=", "t", "h")
	f.Fuzz(func(t *testing.T, to, subject, text, html string) {
		m := mail.Message{To: to, From: "no-reply@example.org", Subject: subject, Text: text, HTML: html}
		raw, err := mail.Render(m, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		if err != nil {
			if !errors.Is(err, mail.ErrInvalid) {
				t.Fatalf("Render error %v, want ErrInvalid", err)
			}
			return
		}
		p := parseEML(t, raw)
		if len(p.header) != 7 && len(p.header) != 8 {
			t.Fatalf("header fields %v, want the 7 or 8 written", p.header)
		}
		wantTo, err := netmail.ParseAddress(to)
		if err != nil {
			t.Fatalf("Render accepted To %q that does not parse: %v", to, err)
		}
		if p.to.Address != wantTo.Address || (utf8.ValidString(wantTo.Name) && p.to.Name != wantTo.Name) {
			t.Errorf("To = %q, want %q", p.to, wantTo)
		}
		// Literal encoded words in the input are decoded on the way back;
		// they cannot add header fields, which the check above proves.
		if !strings.Contains(subject, "=?") && p.subj != strings.TrimSpace(subject) && !strings.Contains(subject, "  ") && !strings.Contains(subject, "\t") {
			t.Errorf("Subject = %q, want %q", p.subj, subject)
		}
	})
}

func FuzzOneLine(f *testing.F) {
	for _, s := range []string{"", "a\r\nb", "  x\t\ty  ", "\xff\xfe", strings.Repeat("é", 200), "a\u2028b\u0085c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := mail.OneLine(s, 20)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > 20 {
			t.Fatalf("OneLine(%q) = %q: invalid UTF-8 or over 20 runes", s, got)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029' }) {
			t.Fatalf("OneLine(%q) = %q: control character left", s, got)
		}
		if got != strings.TrimSpace(got) || strings.Contains(got, "  ") {
			t.Fatalf("OneLine(%q) = %q: white space not collapsed", s, got)
		}
	})
}

// The share flow's newer messages: each passes Check, keeps user values
// out of headers and escapes them in HTML, and says what it is for.
func TestShareFlowTemplates(t *testing.T) {
	tests := []struct {
		name            string
		m               mail.Message
		subject, text   string
		html, notInHTML string
	}{
		{"registration", mail.Registration("r@example.com", "Pete <b>", "Offer\r\nBcc: x", "note", "https://api.example.test/v1/shares/state/u/s"),
			`Pete <b> shared "Offer Bcc: x" with you`, "https://api.example.test/v1/shares/state/u/s", "Pete &lt;b&gt;", "<b>"},
		{"registration without link", mail.Registration("r@example.com", "", "", "", "javascript:alert(1)"),
			"Someone shared a document with you", "complete your registration", "complete your registration", "javascript:"},
		{"profile completed", mail.ProfileCompleted("admin@a.example", "r@example.com", "Regina <Rex>", ""),
			"A share recipient waits for your decision", "Regina <Rex> (r@example.com) completed their registration", "Regina &lt;Rex&gt;", "<Rex>"},
		{"approval", mail.Approval("r@example.com", "org-a"), "org-a granted you access to the shared documents", "approved your request", "<strong>org-a</strong>", "<script"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			m.From = "shares@example.test" // the sender sets it
			if _, err := mail.Check(m); err != nil {
				t.Fatal(err)
			}
			if tt.m.Subject != tt.subject || !strings.Contains(tt.m.Text, tt.text) || !strings.Contains(tt.m.HTML, tt.html) || strings.Contains(tt.m.HTML, tt.notInHTML) {
				t.Errorf("message = %+v", tt.m)
			}
		})
	}
}
