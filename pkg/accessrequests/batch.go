package accessrequests

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

const (
	// maxBatch bounds a batch decision: each id is its own transaction and
	// the whole batch must fit one Lambda invocation.
	maxBatch = 100
	// batchWorkers decides this many ids at a time.
	batchWorkers = 8
)

// BatchResult is one id's outcome: the request as the single verb would
// have answered it, or the problem it would have answered (RFC 9457).
type BatchResult[V any] struct {
	ID            string         `json:"id"`
	AccessRequest *V             `json:"accessRequest"`
	Problem       map[string]any `json:"problem"`
}

// BatchResponse lists the results in the order of the ids.
type BatchResponse[V any] struct {
	Results []BatchResult[V] `json:"results"`
}

type batchApproveBody struct {
	IDs []string `json:"ids"`
	approveBody
}

type batchNoteBody struct {
	IDs  []string `json:"ids"`
	Note *string  `json:"note"`
}

// readBatch decodes and validates a batch body of verb (approve takes
// the approve body's fields, reject only note; legacy approve takes note
// only too) before any read.
func readBatch(r *http.Request, verb string, noteOnly bool) ([]string, actionInput, error) {
	var in actionInput
	var ids []string
	var err error
	if verb == "approve" && !noteOnly {
		var b batchApproveBody
		if err := httpapi.DecodeJSON(r, &b); err != nil {
			return nil, in, err
		}
		ids = b.IDs
		if in.note, err = checkNote(b.Note); err != nil {
			return nil, in, err
		}
		if in.mode, in.target, in.display, err = validateApprove(b.approveBody); err != nil {
			return nil, in, err
		}
	} else {
		var b batchNoteBody
		if err := httpapi.DecodeJSON(r, &b); err != nil {
			return nil, in, err
		}
		ids = b.IDs
		if in.note, err = checkNote(b.Note); err != nil {
			return nil, in, err
		}
		in.mode = ModeUnspecified
	}
	if len(ids) == 0 || len(ids) > maxBatch {
		return nil, in, problem.BadRequest("invalid-ids", fmt.Sprintf("ids must list 1 to %d access request ids", maxBatch))
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		v, err := httpapi.ParseID(fmt.Sprintf("ids[%d]", i), id)
		if err != nil {
			return nil, in, err
		}
		if seen[v] {
			return nil, in, problem.BadRequest("duplicate-id", fmt.Sprintf("ids[%d] repeats %s", i, v))
		}
		seen[v] = true
		ids[i] = v
	}
	return ids, in, nil
}

// batchVerb is the decision of a batch route's verb segment.
func batchVerb(r *http.Request) string {
	_, verb := httpapi.SplitVerb(r.URL.Path)
	if verb == "batchApprove" {
		return "approve"
	}
	return "reject"
}

// batch serves participantAccessRequests:batchApprove and :batchReject:
// each id is read, authorized (EDITOR on its agent) and decided as the
// single verb does, in its own transaction.
func (s *Service) batch(w http.ResponseWriter, r *http.Request) error {
	verb := batchVerb(r)
	ids, in, err := readBatch(r, verb, false)
	if err != nil {
		return err
	}
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return err
	}
	if _, _, err := authz.TenantRole(r.Context(), tenant); err != nil {
		return err
	}
	roles := s.roleCache(tenant)
	single := singlePath(r.URL.Path)
	results := runBatch(r.Context(), ids, single, verb, func(ctx context.Context, id string) (View, error) {
		ar, err := s.store.GetAccessRequest(ctx, tenant, id)
		if err != nil {
			return View{}, err
		}
		if err := roles(ctx, ar.AgentID); err != nil {
			return View{}, err
		}
		out, err := s.apply(ctx, tenant, ar, verb, in)
		return ViewOf(out), err
	})
	return httpapi.WriteJSON(w, http.StatusOK, BatchResponse[View]{Results: results})
}

// legacyBatch serves chatUserAccessRequests:batchApprove and
// :batchReject ({ids, note}); the caller needs EDITOR on the path's agent,
// and an id of another agent is 404 as in the single verbs.
func (s *Service) legacyBatch(w http.ResponseWriter, r *http.Request) error {
	verb := batchVerb(r)
	ids, in, err := readBatch(r, verb, true)
	if err != nil {
		return err
	}
	tenant, err := httpapi.Tenant(r)
	if err != nil {
		return err
	}
	agent, err := legacyAgent(r)
	if err != nil {
		return err
	}
	if _, err := s.authz.Require(r.Context(), tenant, agent, authz.Editor); err != nil {
		return err
	}
	single := singlePath(r.URL.Path)
	results := runBatch(r.Context(), ids, single, verb, func(ctx context.Context, id string) (ChatUserView, error) {
		ar, err := s.store.GetAccessRequest(ctx, tenant, id)
		if err != nil {
			return ChatUserView{}, err
		}
		if ar.AgentID != agent {
			return ChatUserView{}, store.ErrNotFound
		}
		out, err := s.apply(ctx, tenant, ar, verb, in)
		return ChatUserViewOf(tenant, out), err
	})
	return httpapi.WriteJSON(w, http.StatusOK, BatchResponse[ChatUserView]{Results: results})
}

// roleCache returns a check of EDITOR on an agent that reads each
// agent's role once per batch.
func (s *Service) roleCache(tenant string) func(ctx context.Context, agent string) error {
	var mu sync.Mutex
	checked := map[string]func() error{}
	return func(ctx context.Context, agent string) error {
		mu.Lock()
		check, ok := checked[agent]
		if !ok {
			check = sync.OnceValue(func() error {
				_, err := s.authz.Require(ctx, tenant, agent, authz.Editor)
				return err
			})
			checked[agent] = check
		}
		mu.Unlock()
		return check()
	}
}

// singlePath is the collection path of a batch route (its verb cut).
func singlePath(p string) string {
	if i := strings.LastIndexByte(p, ':'); i >= 0 {
		return p[:i]
	}
	return p
}

// runBatch decides every id with one, batchWorkers at a time, and
// returns the results in the order of ids. A failure becomes the problem
// the single verb's URL would have answered (5xx causes are logged).
func runBatch[V any](ctx context.Context, ids []string, collection, verb string, one func(context.Context, string) (V, error)) []BatchResult[V] {
	results := make([]BatchResult[V], len(ids))
	sem := make(chan struct{}, batchWorkers)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i].ID = id
			v, err := one(ctx, id)
			if err != nil {
				results[i].Problem = problemBody(ctx, err, collection+"/"+id+":"+verb)
				return
			}
			results[i].AccessRequest = &v
		})
	}
	wg.Wait()
	return results
}

// problemBody is the RFC 9457 object the renderer writes for err.
func problemBody(ctx context.Context, err error, instance string) map[string]any {
	p := httpapi.Classify(err)
	if p.Status >= 500 {
		slog.ErrorContext(ctx, "batch item failed", "instance", instance, "status", p.Status, "err", err)
	}
	return httpapi.ProblemBody(p, instance)
}
