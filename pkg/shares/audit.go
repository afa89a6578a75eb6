package shares

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// AuditEvent is an entry of an organization's audit trail as the shares
// API shows it: SweetConnect's style (ISO times, null for unset).
type AuditEvent struct {
	ID             string  `json:"id"`
	OrganizationID string  `json:"organizationId"`
	Actor          string  `json:"actor"`
	Action         string  `json:"action"`
	TargetType     string  `json:"targetType"`
	TargetID       string  `json:"targetId"`
	StatusBefore   *string `json:"statusBefore"`
	StatusAfter    *string `json:"statusAfter"`
	Note           *string `json:"note"`
	RequestID      *string `json:"requestId"`
	SourceIP       *string `json:"sourceIp"`
	UserAgent      *string `json:"userAgent"`
	CreatedAt      string  `json:"createdAt"`
}

func viewAuditEvent(org string, e audit.Entry) AuditEvent {
	return AuditEvent{ID: e.ID, OrganizationID: org, Actor: e.Actor, Action: e.Action, TargetType: e.TargetType,
		TargetID: e.TargetID, StatusBefore: nullable(e.StatusBefore), StatusAfter: nullable(e.StatusAfter), Note: nullable(e.Note),
		RequestID: nullable(e.RequestID), SourceIP: nullable(e.SourceIP), UserAgent: nullable(e.UserAgent), CreatedAt: isoTime(e.At)}
}

// auditQuery are the query parameters of GET /v1/shares/{id}/audit-events.
var auditQuery = []string{"recipientId", "actor", "from", "to", "format", "pageSize", "pageToken"}

// auditEvents serves GET /v1/shares/{organizationId}/audit-events: the
// organization's trail (shares invited, registered, accepted, declined,
// expired; settings changed) for its admins, newest first, paged, with
// ?recipientId=, ?actor=, ?from=/&to= (epoch ms or RFC 3339) and JSON
// Lines export (?format=jsonl or Accept: application/x-ndjson).
func (s *Service) auditEvents(w http.ResponseWriter, r *http.Request) error {
	org, err := ownOrganization(r)
	if err != nil {
		return err
	}
	for k := range r.URL.Query() {
		if !knownParam(k, auditQuery) {
			return badField(k)
		}
	}
	lp, err := httpapi.ParseList(r, auditQuery[:5]...)
	if err != nil {
		return failWith(err, CodeBadRequest, "field", "pageSize") // names are checked: only pageSize can be wrong
	}
	q := lp.Query
	f := audit.Filter{Actor: q.Get("actor")}
	if v := q.Get("recipientId"); v != "" {
		if !validToken(v, maxOrg, "._-") {
			return badField("recipientId")
		}
		f.TargetType, f.TargetID = audit.TargetShareRecipient, v
	}
	if len(f.Actor) > 256 {
		return badField("actor")
	}
	for _, p := range []struct {
		name string
		to   *int64
	}{{"from", &f.From}, {"to", &f.To}} {
		if *p.to, err = audit.ParseTime(p.name, q.Get(p.name)); err != nil {
			return badField(p.name)
		}
	}
	jsonl, err := audit.WantsJSONLines(r, q.Get("format"))
	if err != nil {
		return badField("format")
	}
	f.PageSize, f.PageToken = lp.PageSize, lp.PageToken
	entries, next, err := audit.NewRepo(s.store.st).List(r.Context(), store.OrgScope(org), f)
	if errors.Is(err, store.ErrInvalidPageToken) {
		return badField("pageToken")
	}
	if err != nil {
		return err
	}
	out := make([]AuditEvent, 0, len(entries))
	for _, e := range entries {
		out = append(out, viewAuditEvent(org, e))
	}
	if jsonl {
		return audit.WriteJSONLines(w, r, out, next)
	}
	setNextLink(w, r, next)
	return writeData(w, http.StatusOK, out)
}

// ownOrganization is {id} when it is the caller's organization and the
// caller decides on its recipients (admin, producer-admin): 403
// NoPermission otherwise, 400 for an invalid id.
func ownOrganization(r *http.Request) (string, error) {
	p, err := caller(r, decideRoles...)
	if err != nil {
		return "", err
	}
	org := r.PathValue("id")
	if !validOrg(org) {
		return "", badField("organizationId")
	}
	if org != p.Organization {
		return "", fail(CodeNoPermission)
	}
	return org, nil
}

func knownParam(k string, known []string) bool {
	for _, n := range known {
		if strings.EqualFold(k, n) {
			return true
		}
	}
	return false
}
