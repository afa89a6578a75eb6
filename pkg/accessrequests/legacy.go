package accessrequests

import (
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// legacyBase is the per-agent model of seed 002 (the docs' "chat user
// access requests"): the same stored requests in that vocabulary.
const legacyBase = "/v1/tenants/{tenant}/agents/{agentId}/chatUserAccessRequests"

// legacyAgent validates the {agentId} path value (the docs call it {agent}; API Gateway needs one name per position under /agents/).
func legacyAgent(r *http.Request) (string, error) {
	a := r.PathValue("agentId")
	if !httpapi.ValidAgentID(a) {
		return "", problem.BadRequest("invalid-agent-id", "agent must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	return a, nil
}

// loadForAgent reads the request named by the path for a caller holding
// want on the path's agent. The id is valid only with its own agent: a
// request of another agent is 404, as is an agent where the caller has no
// role.
func (s *Service) loadForAgent(r *http.Request, want authz.Role) (string, AccessRequest, error) {
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return "", AccessRequest{}, err
	}
	agent, err := legacyAgent(r)
	if err != nil {
		return "", AccessRequest{}, err
	}
	idv, _ := httpapi.SplitVerb(r.PathValue("idverb"))
	id, err := httpapi.ParseID("accessRequest", idv)
	if err != nil {
		return "", AccessRequest{}, err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, want); err != nil {
		return "", AccessRequest{}, err
	}
	ar, err := s.store.GetAccessRequest(r.Context(), tenant, id)
	if err != nil {
		return "", AccessRequest{}, err
	}
	if ar.AgentID != agent {
		return "", AccessRequest{}, store.ErrNotFound
	}
	return tenant, ar, nil
}

func (s *Service) legacyGet(w http.ResponseWriter, r *http.Request) error {
	if _, verb := httpapi.SplitVerb(r.PathValue("idverb")); verb != "" {
		return problem.NotFound("no route for GET with verb :" + verb)
	}
	tenant, ar, err := s.loadForAgent(r, authz.Viewer)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, ChatUserViewOf(tenant, ar))
}

func (s *Service) legacyList(w http.ResponseWriter, r *http.Request) error {
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return err
	}
	agent, err := legacyAgent(r)
	if err != nil {
		return err
	}
	lp, err := httpapi.ParseList(r, "status")
	if err != nil {
		return err
	}
	if lp.AgentID != "" {
		// The agent is the path's; a second one in the query is a typo.
		return problem.BadRequest("unknown-parameter", `unknown query parameter "agentId"`)
	}
	f := ListFilter{AgentID: agent, PageSize: lp.PageSize, PageToken: lp.PageToken}
	if f.Status, err = parseStatus(lp.Query); err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Viewer); err != nil {
		return err
	}
	items, next, err := s.store.ListAccessRequests(r.Context(), tenant, f)
	if err != nil {
		return err
	}
	views := make([]ChatUserView, len(items))
	for i, a := range items {
		views[i] = ChatUserViewOf(tenant, a)
	}
	return httpapi.WriteList(w, r, views, next)
}

// legacyAct serves :approve and :reject. Their body is {note} only;
// approving decides as the other family's approve with mode UNSPECIFIED
// (bind the matched participant, else create one).
func (s *Service) legacyAct(w http.ResponseWriter, r *http.Request) error {
	_, verb := httpapi.SplitVerb(r.PathValue("idverb"))
	switch verb {
	case "approve", "reject":
	default:
		return problem.NotFound("unknown action " + strconv.Quote(verb) + "; use :approve or :reject")
	}
	var nb noteBody
	if err := httpapi.DecodeJSON(r, &nb); err != nil {
		return err
	}
	note, err := checkNote(nb.Note)
	if err != nil {
		return err
	}
	tenant, ar, err := s.loadForAgent(r, authz.Editor)
	if err != nil {
		return err
	}
	out, err := s.apply(r.Context(), tenant, ar, verb, actionInput{note: note, mode: ModeUnspecified})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, ChatUserViewOf(tenant, out))
}
