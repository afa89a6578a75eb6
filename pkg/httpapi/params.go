package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/problem"
)

// Tenant validates the {tenant} path value.
func Tenant(r *http.Request) (string, error) {
	t := r.PathValue("tenant")
	if !validTenant(t) {
		return "", problem.BadRequest("invalid-tenant", "tenant must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_'")
	}
	return t, nil
}

func validTenant(t string) bool {
	if len(t) == 0 || len(t) > 64 {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ParseID validates a UUID path or body value and returns its canonical form.
func ParseID(field, v string) (string, error) {
	u, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		return "", problem.BadRequest("invalid-id", field+" must be a UUID")
	}
	return u.String(), nil
}

// ValidAgentID reports whether an agent id is acceptable.
func ValidAgentID(a string) bool {
	if len(a) == 0 || len(a) > 128 {
		return false
	}
	for _, c := range a {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Page sizes of every list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// ListParams are the query parameters of an agent-scoped list.
type ListParams struct {
	AgentID   string
	PageSize  int
	PageToken string
	// Query holds every parameter, for the extra ones a list allows.
	Query url.Values
}

// ParseList reads agentId, pageSize (1..100, default 50) and pageToken,
// refusing any parameter other than those and extra.
func ParseList(r *http.Request, extra ...string) (ListParams, error) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "agentId", "pageSize", "pageToken":
		default:
			if !slices.Contains(extra, k) {
				return ListParams{}, problem.BadRequest("unknown-parameter", "unknown query parameter "+strconv.Quote(k))
			}
		}
	}
	lp := ListParams{AgentID: q.Get("agentId"), PageSize: DefaultPageSize, PageToken: q.Get("pageToken"), Query: q}
	if lp.AgentID != "" && !ValidAgentID(lp.AgentID) {
		return ListParams{}, problem.BadRequest("invalid-agent-id", "agentId must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return ListParams{}, problem.BadRequest("invalid-page-size", "pageSize must be an integer from 1 to 100")
		}
		lp.PageSize = n
	}
	return lp, nil
}
