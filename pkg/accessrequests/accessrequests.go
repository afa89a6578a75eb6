// Package accessrequests serves /v1/tenants/{tenant}/participantAccessRequests
// (get, list, approve, reject, block and unblock; seed 000) and the legacy
// /v1/tenants/{tenant}/agents/{agentId}/chatUserAccessRequests (get, list,
// approve, reject; seed 002), a view of the same stored requests decided by
// the same code.
package accessrequests

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/avatarsync"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Function is the Lambda (template.yaml logical id) serving these routes.
const Function = "AccessRequestsFunction"

const (
	base = "/v1/tenants/{tenant}/participantAccessRequests"

	maxNote        = 4000
	maxDisplayName = 150

	// maxScanPages bounds the index pages a tenant-wide list reads for a
	// caller who sees only some agents' requests.
	maxScanPages = 10
)

// Store is the persistence the service needs.
type Store interface {
	GetAccessRequest(ctx context.Context, tenant, id string) (AccessRequest, error)
	ListAccessRequests(ctx context.Context, tenant string, f ListFilter) ([]AccessRequest, string, error)
	Decide(ctx context.Context, tenant string, cur AccessRequest, d Decision) (AccessRequest, error)
	Approve(ctx context.Context, tenant string, cur AccessRequest, a Approval) (AccessRequest, error)
	Unblock(ctx context.Context, tenant string, ar AccessRequest) error
}

// ApprovalHook adds writes to an approval's transaction, e.g. an outbox
// message queuing the new participant's avatar sync.
type ApprovalHook func(tenant string, ar AccessRequest, a Approval) []store.TxAction

// Service handles the routes.
type Service struct {
	store     Store
	authz     *authz.Authorizer
	now       func() time.Time
	OnApprove ApprovalHook
	OnDecide  DecisionHook
}

// New returns a Service.
func New(st Store, az *authz.Authorizer) *Service {
	return &Service{store: st, authz: az, now: time.Now}
}

// Routes builds the service from p and returns its routes; a nil p gives
// metadata-only routes.
func Routes(p *platform.Platform) ([]httpapi.Route, error) {
	if p == nil {
		return (*Service)(nil).Routes(), nil
	}
	s := New(NewRepo(p.Store), p.Authz)
	s.OnApprove = queueAvatarSync
	s.OnDecide = TellSender(connectors.NewRepo(p.Store))
	return s.Routes(), nil
}

// queueAvatarSync queues the avatar sync of a participant an approval
// creates, in the approval's transaction.
func queueAvatarSync(tenant string, ar AccessRequest, a Approval) []store.TxAction {
	if a.Mode != ModeCreateNew {
		return nil
	}
	return avatarsync.Enqueue(avatarsync.Payload{Tenant: tenant, ParticipantID: a.ParticipantID,
		IntegrationConfigID: ar.IntegrationConfigID, Address: ar.Address}, ar.Provider, ar.ID, a.At)
}

// Routes returns the route table entries of this resource.
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Function: Function, Method: http.MethodGet, Path: base, Handle: s.list},
		{Function: Function, Method: http.MethodPost, Path: base + ":batchApprove", Handle: s.batch},
		{Function: Function, Method: http.MethodPost, Path: base + ":batchReject", Handle: s.batch},
		{Function: Function, Method: http.MethodGet, Path: base + "/{idverb}", Handle: s.get},
		{Function: Function, Method: http.MethodPost, Path: base + "/{idverb}", Handle: s.act},
		{Function: Function, Method: http.MethodDelete, Path: base + "/{idverb}", Handle: s.unblock},
		{Function: Function, Method: http.MethodGet, Path: legacyBase, Handle: s.legacyList},
		{Function: Function, Method: http.MethodGet, Path: legacyBase + "/{idverb}", Handle: s.legacyGet},
		{Function: Function, Method: http.MethodPost, Path: legacyBase + "/{idverb}", Handle: s.legacyAct},
		{Function: Function, Method: http.MethodPost, Path: legacyBase + ":batchApprove", Handle: s.legacyBatch},
		{Function: Function, Method: http.MethodPost, Path: legacyBase + ":batchReject", Handle: s.legacyBatch},
	}
}

func (s *Service) load(r *http.Request, want authz.Role) (string, AccessRequest, error) {
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return "", AccessRequest{}, err
	}
	if _, _, err := authz.TenantRole(r.Context(), tenant); err != nil {
		return "", AccessRequest{}, err
	}
	idv, _ := httpapi.SplitVerb(r.PathValue("idverb"))
	id, err := httpapi.ParseID("id", idv)
	if err != nil {
		return "", AccessRequest{}, err
	}
	ar, err := s.store.GetAccessRequest(r.Context(), tenant, id)
	if err != nil {
		return "", AccessRequest{}, err
	}
	if _, err := s.authz.Require(r.Context(), tenant, ar.AgentID, want); err != nil {
		return "", AccessRequest{}, err
	}
	return tenant, ar, nil
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) error {
	if _, verb := httpapi.SplitVerb(r.PathValue("idverb")); verb != "" {
		return problem.NotFound("no route for GET with verb :" + verb)
	}
	_, ar, err := s.load(r, authz.Viewer)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, ViewOf(ar))
}

// parseStatus reads the status filter: any case, UNSPECIFIED or absent
// for every status.
func parseStatus(q httpapi.Query) (string, error) {
	return httpapi.Enum("status", q.Get("status"), StatusPending, StatusApproved, StatusRejected, StatusBlocked)
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return err
	}
	lp, err := httpapi.ParseList(r, "status", "participantId")
	if err != nil {
		return err
	}
	f := ListFilter{AgentID: lp.AgentID, PageSize: lp.PageSize, PageToken: lp.PageToken}
	if f.Status, err = parseStatus(lp.Query); err != nil {
		return err
	}
	if v := lp.Query.Get("participantId"); v != "" {
		if f.ParticipantID, err = httpapi.ParseID("participantId", v); err != nil {
			return err
		}
	}
	p, trole, err := authz.TenantRole(r.Context(), tenant)
	if err != nil {
		return err
	}
	var items []AccessRequest
	var next string
	switch {
	case f.AgentID != "":
		if _, err := s.authz.Require(r.Context(), tenant, f.AgentID, authz.Viewer); err != nil {
			return err
		}
		items, next, err = s.store.ListAccessRequests(r.Context(), tenant, f)
	case trole == "ADMIN":
		items, next, err = s.store.ListAccessRequests(r.Context(), tenant, f)
	default:
		items, next, err = s.listVisible(r.Context(), tenant, p.Subject, f)
	}
	if err != nil {
		return err
	}
	views := make([]View, len(items))
	for i, a := range items {
		views[i] = ViewOf(a)
	}
	return httpapi.WriteList(w, r, views, next)
}

// listVisible is the tenant-wide list (the docs' triage page) for a
// caller who is not a tenant ADMIN: the requests of the agents the caller
// holds a role on. No index lists a subject's agents, so it reads the
// tenant-wide index newest first, keeps the rows of agents the caller has
// a role on (one BatchGet for the agents each read brings up first), and
// reads on until the page is full or maxScanPages reads were made; the
// token continues from where it stopped, so a page may hold fewer rows
// than pageSize (even none) and still have a next page.
func (s *Service) listVisible(ctx context.Context, tenant, subject string, f ListFilter) ([]AccessRequest, string, error) {
	visible := map[string]bool{}
	want := f.PageSize
	out := []AccessRequest{}
	for range maxScanPages {
		// Never read past what the page can hold, so the token resumes
		// exactly after the last row considered.
		f.PageSize = want - len(out)
		items, next, err := s.store.ListAccessRequests(ctx, tenant, f)
		if err != nil {
			return nil, "", err
		}
		var unseen []string
		for _, a := range items {
			if _, ok := visible[a.AgentID]; !ok {
				visible[a.AgentID] = false
				unseen = append(unseen, a.AgentID)
			}
		}
		if len(unseen) > 0 {
			roles, err := s.authz.MemberRoles(ctx, tenant, subject, unseen)
			if err != nil {
				return nil, "", err
			}
			for _, agent := range unseen {
				visible[agent] = authz.ParseRole(roles[agent]) >= authz.Viewer
			}
		}
		for _, a := range items {
			if visible[a.AgentID] {
				out = append(out, a)
			}
		}
		if next == "" || len(out) == want {
			return out, next, nil
		}
		f.PageToken = next
	}
	return out, f.PageToken, nil
}

type noteBody struct {
	Note *string `json:"note"`
}

type approveBody struct {
	Mode          *string `json:"mode"`
	DisplayName   *string `json:"displayName"`
	ParticipantID *string `json:"participantId"`
	Note          *string `json:"note"`
}

func checkNote(n *string) (string, error) {
	if n == nil {
		return "", nil
	}
	if utf8.RuneCountInString(*n) > maxNote {
		return "", problem.BadRequest("note-too-long", "note must be at most 4000 characters")
	}
	return *n, nil
}

func (s *Service) act(w http.ResponseWriter, r *http.Request) error {
	_, verb := httpapi.SplitVerb(r.PathValue("idverb"))
	switch verb {
	case "approve", "reject", "block":
	default:
		return problem.NotFound("unknown action " + strconv.Quote(verb) + "; use :approve, :reject or :block")
	}
	// Validate the body before any read so bad input costs nothing.
	in, err := readAction(r, verb)
	if err != nil {
		return err
	}
	tenant, ar, err := s.load(r, authz.Editor)
	if err != nil {
		return err
	}
	out, err := s.apply(r.Context(), tenant, ar, verb, in)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, ViewOf(out))
}

// apply decides ar (verb approve, reject or block) for the caller; both
// API families decide through it. A request no longer PENDING is 400
// not-pending (the docs); losing a race to another decision is 409.
func (s *Service) apply(ctx context.Context, tenant string, ar AccessRequest, verb string, in actionInput) (AccessRequest, error) {
	if ar.Status != StatusPending {
		return AccessRequest{}, notPending(ar)
	}
	p, _, err := authz.TenantRole(ctx, tenant)
	if err != nil {
		return AccessRequest{}, err
	}
	out, err := s.decide(ctx, tenant, ar, verb, in, p.Subject, s.now().UnixMilli())
	if errors.Is(err, ErrNotPending) {
		return AccessRequest{}, problem.Wrap(err, http.StatusConflict, "concurrent-decision", "another operator decided this request at the same time")
	}
	return out, err
}

// actionInput is a validated action body; mode, target and display are
// the approval's (approve only).
type actionInput struct {
	note, mode, target, display string
}

// readAction decodes and validates the body of verb.
func readAction(r *http.Request, verb string) (actionInput, error) {
	var in actionInput
	var err error
	if verb != "approve" {
		var nb noteBody
		if err := httpapi.DecodeJSON(r, &nb); err != nil {
			return in, err
		}
		in.note, err = checkNote(nb.Note)
		return in, err
	}
	var ab approveBody
	if err := httpapi.DecodeJSON(r, &ab); err != nil {
		return in, err
	}
	if in.note, err = checkNote(ab.Note); err != nil {
		return in, err
	}
	in.mode, in.target, in.display, err = validateApprove(ab)
	return in, err
}

// decide applies verb to the PENDING request ar on behalf of by.
func (s *Service) decide(ctx context.Context, tenant string, ar AccessRequest, verb string, in actionInput, by string, now int64) (AccessRequest, error) {
	switch verb {
	case "reject":
		extra, err := s.onDecide(ctx, tenant, ar, StatusRejected, now)
		if err != nil {
			return AccessRequest{}, err
		}
		return s.store.Decide(ctx, tenant, ar, Decision{Status: StatusRejected, By: by, Note: in.note, At: now, Extra: extra})
	case "block":
		return s.store.Decide(ctx, tenant, ar, Decision{Status: StatusBlocked, By: by, Note: in.note, At: now})
	}
	a, err := resolveApproval(ar, in.mode, in.target, in.display)
	if err != nil {
		return AccessRequest{}, err
	}
	a.By, a.Note, a.At, a.BindingID = by, in.note, now, uuid.NewString()
	if s.OnApprove != nil {
		a.Extra = s.OnApprove(tenant, ar, a)
	}
	told, err := s.onDecide(ctx, tenant, ar, StatusApproved, now)
	if err != nil {
		return AccessRequest{}, err
	}
	a.Extra = append(a.Extra, told...)
	return s.store.Approve(ctx, tenant, ar, a)
}

// onDecide runs the decision hook, if any.
func (s *Service) onDecide(ctx context.Context, tenant string, ar AccessRequest, status string, now int64) ([]store.TxAction, error) {
	if s.OnDecide == nil {
		return nil, nil
	}
	return s.OnDecide(ctx, tenant, ar, status, now)
}

func notPending(ar AccessRequest) error {
	return problem.Newf(http.StatusBadRequest, "not-pending", "the access request is %s, not PENDING", ar.Status).With("currentStatus", ar.Status)
}

// validateApprove checks an approve body against the docs' schema (mode
// in any case, null or absent = UNSPECIFIED; displayName ≤ 150;
// participantId a UUID) and drops what the mode ignores: participantId
// outside ADD_TO_EXISTING (displayName is used by CREATE_NEW only, see
// resolveApproval).
func validateApprove(b approveBody) (mode, target, display string, err error) {
	mode = ModeUnspecified
	if b.Mode != nil {
		m, err := httpapi.Enum("mode", *b.Mode, ModeCreateNew, ModeAddToExisting, ModeBindOnly)
		if err != nil {
			return "", "", "", err
		}
		if m != "" {
			mode = m
		}
	}
	if b.DisplayName != nil {
		display = *b.DisplayName
		if n := utf8.RuneCountInString(display); n > maxDisplayName {
			return "", "", "", problem.BadRequest("display-name-too-long", "displayName must be at most 150 characters")
		}
	}
	if b.ParticipantID != nil && *b.ParticipantID != "" {
		if target, err = httpapi.ParseID("participantId", *b.ParticipantID); err != nil {
			return "", "", "", err
		}
	}
	if mode != ModeAddToExisting {
		return mode, "", display, nil
	}
	if target == "" {
		return "", "", "", problem.BadRequest("participant-id-required", "mode ADD_TO_EXISTING requires participantId")
	}
	return mode, target, display, nil
}

func resolveApproval(ar AccessRequest, mode, target, display string) (Approval, error) {
	if mode == ModeUnspecified {
		mode = ModeCreateNew
		if ar.MatchedParticipantID != "" {
			mode = ModeBindOnly
		}
	}
	a := Approval{Mode: mode}
	switch mode {
	case ModeCreateNew:
		a.ParticipantID = uuid.NewString()
		a.DisplayName = display
		if a.DisplayName == "" {
			a.DisplayName = ar.DisplayName
		}
		if a.DisplayName == "" {
			a.DisplayName = ar.Address
		}
		if utf8.RuneCountInString(a.DisplayName) > maxDisplayName {
			a.DisplayName = string([]rune(a.DisplayName)[:maxDisplayName])
		}
	case ModeAddToExisting:
		a.ParticipantID = target
	case ModeBindOnly:
		if ar.MatchedParticipantID == "" {
			return a, problem.BadRequest("no-matched-participant", "mode BIND_ONLY needs a request with a matchedParticipantId")
		}
		a.ParticipantID = ar.MatchedParticipantID
	}
	return a, nil
}

func (s *Service) unblock(w http.ResponseWriter, r *http.Request) error {
	if _, verb := httpapi.SplitVerb(r.PathValue("idverb")); verb != "block" {
		return problem.NotFound("only DELETE .../{id}:block is supported")
	}
	tenant, ar, err := s.load(r, authz.Editor)
	if err != nil {
		return err
	}
	if ar.Status != StatusBlocked {
		return problem.Newf(http.StatusBadRequest, "not-blocked", "the access request is %s, not BLOCKED", ar.Status).With("currentStatus", ar.Status)
	}
	if err := s.store.Unblock(r.Context(), tenant, ar); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
