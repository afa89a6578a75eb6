package contract_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/contract"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
)

// arProblem is a Fruxon error: RFC 9457 problem JSON, with the extension
// members the access request routes add.
var arProblem = contract.Object{
	"type": contract.String, "title": contract.String, "status": contract.Int, "detail": contract.String, "instance": contract.String,
	"currentStatus": contract.Extension(contract.OneOf("PENDING", "APPROVED", "REJECTED", "BLOCKED")),
	"participantId": contract.Extension(contract.UUID),
	"accepted":      contract.Extension(contract.String),
}

const (
	arTenant = "acme"
	arAgent  = "agent-1"
)

// arFixture seeds what a row's request names; each call makes a fresh
// request so that rows do not see each other's decisions.
type arFixture struct {
	t           *testing.T
	env         *apikit.Env
	participant string // an existing participant, bound to arAgent
	// channel is the participant's channel (connector and address).
	channel accessrequests.AccessRequest
}

func (f *arFixture) seed(ar accessrequests.AccessRequest) string {
	return f.env.SeedRequest(f.t, arTenant, ar).ID
}

// pending is a fresh PENDING request of arAgent.
func (f *arFixture) pending() string {
	return f.seed(accessrequests.AccessRequest{AgentID: arAgent, DisplayName: "Dana Scully", ConversationName: "#support"})
}

// matched is a PENDING request matched to f.participant.
func (f *arFixture) matched() string {
	return f.seed(accessrequests.AccessRequest{AgentID: arAgent, MatchedParticipantID: f.participant})
}

// rejected is a request already decided.
func (f *arFixture) rejected() string {
	id := f.pending()
	if r := f.env.Do(f.t, "POST", "/v1/tenants/"+arTenant+"/participantAccessRequests/"+id+":reject", f.token("editor"), `{}`); r.Status != 200 {
		f.t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	return id
}

func (f *arFixture) token(who string) string {
	switch who {
	case "":
		return ""
	case "admin":
		return f.env.Token(f.t, "admin", map[string]string{arTenant: "ADMIN"})
	}
	return f.env.Token(f.t, who, map[string]string{arTenant: "MEMBER"})
}

// arRow is one documented call: request → status + shape.
type arRow struct {
	name   string
	who    string // admin (tenant ADMIN), editor, viewer, nobody (no role), "" (no token)
	method string
	path   func(f *arFixture) string // under /v1/tenants/{tenant}
	body   string
	ctype  string // Content-Type; "" = application/json when there is a body
	status int
	shape  contract.Shape
	// problem is the error's type slug; fields are top-level values a
	// success body must have.
	problem string
	fields  map[string]any
}

func arPath(verb string, id func(f *arFixture) string) func(f *arFixture) string {
	return func(f *arFixture) string {
		p := "/participantAccessRequests/" + id(f)
		if verb != "" {
			p += ":" + verb
		}
		return p
	}
}

func arLegacyPath(verb string, id func(f *arFixture) string) func(f *arFixture) string {
	return func(f *arFixture) string {
		p := "/agents/" + arAgent + "/chatUserAccessRequests/" + id(f)
		if verb != "" {
			p += ":" + verb
		}
		return p
	}
}

func arFixed(p string) func(*arFixture) string { return func(*arFixture) string { return p } }

func arPending(f *arFixture) string  { return f.pending() }
func arMatched(f *arFixture) string  { return f.matched() }
func arRejected(f *arFixture) string { return f.rejected() }

// arTaken is a PENDING request from the existing participant's channel.
func arTaken(f *arFixture) string {
	return f.seed(accessrequests.AccessRequest{AgentID: arAgent, IntegrationConfigID: f.channel.IntegrationConfigID, Address: f.channel.Address})
}

func arOtherAgent(f *arFixture) string {
	return f.seed(accessrequests.AccessRequest{AgentID: "agent-2"})
}

func arRows() []arRow {
	one, list := contract.ParticipantAccessRequest, contract.ParticipantAccessRequests
	cu, cus := contract.ChatUserAccessRequest, contract.ChatUserAccessRequests
	long := func(n int) string { return strings.Repeat("x", n) }
	return []arRow{
		// §1.1 list: the agent overview tab and the tenant triage page.
		{name: "list agent overview", who: "viewer", method: "GET", path: arFixed("/participantAccessRequests?agentId=" + arAgent + "&status=pending"), status: 200, shape: list},
		{name: "list rendered names", who: "viewer", method: "GET", path: arFixed("/participantAccessRequests?AgentId=" + arAgent + "&Status=PENDING"), status: 200, shape: list},
		{name: "list status APPROVED", who: "viewer", method: "GET", path: arFixed("/participantAccessRequests?AgentId=" + arAgent + "&Status=APPROVED"), status: 200, shape: list},
		{name: "list status REJECTED", who: "viewer", method: "GET", path: arFixed("/participantAccessRequests?AgentId=" + arAgent + "&Status=REJECTED"), status: 200, shape: list},
		{name: "list status UNSPECIFIED", who: "viewer", method: "GET", path: arFixed("/participantAccessRequests?AgentId=" + arAgent + "&Status=UNSPECIFIED"), status: 200, shape: list},
		{name: "list by participant", who: "viewer", method: "GET", path: func(f *arFixture) string {
			return "/participantAccessRequests?ParticipantId=" + f.participant
		}, status: 200, shape: list},
		{name: "list triage as tenant admin", who: "admin", method: "GET", path: arFixed("/participantAccessRequests"), status: 200, shape: list},
		{name: "list triage as member", who: "viewer", method: "GET", path: arFixed("/participantAccessRequests"), status: 200, shape: list},
		{name: "list unknown status", who: "viewer", method: "GET", path: arFixed("/participantAccessRequests?Status=MAYBE"), status: 400, shape: arProblem, problem: "invalid-status"},
		{name: "list without token", who: "", method: "GET", path: arFixed("/participantAccessRequests"), status: 401, shape: arProblem, problem: "unauthenticated"},
		{name: "list agent without role", who: "nobody", method: "GET", path: arFixed("/participantAccessRequests?AgentId=" + arAgent), status: 404, shape: arProblem, problem: "not-found"},

		// §1.2 get.
		{name: "get", who: "viewer", method: "GET", path: arPath("", arPending), status: 200, shape: one, fields: map[string]any{"status": "PENDING", "displayName": "Dana Scully"}},
		{name: "get unknown", who: "viewer", method: "GET", path: arFixed("/participantAccessRequests/497f6eca-6276-4993-bfeb-53cbbbba6f08"), status: 404, shape: arProblem, problem: "not-found"},
		{name: "get not a uuid", who: "viewer", method: "GET", path: arFixed("/participantAccessRequests/nope"), status: 400, shape: arProblem, problem: "invalid-id"},

		// §1.3 approve: the docs' example sends {}.
		{name: "approve {}", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{}`, status: 200, shape: one, fields: map[string]any{"status": "APPROVED", "processedBy": "editor"}},
		{name: "approve no body", who: "editor", method: "POST", path: arPath("approve", arPending), status: 200, shape: one, fields: map[string]any{"status": "APPROVED"}},
		{name: "approve UNSPECIFIED", who: "editor", method: "POST", path: arPath("approve", arMatched), body: `{"mode":"UNSPECIFIED"}`, status: 200, shape: one, fields: map[string]any{"status": "APPROVED"}},
		{name: "approve mode null", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{"mode":null,"displayName":null,"participantId":null,"note":null}`, status: 200, shape: one},
		{name: "approve CREATE_NEW", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{"mode":"CREATE_NEW","displayName":"` + long(150) + `","note":"` + long(4000) + `"}`, status: 200, shape: one, fields: map[string]any{"processingNote": long(4000)}},
		{name: "approve ADD_TO_EXISTING", who: "editor", method: "POST", path: arPath("approve", arPending), body: "", status: 200, shape: one},
		{name: "approve BIND_ONLY", who: "editor", method: "POST", path: arPath("approve", arMatched), body: `{"mode":"BIND_ONLY"}`, status: 200, shape: one},
		{name: "approve ignores participantId outside ADD_TO_EXISTING", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{"mode":"CREATE_NEW","participantId":"497f6eca-6276-4993-bfeb-53cbbbba6f08"}`, status: 200, shape: one},
		{name: "approve ignores displayName outside CREATE_NEW", who: "editor", method: "POST", path: arPath("approve", arMatched), body: `{"mode":"BIND_ONLY","displayName":"ignored"}`, status: 200, shape: one},
		{name: "approve not pending", who: "editor", method: "POST", path: arPath("approve", arRejected), body: `{}`, status: 400, shape: arProblem, problem: "not-pending"},
		{name: "approve BIND_ONLY without a match", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{"mode":"BIND_ONLY"}`, status: 400, shape: arProblem, problem: "no-matched-participant"},
		{name: "approve ADD_TO_EXISTING without participantId", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{"mode":"ADD_TO_EXISTING"}`, status: 400, shape: arProblem, problem: "participant-id-required"},
		{name: "approve unknown mode", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{"mode":"MAYBE"}`, status: 400, shape: arProblem, problem: "invalid-mode"},
		{name: "approve displayName 151", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{"displayName":"` + long(151) + `"}`, status: 400, shape: arProblem, problem: "display-name-too-long"},
		{name: "approve note 4001", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{"note":"` + long(4001) + `"}`, status: 400, shape: arProblem, problem: "note-too-long"},
		{name: "approve extra key", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{"kind":"PERSON"}`, status: 400, shape: arProblem, problem: "unknown-field"},
		{name: "approve as viewer", who: "viewer", method: "POST", path: arPath("approve", arPending), body: `{}`, status: 403, shape: arProblem, problem: "forbidden"},
		{name: "approve without role", who: "nobody", method: "POST", path: arPath("approve", arPending), body: `{}`, status: 404, shape: arProblem, problem: "not-found"},
		// Extensions: a channel already owned by another participant.
		{name: "approve channel taken", who: "editor", method: "POST", path: arPath("approve", arTaken), body: `{"mode":"CREATE_NEW"}`, status: 409, shape: arProblem, problem: "channel-taken"},
		{name: "approve text/plain", who: "editor", method: "POST", path: arPath("approve", arPending), body: `{}`, ctype: "text/plain", status: 415, shape: arProblem, problem: "unsupported-media-type"},

		// §1.4 reject.
		{name: "reject {}", who: "editor", method: "POST", path: arPath("reject", arPending), body: `{}`, status: 200, shape: one, fields: map[string]any{"status": "REJECTED", "processingNote": nil}},
		{name: "reject note", who: "editor", method: "POST", path: arPath("reject", arPending), body: `{"note":"not now"}`, status: 200, shape: one, fields: map[string]any{"status": "REJECTED", "processingNote": "not now"}},
		{name: "reject extra key", who: "editor", method: "POST", path: arPath("reject", arPending), body: `{"note":"x","mode":"BIND_ONLY"}`, status: 400, shape: arProblem, problem: "unknown-field"},
		{name: "reject not pending", who: "editor", method: "POST", path: arPath("reject", arRejected), body: `{}`, status: 400, shape: arProblem, problem: "not-pending"},
		{name: "reject as viewer", who: "viewer", method: "POST", path: arPath("reject", arPending), body: `{}`, status: 403, shape: arProblem, problem: "forbidden"},

		// §2 legacy chat-user access requests: the same rows per agent.
		{name: "legacy list", who: "viewer", method: "GET", path: arFixed("/agents/" + arAgent + "/chatUserAccessRequests"), status: 200, shape: cus},
		{name: "legacy list Status=Pending", who: "viewer", method: "GET", path: arFixed("/agents/" + arAgent + "/chatUserAccessRequests?Status=Pending"), status: 200, shape: cus},
		{name: "legacy list UNSPECIFIED", who: "viewer", method: "GET", path: arFixed("/agents/" + arAgent + "/chatUserAccessRequests?Status=UNSPECIFIED"), status: 200, shape: cus},
		{name: "legacy list without token", who: "", method: "GET", path: arFixed("/agents/" + arAgent + "/chatUserAccessRequests"), status: 401, shape: arProblem, problem: "unauthenticated"},
		{name: "legacy list without role", who: "nobody", method: "GET", path: arFixed("/agents/" + arAgent + "/chatUserAccessRequests"), status: 404, shape: arProblem, problem: "not-found"},
		{name: "legacy get", who: "viewer", method: "GET", path: arLegacyPath("", arPending), status: 200, shape: cu, fields: map[string]any{"status": "PENDING", "userName": "Dana Scully", "tenantId": arTenant}},
		{name: "legacy get of another agent's id", who: "admin", method: "GET", path: arLegacyPath("", arOtherAgent), status: 404, shape: arProblem, problem: "not-found"},
		{name: "legacy approve", who: "editor", method: "POST", path: arLegacyPath("approve", arPending), body: `{"note":"welcome"}`, status: 200, shape: cu, fields: map[string]any{"status": "APPROVED", "processingNote": "welcome"}},
		{name: "legacy approve no body", who: "editor", method: "POST", path: arLegacyPath("approve", arMatched), status: 200, shape: cu, fields: map[string]any{"status": "APPROVED"}},
		{name: "legacy approve not pending", who: "editor", method: "POST", path: arLegacyPath("approve", arRejected), body: `{}`, status: 400, shape: arProblem, problem: "not-pending"},
		{name: "legacy approve extra key", who: "editor", method: "POST", path: arLegacyPath("approve", arPending), body: `{"mode":"CREATE_NEW"}`, status: 400, shape: arProblem, problem: "unknown-field"},
		{name: "legacy approve as viewer", who: "viewer", method: "POST", path: arLegacyPath("approve", arPending), body: `{}`, status: 403, shape: arProblem, problem: "forbidden"},
		{name: "legacy reject", who: "editor", method: "POST", path: arLegacyPath("reject", arPending), body: `{"note":"no"}`, status: 200, shape: cu, fields: map[string]any{"status": "REJECTED", "processingNote": "no"}},
		{name: "legacy reject text/plain", who: "editor", method: "POST", path: arLegacyPath("reject", arPending), body: `{}`, ctype: "text/plain", status: 415, shape: arProblem, problem: "unsupported-media-type"},
	}
}

func TestAccessRequestsContract(t *testing.T) {
	env := apikit.New(t)
	env.SeedMember(t, arTenant, arAgent, "editor", authz.RoleEditor)
	env.SeedMember(t, arTenant, arAgent, "viewer", authz.RoleViewer)
	env.SeedMember(t, arTenant, "agent-2", "nobody", authz.RoleEditor)
	f := &arFixture{t: t, env: env}
	// An existing participant, made by the documented approve.
	first := f.pending()
	if f.channel, _ = accessrequests.NewRepo(env.Platform.Store).GetAccessRequest(context.Background(), arTenant, first); f.channel.ID == "" {
		t.Fatal("seeded request not found")
	}
	r := env.Do(t, "POST", "/v1/tenants/"+arTenant+"/participantAccessRequests/"+first+":approve", f.token("editor"), `{"mode":"CREATE_NEW"}`)
	if r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	contract.Check(t, []byte(r.Body), contract.ParticipantAccessRequest)
	f.participant = arField(t, r.Body, "approvedParticipantId")

	for _, row := range arRows() {
		t.Run(row.name, func(t *testing.T) {
			f.t = t
			body := row.body
			if row.name == "approve ADD_TO_EXISTING" {
				body = fmt.Sprintf(`{"mode":"ADD_TO_EXISTING","participantId":%q}`, f.participant)
			}
			status, got := arDo(t, env, row.method, "/v1/tenants/"+arTenant+row.path(f), f.token(row.who), body, row.ctype)
			if status != row.status {
				t.Fatalf("status = %d, want %d: %s", status, row.status, got)
			}
			if checkBody(t, got, row.shape) {
				checkProblem(t, got, row.problem, row.fields)
			}
		})
	}
}

// arDo sends one request through the API (apikit.Do, or the handler
// itself for a Content-Type other than JSON) and returns status and body.
func arDo(t *testing.T, env *apikit.Env, method, target, token, body, ctype string) (int, string) {
	t.Helper()
	if ctype == "" {
		r := env.Do(t, method, target, token, body)
		return r.Status, r.Body
	}
	req := httptest.NewRequestWithContext(context.Background(), method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	env.Handler.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

// arJSON decodes a JSON object body.
func arJSON(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return m
}

// arField is a string member of a JSON object body.
func arField(t *testing.T, body, k string) string {
	t.Helper()
	v, _ := arJSON(t, body)[k].(string)
	return v
}
