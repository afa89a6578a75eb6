package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

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

// List bounds. A list without pageSize returns at most DefaultListBound
// items (and a Link to the rest): the docs' lists are unpaged, but no
// request reads an unbounded number of rows.
const (
	DefaultListBound = 500
	MaxPageSize      = 500
)

// Query holds a request's query parameters by lower-cased name: the docs
// render AgentId where their prose says agentId, so names match
// case-insensitively.
type Query map[string][]string

// Get returns the first value of name, matched case-insensitively.
func (q Query) Get(name string) string {
	if v := q[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// ParseQuery folds r's query parameter names to lower case, refusing a
// parameter other than allowed (matched case-insensitively) and one given
// twice under any spelling.
func ParseQuery(r *http.Request, allowed ...string) (Query, error) {
	q := Query{}
	for k, vs := range r.URL.Query() {
		lk := strings.ToLower(k)
		if !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, k) }) {
			return nil, problem.BadRequest("unknown-parameter", "unknown query parameter "+strconv.Quote(k))
		}
		if len(q[lk])+len(vs) > 1 {
			return nil, problem.BadRequest("repeated-parameter", "query parameter "+strconv.Quote(k)+" is given more than once")
		}
		q[lk] = vs
	}
	return q, nil
}

// ListParams are the query parameters of a list.
type ListParams struct {
	AgentID   string
	PageSize  int
	PageToken string
	// Query holds every parameter, for the extra ones a list allows.
	Query Query
}

// ParseList reads agentId, pageSize (1..500, default DefaultListBound)
// and pageToken, refusing any parameter other than those and extra.
// Names match case-insensitively.
func ParseList(r *http.Request, extra ...string) (ListParams, error) {
	q, err := ParseQuery(r, append([]string{"agentId", "pageSize", "pageToken"}, extra...)...)
	if err != nil {
		return ListParams{}, err
	}
	lp := ListParams{AgentID: q.Get("agentId"), PageSize: DefaultListBound, PageToken: q.Get("pageToken"), Query: q}
	if lp.AgentID != "" && !ValidAgentID(lp.AgentID) {
		return ListParams{}, problem.BadRequest("invalid-agent-id", "agentId must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return ListParams{}, problem.BadRequest("invalid-page-size", fmt.Sprintf("pageSize must be an integer from 1 to %d", MaxPageSize))
		}
		lp.PageSize = n
	}
	return lp, nil
}

// Unspecified is the enum value the docs use for "not set".
const Unspecified = "UNSPECIFIED"

// Enum matches v case-insensitively against allowed and returns the
// allowed spelling; "" and UNSPECIFIED (any case) give "". Anything else
// is 400 invalid-<field>.
func Enum(field, v string, allowed ...string) (string, error) {
	if v == "" || strings.EqualFold(v, Unspecified) {
		return "", nil
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, nil
		}
	}
	return "", problem.BadRequest("invalid-"+kebab(field), fmt.Sprintf("%s must be one of %s (any case)", field, strings.Join(append([]string{Unspecified}, allowed...), ", ")))
}

// kebab turns participantId into participant-id.
func kebab(s string) string {
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// WriteList writes items as a bare JSON array, newest first as the
// caller ordered them, and, when next is set, an RFC 8288 Link to the
// next page: the request's URL on the public base with pageToken=next.
func WriteList[T any](w http.ResponseWriter, r *http.Request, items []T, next string) error {
	if items == nil {
		items = []T{}
	}
	if next != "" {
		w.Header().Set("Link", "<"+NextPageURL(r, next)+`>; rel="next"`)
	}
	return WriteJSON(w, http.StatusOK, items)
}

// NextPageURL is r's URL on the public base with pageToken replaced by
// next (any existing pageToken spelling dropped).
func NextPageURL(r *http.Request, next string) string {
	q := r.URL.Query()
	for k := range q {
		if strings.EqualFold(k, "pageToken") {
			q.Del(k)
		}
	}
	q.Set("pageToken", next)
	return strings.TrimRight(PublicBase(r.Context()), "/") + r.URL.EscapedPath() + "?" + q.Encode()
}
