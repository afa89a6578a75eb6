package mail_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/mail"
)

// parsed is an .eml file read back with the standard library only.
type parsed struct {
	header netmail.Header
	to     *netmail.Address
	from   *netmail.Address
	subj   string
	date   time.Time
	text   string
	html   string
}

func parseEML(t testing.TB, raw []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("ReadMessage: %v\n%s", err, raw)
	}
	p := parsed{header: msg.Header}
	if p.to, err = netmail.ParseAddress(msg.Header.Get("To")); err != nil {
		t.Fatalf("To %q: %v", msg.Header.Get("To"), err)
	}
	if p.from, err = netmail.ParseAddress(msg.Header.Get("From")); err != nil {
		t.Fatalf("From %q: %v", msg.Header.Get("From"), err)
	}
	if p.subj, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject %q: %v", msg.Header.Get("Subject"), err)
	}
	if p.date, err = msg.Header.Date(); err != nil {
		t.Fatalf("Date: %v", err)
	}
	if msg.Header.Get("MIME-Version") != "1.0" || msg.Header.Get("Message-ID") == "" {
		t.Errorf("MIME-Version %q, Message-ID %q; want 1.0 and an id", msg.Header.Get("MIME-Version"), msg.Header.Get("Message-ID"))
	}
	ctype, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	switch ctype {
	case "multipart/alternative":
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			part, err := mr.NextPart() // decodes quoted-printable itself
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("NextPart: %v", err)
			}
			body, err := io.ReadAll(part)
			if err != nil {
				t.Fatal(err)
			}
			switch pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); pt {
			case "text/plain":
				p.text = string(body)
			case "text/html":
				p.html = string(body)
			default:
				t.Errorf("unexpected part %q", pt)
			}
		}
	case "text/plain", "text/html":
		if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Fatalf("Content-Transfer-Encoding = %q", cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		if ctype == "text/plain" {
			p.text = string(body)
		} else {
			p.html = string(body)
		}
	default:
		t.Fatalf("Content-Type %q", ctype)
	}
	if params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("charset %q, want utf-8", params["charset"])
	}
	return p
}

func lf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func readOnly(t *testing.T, dir string) []byte {
	t.Helper()
	files := emlFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("%d .eml files, want 1", len(files))
	}
	raw, err := os.ReadFile(filepath.Join(dir, files[0]))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("stray file %q", e.Name())
			continue
		}
		names = append(names, e.Name())
	}
	return names
}

func TestDirWritesParsableEML(t *testing.T) {
	long := strings.Repeat("Quarterly report für Zürich ", 12)
	tests := []struct {
		name string
		msg  mail.Message
	}{
		{"text only", mail.Message{To: "ann@example.com", Subject: "Hello", Text: "line 1\nline 2\n"}},
		{"html only", mail.Message{To: "ann@example.com", Subject: "Hello", HTML: "<p>hi</p>"}},
		{"both", mail.Message{To: "Ann Smith <ann@example.com>", Subject: "Hello", Text: "hi\n", HTML: "<p>hi</p>\n"}},
		{"unicode and long lines", mail.Message{
			To:      "Zoë Ünal <zoe@example.com>",
			From:    "Büro <office@example.org>",
			Subject: long,
			Text:    "Grüße, " + strings.Repeat("x", 300) + " =?utf-8?q?not-a-header?= \n.\nFrom here\n",
			HTML:    "<p>Grüße " + strings.Repeat("y", 300) + "</p>",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			d, err := mail.NewDir(filepath.Join(dir, "outbox")) // created on demand
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Send(t.Context(), tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			raw := readOnly(t, d.Path())
			for i, line := range strings.Split(string(raw), "\r\n") {
				if len(line) > 78 {
					t.Errorf("line %d is %d characters long: %q", i+1, len(line), line)
				}
			}
			if strings.Contains(strings.ReplaceAll(string(raw), "\r\n", ""), "\n") {
				t.Error("bare LF in the file, want CRLF line ends only")
			}
			got := parseEML(t, raw)
			wantTo, _ := netmail.ParseAddress(tt.msg.To)
			if *got.to != *wantTo {
				t.Errorf("To = %v, want %v", got.to, wantTo)
			}
			wantFrom := tt.msg.From
			if wantFrom == "" {
				wantFrom = mail.DefaultDirFrom
			}
			if f, _ := netmail.ParseAddress(wantFrom); *got.from != *f {
				t.Errorf("From = %v, want %v", got.from, f)
			}
			if got.subj != tt.msg.Subject {
				t.Errorf("Subject = %q, want %q", got.subj, tt.msg.Subject)
			}
			if lf(got.text) != tt.msg.Text || lf(got.html) != tt.msg.HTML {
				t.Errorf("bodies = %q / %q, want %q / %q", got.text, got.html, tt.msg.Text, tt.msg.HTML)
			}
		})
	}
}

func TestDirFileNamesSortByTime(t *testing.T) {
	d, err := mail.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	times := []time.Time{
		base,
		base, // same instant: still a new file
		base.Add(time.Nanosecond),
		base.Add(time.Second),
		base.Add(10 * time.Hour),
	}
	for i, at := range times {
		mail.SetClock(d, func() time.Time { return at })
		m := mail.Message{To: "ann@example.com", Subject: "n" + string(rune('0'+i)), Text: "x"}
		if err := d.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	names := emlFiles(t, d.Path())
	if len(names) != len(times) {
		t.Fatalf("%d files, want %d", len(names), len(times))
	}
	slices.Sort(names)
	var subjects []string
	for _, n := range names {
		raw, err := os.ReadFile(filepath.Join(d.Path(), n))
		if err != nil {
			t.Fatal(err)
		}
		p := parseEML(t, raw)
		subjects = append(subjects, p.subj)
		wantDate := times[p.subj[1]-'0'].Truncate(time.Second)
		if !p.date.Equal(wantDate) {
			t.Errorf("%s: Date = %v, want %v", n, p.date, wantDate)
		}
	}
	// The two files of the same instant may come in either order.
	if subjects[2] != "n2" || subjects[3] != "n3" || subjects[4] != "n4" {
		t.Errorf("subjects in file-name order = %v, want n0/n1, n2, n3, n4", subjects)
	}
}

func TestDirCanceledContext(t *testing.T) {
	d, err := mail.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = d.Send(ctx, mail.Message{To: "ann@example.com", Subject: "s", Text: "x"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send with canceled ctx = %v, want context.Canceled", err)
	}
	if n := len(emlFiles(t, d.Path())); n != 0 {
		t.Errorf("%d files written, want 0", n)
	}
}

func TestNewDirFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.NewDir(filepath.Join(file, "sub")); err == nil {
		t.Error("NewDir under a regular file succeeded, want an error")
	}
}
