package mail

import (
	"bytes"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"
	"unicode"
)

// The templates of the document-shares flow. Values come from users
// (sender names, document names, free-text notes): html/template escapes
// them in the HTML part, and values that reach the Subject are flattened
// to one line by oneLine, so a message built here never fails check
// because of them. Only the recipient address is passed through as is:
// Send rejects a bad one with ErrInvalid.

// maxSubjectValue bounds a user value quoted in a Subject.
const maxSubjectValue = 120

// Invitation tells to that senderName shared documentName with them and
// that an administrator decides on access; stateURL shows the pending
// request. message is the sender's optional note.
func Invitation(to, senderName, documentName, message, stateURL string) Message {
	sender := oneLine(senderName, maxSubjectValue)
	if sender == "" {
		sender = "Someone"
	}
	data := map[string]string{
		"Sender":   sender,
		"Document": oneLine(documentName, maxSubjectValue),
		"Message":  strings.ToValidUTF8(message, "\uFFFD"),
		"StateURL": stateURL,
	}
	subject := sender + " shared a document with you"
	if d := data["Document"]; d != "" {
		subject = sender + ` shared "` + d + `" with you`
	}
	return build(to, subject, invitationText, invitationHTML, data)
}

// Welcome tells to that their access was approved with role and that they
// choose a password at first sign-in.
func Welcome(to, role string) Message {
	data := map[string]string{"Role": oneLine(role, maxSubjectValue)}
	return build(to, "Your access has been approved", welcomeText, welcomeHTML, data)
}

// Decline tells to that organizationName declined their access request.
func Decline(to, organizationName string) Message {
	org := oneLine(organizationName, maxSubjectValue)
	subject := "Your access request was declined"
	if org != "" {
		subject = "Your access request to " + org + " was declined"
	}
	return build(to, subject, declineText, declineHTML, map[string]string{"Organization": org})
}

var (
	invitationText = texttemplate.Must(texttemplate.New("").Parse(`Hello,

{{.Sender}} shared {{if .Document}}the document "{{.Document}}"{{else}}a document{{end}} with you.
{{- if .Message}}

Their message:

{{.Message}}
{{- end}}

An administrator of their organization will review the request. You will
receive another e-mail once it has been decided.
{{- if .StateURL}}

See the status of your request:
{{.StateURL}}
{{- end}}
`))
	invitationHTML = htmltemplate.Must(htmltemplate.New("").Parse(`<!DOCTYPE html>
<html><body>
<p>Hello,</p>
<p>{{.Sender}} shared {{if .Document}}the document <strong>{{.Document}}</strong>{{else}}a document{{end}} with you.</p>
{{- if .Message}}
<p>Their message:</p>
<blockquote style="white-space:pre-wrap">{{.Message}}</blockquote>
{{- end}}
<p>An administrator of their organization will review the request. You will receive another e-mail once it has been decided.</p>
{{- if .StateURL}}
<p><a href="{{.StateURL}}">See the status of your request</a></p>
{{- end}}
</body></html>
`))

	welcomeText = texttemplate.Must(texttemplate.New("").Parse(`Hello,

Your access has been approved{{if .Role}} with the role "{{.Role}}"{{end}}.
At your first sign-in you will be asked to choose a password.
`))
	welcomeHTML = htmltemplate.Must(htmltemplate.New("").Parse(`<!DOCTYPE html>
<html><body>
<p>Hello,</p>
<p>Your access has been approved{{if .Role}} with the role <strong>{{.Role}}</strong>{{end}}.</p>
<p>At your first sign-in you will be asked to choose a password.</p>
</body></html>
`))

	declineText = texttemplate.Must(texttemplate.New("").Parse(`Hello,

{{if .Organization}}{{.Organization}}{{else}}The organization{{end}} declined your access request.
Your account has been removed and the documents shared with you are no
longer available.
`))
	declineHTML = htmltemplate.Must(htmltemplate.New("").Parse(`<!DOCTYPE html>
<html><body>
<p>Hello,</p>
<p>{{if .Organization}}<strong>{{.Organization}}</strong>{{else}}The organization{{end}} declined your access request.</p>
<p>Your account has been removed and the documents shared with you are no longer available.</p>
</body></html>
`))
)

// executor is what text/template and html/template templates have in common.
type executor interface {
	Execute(w io.Writer, data any) error
}

func build(to, subject string, text, html executor, data map[string]string) Message {
	return Message{
		To:      to,
		Subject: subject,
		Text:    execute(text, data),
		HTML:    execute(html, data),
	}
}

// execute runs a template whose data are plain strings; that cannot fail.
func execute(t executor, data map[string]string) string {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		panic("mail: template: " + err.Error()) // a bug in the templates above
	}
	return b.String()
}

// oneLine turns s into valid UTF-8 on one line: control characters and
// runs of white space become one space, and the result is cut to at most
// limit runes.
func oneLine(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if isControl(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > limit {
		s = strings.TrimSpace(string(r[:limit-1])) + "…"
	}
	return s
}
