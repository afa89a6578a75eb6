package collaborators

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// MaxNotified bounds the admins one request e-mails, so the request's
// transaction stays far below DynamoDB's 100 actions.
const MaxNotified = 50

var outboxNS = uuid.MustParse("9b3c1f0e-6a52-4d7e-8c1b-2f4e5d6a7b80")

// mailID derives an e-mail's outbox id from the request and the admin,
// so one request never e-mails one admin twice (the outbox Put is
// conditional).
func mailID(tenant string, req Collaborator, admin string) string {
	return uuid.NewSHA1(outboxNS, []byte(fmt.Sprintf("%s/%s/%s/%d/%s", tenant, req.AgentID, req.UserID, req.CreatedAt, admin))).String()
}

// requestMails returns the outbox actions e-mailing admins about req.
// Admins without a usable address are skipped and logged: gatehouse knows
// an address only once its owner has called this API with an e-mail
// claim in their token.
func requestMails(ctx context.Context, log *slog.Logger, tenant, base string, req Collaborator, admins []Collaborator) ([]store.TxAction, error) {
	var out []store.TxAction
	for _, a := range admins {
		if len(out) == MaxNotified {
			log.WarnContext(ctx, "collaborators: access request e-mails capped", "tenant", tenant, "agent", req.AgentID, "admins", len(admins), "max", MaxNotified)
			break
		}
		if !usableAddress(a.Email) {
			log.WarnContext(ctx, "collaborators: admin not e-mailed about an access request: no usable e-mail address",
				"tenant", tenant, "agent", req.AgentID, "admin", a.UserID, "requester", req.UserID, "email", a.Email)
			continue
		}
		m := requestMail(a.Email, tenant, base, req)
		payload, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("collaborators: mail payload: %w", err)
		}
		out = append(out, outbox.Enqueue(outbox.Message{ID: mailID(tenant, req, a.UserID), Kind: mail.KindSend, Tenant: tenant,
			Payload: string(payload), CreatedAt: req.CreatedAt, ModifiedAt: req.CreatedAt}))
	}
	if len(admins) == 0 {
		log.InfoContext(ctx, "collaborators: access request for an agent without ADMIN collaborators; no one e-mailed",
			"tenant", tenant, "agent", req.AgentID, "requester", req.UserID)
	}
	return out, nil
}

// usableAddress reports a bare address the mail.send delivery accepts
// (it checks again, with the sender, before sending).
func usableAddress(s string) bool {
	a, err := netmail.ParseAddress(s)
	return err == nil && a.Address == s && !strings.ContainsFunc(s, unicode.IsControl)
}

// requestMail tells an admin that req waits for a decision. The agent id
// is validated; user values stay out of the Subject and are flattened to
// one line in the body.
func requestMail(to, tenant, base string, req Collaborator) mail.Message {
	who := oneLine(strings.TrimSpace(req.FirstName + " " + req.LastName))
	if req.Email != "" {
		if who == "" {
			who = oneLine(req.Email)
		} else {
			who += " <" + oneLine(req.Email) + ">"
		}
	}
	if who == "" {
		who = "User " + oneLine(req.UserID)
	}
	path := fmt.Sprintf("%s/v1/tenants/%s/agents/%s/collaborators/%s", base, tenant, req.AgentID, oneLine(req.UserID))
	text := fmt.Sprintf("Hello,\n\n%s asks for the %s role on the agent %q (tenant %q).\n\n"+
		"As an ADMIN of the agent you can approve or reject the request:\n\n"+
		"  POST %s:approve\n  POST %s:reject\n\n"+
		"Pending requests are listed with status PENDING by\n  GET %s/v1/tenants/%s/agents/%s/collaborators\n",
		who, req.Role, req.AgentID, tenant, path, path, base, tenant, req.AgentID)
	return mail.Message{To: to, Subject: "Access request for the agent " + req.AgentID, Text: strings.ToValidUTF8(text, "\uFFFD")}
}

// oneLine drops control characters and caps s at 200 runes.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
