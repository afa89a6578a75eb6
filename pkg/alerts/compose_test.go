package alerts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/mail"
)

func TestConfigFromEnv(t *testing.T) {
	cases := []struct {
		minutes, base string
		want          Config
		wantErr       bool
	}{
		{"", "", Config{DigestPeriod: 15 * time.Minute}, false},
		{"1", "https://gate.example/", Config{DigestPeriod: time.Minute, PublicBaseURL: "https://gate.example"}, false},
		{"1440", "", Config{DigestPeriod: 24 * time.Hour}, false},
		{"0", "", Config{}, true},
		{"1441", "", Config{}, true},
		{"15m", "", Config{}, true},
	}
	for _, tc := range cases {
		got, err := ConfigFromEnv(func(k string) string {
			return map[string]string{"ALERT_DIGEST_MINUTES": tc.minutes, "PUBLIC_BASE_URL": tc.base}[k]
		})
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("ALERT_DIGEST_MINUTES=%q: %+v, %v; want %+v, error %v", tc.minutes, got, err, tc.want, tc.wantErr)
		}
	}
}

func testRows(n int, name string) []row {
	out := make([]row, n)
	for i := range out {
		out[i] = row{AccessRequest: accessrequests.AccessRequest{ID: fmt.Sprint(i), DisplayName: name, Address: fmt.Sprint(700000 + i),
			Provider: "TELEGRAM", Status: accessrequests.StatusPending, CreatedAt: 1_796_000_000_000}, Connector: "Support"}
	}
	return out
}

func TestDigestMessages(t *testing.T) {
	link := consoleLink("https://gate.example", "agent-1")
	cases := []struct {
		name        string
		rows, total int
		display     string
		// what the e-mail's text and HTML and the Slack text must contain, and must not
		wantText, wantHTML, wantSlack []string
		notHTML, notSlack             []string
		textRows, slackRows           int
	}{
		{name: "one", rows: 1, total: 1, display: "Fox", wantText: []string{"1 new access request wait", link}, textRows: 1, slackRows: 1,
			wantSlack: []string{"<" + link + "|Decide in the console>"}},
		{name: "capped", rows: maxShown, total: 620, display: "Fox", wantText: []string{"… and 570 more"}, wantSlack: []string{"… and 600 more"},
			textRows: maxShown, slackRows: maxSlackRows},
		{name: "markup in a name", rows: 2, total: 2, display: "<b>Fox</b> <!channel> & co\r\nBcc: x@y",
			wantHTML: []string{"&lt;b&gt;Fox&lt;/b&gt;"}, notHTML: []string{"<b>Fox"}, wantSlack: []string{"&lt;!channel&gt; &amp; co"},
			notSlack: []string{"<!channel>"}, textRows: 2, slackRows: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows := testRows(tc.rows, tc.display)
			m := digestMail("ann@example.com", "acme", "agent-1", rows, tc.total, link)
			withFrom := m
			withFrom.From = "gatehouse <no-reply@example.com>" // the sender's default, set at delivery
			if _, err := mail.Check(withFrom); err != nil {
				t.Fatalf("the e-mail would not send: %v", err)
			}
			s := slackText("agent-1", rows, tc.total, link)
			if got := strings.Count(m.Text, "\n- "); got != tc.textRows {
				t.Errorf("e-mail rows: %d, want %d", got, tc.textRows)
			}
			if got := strings.Count(s, "\n• "); got != tc.slackRows {
				t.Errorf("Slack rows: %d, want %d", got, tc.slackRows)
			}
			if len(s) > 4000 {
				t.Errorf("Slack text: %d bytes, more than Slack's 4000", len(s))
			}
			check := func(what, got string, want []string, has bool) {
				for _, w := range want {
					if strings.Contains(got, w) != has {
						t.Errorf("%s contains %q: %v, want %v\n%s", what, w, !has, has, got)
					}
				}
			}
			check("text", m.Text, tc.wantText, true)
			check("HTML", m.HTML, tc.wantHTML, true)
			check("HTML", m.HTML, tc.notHTML, false)
			check("Slack", s, tc.wantSlack, true)
			check("Slack", s, tc.notSlack, false)
			if strings.ContainsAny(m.Subject, "\r\n") || strings.Contains(m.Text, "\nBcc:") {
				t.Errorf("a header or line break leaked from a name: subject %q", m.Subject)
			}
		})
	}
}
