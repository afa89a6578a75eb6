package audit

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Function is the Lambda serving the audit API (the decisions' own).
const Function = "AccessRequestsFunction"

const base = "/v1/tenants/{tenant}/auditEvents"

// MediaJSONLines is the export format (one entry per line).
const MediaJSONLines = "application/x-ndjson"

// Service serves a tenant's audit trail.
type Service struct {
	repo  *Repo
	authz *authz.Authorizer
}

// Routes returns the audit API's routes; a nil p gives metadata only.
func Routes(p *platform.Platform) ([]httpapi.Route, error) {
	s := &Service{}
	if p != nil {
		s = &Service{repo: NewRepo(p.Store), authz: p.Authz}
	}
	return []httpapi.Route{{Function: Function, Method: http.MethodGet, Path: base, Handle: s.list}}, nil
}

// View is an audit entry as the API shows it; unset fields are null.
type View struct {
	ID       string  `json:"id"`
	TenantID string  `json:"tenantId"`
	AgentID  *string `json:"agentId"`
	// AgentIDs are all the agents the entry is filed under ([] for none).
	AgentIDs     []string `json:"agentIds"`
	Actor        string   `json:"actor"`
	Action       string   `json:"action"`
	TargetType   string   `json:"targetType"`
	TargetID     string   `json:"targetId"`
	StatusBefore *string  `json:"statusBefore"`
	StatusAfter  *string  `json:"statusAfter"`
	Note         *string  `json:"note"`
	RequestID    *string  `json:"requestId"`
	SourceIP     *string  `json:"sourceIp"`
	UserAgent    *string  `json:"userAgent"`
	CreatedAt    int64    `json:"createdAt"`
}

func viewOf(tenant string, e Entry) View {
	agents := e.AgentIDs
	if agents == nil {
		agents = []string{}
		if e.AgentID != "" {
			agents = []string{e.AgentID}
		}
	}
	return View{ID: e.ID, TenantID: tenant, AgentID: optional(e.AgentID), AgentIDs: agents, Actor: e.Actor, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, StatusBefore: optional(e.StatusBefore), StatusAfter: optional(e.StatusAfter),
		Note: optional(e.Note), RequestID: optional(e.RequestID), SourceIP: optional(e.SourceIP), UserAgent: optional(e.UserAgent),
		CreatedAt: e.At}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// list serves GET .../auditEvents: tenant ADMINs see the tenant, an
// agent's ADMINs that agent's entries (agentId required).
func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return err
	}
	lp, err := httpapi.ParseList(r, "targetType", "targetId", "actor", "from", "to", "format")
	if err != nil {
		return err
	}
	f := Filter{AgentID: lp.AgentID, Actor: lp.Query.Get("actor"), PageSize: lp.PageSize, PageToken: lp.PageToken}
	if f.TargetType, err = httpapi.Enum("targetType", lp.Query.Get("targetType"), TargetAccessRequest, TargetParticipant, TargetCollaborator, TargetIntegrationConfig, TargetAlertSettings); err != nil {
		return err
	}
	if v := lp.Query.Get("targetId"); v != "" {
		if f.TargetType == "" {
			return problem.BadRequest("target-type-required", "targetId needs targetType")
		}
		switch {
		case f.TargetType == TargetCollaborator && len(v) <= 256: // a user's subject
			f.TargetID = v
		case f.TargetType == TargetCollaborator:
			return problem.BadRequest("invalid-target-id", "targetId must be at most 256 characters")
		default:
			if f.TargetID, err = httpapi.ParseID("targetId", v); err != nil {
				return err
			}
		}
	}
	if len(f.Actor) > 256 {
		return problem.BadRequest("invalid-actor", "actor must be at most 256 characters")
	}
	if f.From, err = ParseTime("from", lp.Query.Get("from")); err != nil {
		return err
	}
	if f.To, err = ParseTime("to", lp.Query.Get("to")); err != nil {
		return err
	}
	jsonl, err := WantsJSONLines(r, lp.Query.Get("format"))
	if err != nil {
		return err
	}
	_, trole, err := authz.TenantRole(r.Context(), tenant)
	if err != nil {
		return err
	}
	if trole != "ADMIN" {
		if f.AgentID == "" {
			return authz.ErrAgentRequired
		}
		if _, err := s.authz.Require(r.Context(), tenant, f.AgentID, authz.Admin); err != nil {
			return err
		}
	}
	items, next, err := s.repo.List(r.Context(), store.TenantScope(tenant), f)
	if err != nil {
		return err
	}
	views := make([]View, len(items))
	for i, e := range items {
		views[i] = viewOf(tenant, e)
	}
	if !jsonl {
		return httpapi.WriteList(w, r, views, next)
	}
	return WriteJSONLines(w, r, views, next)
}

// WriteJSONLines answers one page of views as JSON Lines, with the next
// page's Link.
func WriteJSONLines[T any](w http.ResponseWriter, r *http.Request, views []T, next string) error {
	if next != "" {
		w.Header().Set("Link", "<"+httpapi.NextPageURL(r, next)+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", MediaJSONLines)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w) // Encode ends each entry with a newline
	for _, v := range views {
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// wantsJSONLines reads ?format=jsonl|json or, without it, the Accept header.
func WantsJSONLines(r *http.Request, format string) (bool, error) {
	switch strings.ToLower(format) {
	case "jsonl", "ndjson":
		return true, nil
	case "json":
		return false, nil
	case "":
		return strings.Contains(r.Header.Get("Accept"), MediaJSONLines), nil
	}
	return false, problem.BadRequest("invalid-format", "format must be json or jsonl")
}

// parseTime reads epoch milliseconds or an RFC 3339 time.
func ParseTime(field, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n <= 9999999999999 {
		return n, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.UnixMilli() >= 0 {
		return t.UnixMilli(), nil
	}
	return 0, problem.BadRequest("invalid-"+field, field+" must be epoch milliseconds or an RFC 3339 time")
}
