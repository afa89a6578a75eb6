package alerts

import (
	"encoding/json"
	"fmt"
	"html"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/mail"
)

// maxShown and maxSlackRows bound the rows of an e-mail and of a Slack
// message (Slack's 4000 characters); the rest is "and N more".
const (
	maxShown     = 50
	maxSlackRows = 20
)

// consoleLink is the console's pending tab of the agent.
func consoleLink(base, agent string) string {
	if base == "" {
		return ""
	}
	return base + "/console/?agent=" + url.QueryEscape(agent) + "&tab=pending"
}

// usableAddress reports a bare address mail.send accepts.
func usableAddress(s string) bool {
	a, err := netmail.ParseAddress(s)
	return err == nil && a.Address == s && !strings.ContainsFunc(s, unicode.IsControl)
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// oneLine drops control characters and caps s at n runes: sender names
// are free text.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

func when(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC") }

// fields are a row's display values, flattened.
func fields(r row) (name, id, provider, connector, created, status string) {
	name = oneLine(r.DisplayName, 80)
	if name == "" {
		name = "(no name)"
	}
	connector = oneLine(r.Connector, 80)
	if connector == "" {
		connector = "(deleted connector)"
	}
	if r.Status != accessrequests.StatusPending {
		status = r.Status
	}
	return name, oneLine(r.Address, 80), r.Provider, connector, when(r.CreatedAt), status
}

func countLine(total int) string {
	if total == 1 {
		return "1 new access request"
	}
	return fmt.Sprintf("%d new access requests", total)
}

// waitVerb agrees with countLine's noun.
func waitVerb(total int) string {
	if total == 1 {
		return "waits"
	}
	return "wait"
}

// digestMail lists rows (newest first) of total new requests on agent.
// The agent id is validated; every user value is flattened and escaped.
func digestMail(to, tenant, agent string, rows []row, total int, link string) mail.Message {
	var t, h strings.Builder
	head := countLine(total) + fmt.Sprintf(" %s for a decision on the agent %q (tenant %q).", waitVerb(total), agent, tenant)
	t.WriteString("Hello,\n\n" + head + "\n\n")
	h.WriteString("<!doctype html><html><body style=\"font-family:sans-serif\">\n<p>Hello,</p>\n<p>" + html.EscapeString(head) + "</p>\n")
	h.WriteString("<table cellpadding=\"4\" style=\"border-collapse:collapse\">\n<tr><th align=\"left\">Name</th><th align=\"left\">Identifier</th>" +
		"<th align=\"left\">Provider</th><th align=\"left\">Connector</th><th align=\"left\">Created</th></tr>\n")
	for _, r := range rows {
		name, id, provider, connector, created, status := fields(r)
		line := fmt.Sprintf("- %s (%s) via %s, %s, %s", name, id, provider, connector, created)
		cell := html.EscapeString(created)
		if status != "" {
			line += ", now " + status
			cell += " (now " + html.EscapeString(status) + ")"
		}
		t.WriteString(line + "\n")
		fmt.Fprintf(&h, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			html.EscapeString(name), html.EscapeString(id), html.EscapeString(provider), html.EscapeString(connector), cell)
	}
	h.WriteString("</table>\n")
	if more := total - len(rows); more > 0 {
		fmt.Fprintf(&t, "… and %d more\n", more)
		fmt.Fprintf(&h, "<p>… and %d more</p>\n", more)
	}
	if link != "" {
		t.WriteString("\nDecide in the console:\n" + link + "\n")
		h.WriteString(`<p><a href="` + html.EscapeString(link) + `">Decide in the console</a></p>` + "\n")
	}
	t.WriteString("\nYou get this digest at most once per period because your accessRequestAlerts preference is on.\n")
	h.WriteString("<p style=\"color:#666\">You get this digest at most once per period because your accessRequestAlerts preference is on.</p>\n</body></html>\n")
	return mail.Message{To: to, Subject: fmt.Sprintf("%s for the agent %s", countLine(total), agent), Text: t.String(), HTML: h.String()}
}

// slackText is the Slack digest in mrkdwn.
func slackText(agent string, rows []row, total int, link string) string {
	var t strings.Builder
	fmt.Fprintf(&t, "*%s* %s for a decision on the agent `%s`:\n", countLine(total), waitVerb(total), agent)
	shown := rows[:min(len(rows), maxSlackRows)]
	for _, r := range shown {
		name, id, provider, connector, created, status := fields(r)
		fmt.Fprintf(&t, "• %s (%s) via %s, %s, %s", slackSafe(name), slackSafe(id), provider, slackSafe(connector), created)
		if status != "" {
			t.WriteString(", now " + status)
		}
		t.WriteString("\n")
	}
	if more := total - len(shown); more > 0 {
		fmt.Fprintf(&t, "… and %d more\n", more)
	}
	if link != "" {
		t.WriteString("<" + link + "|Decide in the console>\n")
	}
	return t.String()
}

// slackSafe keeps a user value from opening links or mentions (Slack's
// three escaped characters).
func slackSafe(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
