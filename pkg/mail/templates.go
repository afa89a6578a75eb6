package mail

import (
	"html"
	"net/url"
	"strings"
	"unicode"
)

// The templates of the document-shares flow. Values come from users
// (sender names, document names, free-text notes): they are escaped in
// the HTML part, and values that reach the Subject are flattened
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
	doc := oneLine(documentName, maxSubjectValue)
	note := strings.ToValidUTF8(message, "\uFFFD")
	link := safeURL(stateURL)
	subject := sender + " shared a document with you"
	if doc != "" {
		subject = sender + ` shared "` + doc + `" with you`
	}

	var t, h strings.Builder
	t.WriteString("Hello,\n\n" + sender + " shared ")
	h.WriteString(htmlHead + "<p>Hello,</p>\n<p>" + esc(sender) + " shared ")
	if doc != "" {
		t.WriteString(`the document "` + doc + `"`)
		h.WriteString("the document <strong>" + esc(doc) + "</strong>")
	} else {
		t.WriteString("a document")
		h.WriteString("a document")
	}
	t.WriteString(" with you.\n")
	h.WriteString(" with you.</p>\n")
	if note != "" {
		t.WriteString("\nTheir message:\n\n" + note + "\n")
		h.WriteString("<p>Their message:</p>\n<blockquote style=\"white-space:pre-wrap\">" + esc(note) + "</blockquote>\n")
	}
	t.WriteString(invitationReview)
	h.WriteString(invitationReviewHTML)
	if link != "" {
		t.WriteString("\nSee the status of your request:\n" + link + "\n")
		h.WriteString(`<p><a href="` + esc(link) + `">See the status of your request</a></p>` + "\n")
	}
	h.WriteString(htmlTail)
	return Message{To: to, Subject: subject, Text: t.String(), HTML: h.String()}
}

// Welcome tells to that their access was approved with role and that they
// choose a password at first sign-in.
func Welcome(to, role string) Message {
	role = oneLine(role, maxSubjectValue)
	text, html := "Your access has been approved", "Your access has been approved"
	if role != "" {
		text += ` with the role "` + role + `"`
		html += " with the role <strong>" + esc(role) + "</strong>"
	}
	return Message{
		To:      to,
		Subject: "Your access has been approved",
		Text:    "Hello,\n\n" + text + ".\nAt your first sign-in you will be asked to choose a password.\n",
		HTML: htmlHead + "<p>Hello,</p>\n<p>" + html + ".</p>\n" +
			"<p>At your first sign-in you will be asked to choose a password.</p>\n" + htmlTail,
	}
}

// Decline tells to that organizationName declined their access request.
func Decline(to, organizationName string) Message {
	org := oneLine(organizationName, maxSubjectValue)
	subject := "Your access request was declined"
	who, whoHTML := "The organization", "The organization"
	if org != "" {
		subject = "Your access request to " + org + " was declined"
		who, whoHTML = org, "<strong>"+esc(org)+"</strong>"
	}
	return Message{
		To:      to,
		Subject: subject,
		Text: "Hello,\n\n" + who + " declined your access request.\n" +
			"Your account has been removed and the documents shared with you are no\nlonger available.\n",
		HTML: htmlHead + "<p>Hello,</p>\n<p>" + whoHTML + " declined your access request.</p>\n" +
			"<p>Your account has been removed and the documents shared with you are no longer available.</p>\n" + htmlTail,
	}
}

// Registration tells to, who has no account yet, that senderName shared
// documentName with them and that they complete their registration at
// link before an administrator decides on access.
func Registration(to, senderName, documentName, message, link string) Message {
	m := Invitation(to, senderName, documentName, message, "")
	link = safeURL(link)
	text := "\nTo open it, complete your registration (your name and language). An\nadministrator of their organization then reviews the request.\n"
	html := "<p>To open it, complete your registration (your name and language). An administrator of their organization then reviews the request.</p>\n"
	if link != "" {
		text += "\nComplete your registration:\n" + link + "\n"
		html += `<p><a href="` + esc(link) + `">Complete your registration</a></p>` + "\n"
	}
	m.Text = strings.Replace(m.Text, invitationReview, text, 1)
	m.HTML = strings.Replace(m.HTML, invitationReviewHTML, html, 1)
	return m
}

// The review paragraph of Invitation that Registration replaces.
const (
	invitationReview     = "\nAn administrator of their organization will review the request. You will\nreceive another e-mail once it has been decided.\n"
	invitationReviewHTML = "<p>An administrator of their organization will review the request. You will receive another e-mail once it has been decided.</p>\n"
)

// ProfileCompleted tells to, an administrator of the sharing
// organization, that recipientEmail completed their registration and
// waits for a decision; pendingURL lists the pending requests.
func ProfileCompleted(to, recipientEmail, recipientName, pendingURL string) Message {
	who := oneLine(recipientName, maxSubjectValue)
	addr := oneLine(recipientEmail, maxSubjectValue)
	if who == "" {
		who = addr
	} else {
		who += " (" + addr + ")"
	}
	link := safeURL(pendingURL)
	text := "Hello,\n\n" + who + " completed their registration to open documents your\norganization shared. Please accept or decline the request.\n"
	html := htmlHead + "<p>Hello,</p>\n<p>" + esc(who) + " completed their registration to open documents your organization shared. Please accept or decline the request.</p>\n"
	if link != "" {
		text += "\nPending requests:\n" + link + "\n"
		html += `<p><a href="` + esc(link) + `">Pending requests</a></p>` + "\n"
	}
	return Message{To: to, Subject: "A share recipient waits for your decision", Text: text, HTML: html + htmlTail}
}

// Approval confirms to that organizationName granted them access to the
// documents it shared (sent beside Welcome on accept).
func Approval(to, organizationName string) Message {
	org := oneLine(organizationName, maxSubjectValue)
	who, whoHTML := "The organization", "The organization"
	subject := "Access to the shared documents granted"
	if org != "" {
		who, whoHTML = org, "<strong>"+esc(org)+"</strong>"
		subject = org + " granted you access to the shared documents"
	}
	return Message{
		To:      to,
		Subject: subject,
		Text:    "Hello,\n\n" + who + " approved your request: the documents shared with you are\nnow available to you.\n",
		HTML:    htmlHead + "<p>Hello,</p>\n<p>" + whoHTML + " approved your request: the documents shared with you are now available to you.</p>\n" + htmlTail,
	}
}

// The bodies are built with plain string operations and html.EscapeString
// rather than html/template: linking text/template turns off the
// linker's dead-method elimination and grows every Lambda that sends mail
// by megabytes.
const (
	htmlHead = "<!DOCTYPE html>\n<html><body>\n"
	htmlTail = "</body></html>\n"
)

func esc(s string) string { return html.EscapeString(s) }

// safeURL keeps only absolute http(s) URLs, so a link can't run script.
func safeURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.String()
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
