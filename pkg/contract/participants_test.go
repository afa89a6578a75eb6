package contract_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/contract"
)

// The participants family (CONTRACT.md §3), request by request: each
// documented status code with the documented shape, through Prism (which
// checks requests and responses against the OpenAPI document too).
func TestContractParticipants(t *testing.T) {
	p := newPrismed(t)
	const tenant = "acme"
	p.SeedMember(t, tenant, "agent-1", "carol", "EDITOR")
	p.SeedMember(t, tenant, "agent-2", "carol", "EDITOR")
	carol := p.Token(t, "carol", map[string]string{tenant: "MEMBER"})
	admin := p.Token(t, "alice", map[string]string{tenant: "ADMIN"})

	// A connector, so activations and health carry real values.
	now := time.Now().UnixMilli()
	slack := connectors.Connector{ID: uuid.NewString(), Provider: "SLACK", AgentID: "agent-1", DisplayName: "slack",
		Credentials: map[string]string{"signingSecret": "slack-signing-secret-123456", "botToken": "xoxb-1"},
		WebhookKey:  connectors.NewWebhookKey(), CreatedAt: now, ModifiedAt: now}
	if err := p.Deps.Connectors.Create(context.Background(), tenant, slack); err != nil {
		t.Fatal(err)
	}
	base := "/v1/tenants/" + tenant + "/participants"
	create := func(body string) string {
		t.Helper()
		status, b := p.do(t, "POST", base, admin, body)
		if status != 201 {
			t.Fatalf("create %s = %d %s", body, status, b)
		}
		var v struct{ ID string }
		if err := json.Unmarshal([]byte(b), &v); err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	dana := create(`{"kind":"PERSON","displayName":"Dana","channels":[{"integrationConfigId":"` + slack.ID + `","address":"U0DANA"}],"agentIds":["agent-1"]}`)
	gone := create(`{"displayName":"Gone","agentIds":["agent-1"]}`)
	missing := base + "/" + uuid.NewString()
	file := "avatars/" + tenant + "/" + uuid.NewString() + "/" + strings.Repeat("c", 64) + ".png"

	none := contract.Shape(nil) // no body (204)
	tests := []struct {
		name, method, path, body string
		status                   int
		shape                    contract.Shape
		// invalid requests break the OpenAPI document on purpose: they go
		// to the API directly (whose responses apikit still checks), as
		// Prism would report the request itself.
		invalid bool
	}{
		// POST: the docs' example call sends only displayName.
		{"create, the docs' example", "POST", base, `{ "displayName": "string" }`, 201, contract.Participant, false},
		{"create, every documented field", "POST", base, `{"kind":"AI_AGENT","displayName":"Bot","email":"not checked as an address","relatedAgentId":"agent-2",
			"avatarFileId":"` + file + `","channels":[{"integrationConfigId":"` + slack.ID + `","address":"U0BOT","priority":1,"label":"main","disabled":false}],"agentIds":["agent-1","agent-2"]}`, 201, contract.Participant, false},
		{"create, kind UNSPECIFIED", "POST", base, `{"kind":"UNSPECIFIED","displayName":"U","email":null,"relatedAgentId":null,"avatarFileId":null,"channels":null,"agentIds":[]}`, 201, contract.Participant, false},
		{"create, extra key", "POST", base, `{"displayName":"x","nick":"y"}`, 400, contract.ParticipantProblem, true},
		{"create, displayName too long", "POST", base, `{"displayName":"` + strings.Repeat("n", 151) + `"}`, 400, contract.ParticipantProblem, true},
		{"create, email too long", "POST", base, `{"displayName":"x","email":"` + strings.Repeat("e", 4001) + `"}`, 400, contract.ParticipantProblem, true},

		// GET list: a bare array; the parameter as the docs name it.
		{"list, tenant", "GET", base, "", 200, contract.Array(contract.Participant), false},
		{"list, agentId", "GET", base + "?agentId=agent-1", "", 200, contract.Array(contract.Participant), false},
		{"list, AgentId", "GET", base + "?AgentId=agent-2", "", 200, contract.Array(contract.Participant), false},

		// GET, PATCH (no kind; "" clears avatarFileId).
		{"get", "GET", base + "/" + dana, "", 200, contract.Participant, false},
		{"get, missing", "GET", missing, "", 404, contract.ParticipantProblem, false},
		{"patch, every documented field", "PATCH", base + "/" + dana, `{"displayName":"Dana S.","email":"dana@fbi.example","relatedAgentId":null,
			"avatarFileId":"` + file + `","channels":[{"integrationConfigId":"` + slack.ID + `","address":"U0DANA","priority":2}],"agentIds":["agent-1"]}`, 200, contract.Participant, false},
		{"patch, avatarFileId cleared", "PATCH", base + "/" + dana, `{"avatarFileId":""}`, 200, contract.Participant, false},
		{"patch, kind", "PATCH", base + "/" + dana, `{"kind":"GROUP"}`, 400, contract.ParticipantProblem, true},
		{"patch, missing", "PATCH", missing, `{"displayName":"x"}`, 404, contract.ParticipantProblem, false},

		// :disable and :enable, idempotent.
		{"disable", "POST", base + "/" + dana + ":disable", "", 200, contract.Participant, false},
		{"disable again", "POST", base + "/" + dana + ":disable", "", 200, contract.Participant, false},
		{"enable", "POST", base + "/" + dana + ":enable", "", 200, contract.Participant, false},
		{"disable, missing", "POST", missing + ":disable", "", 404, contract.ParticipantProblem, false},

		// Bindings: PUT answers the Binding, idempotently; DELETE is 204
		// whether or not it was bound.
		{"bind", "PUT", base + "/" + dana + "/bindings/agent-2", "", 200, contract.ParticipantBinding, false},
		{"bind again", "PUT", base + "/" + dana + "/bindings/agent-2", "", 200, contract.ParticipantBinding, false},
		{"bind, missing participant", "PUT", missing + "/bindings/agent-2", "", 404, contract.ParticipantProblem, false},
		{"unbind", "DELETE", base + "/" + dana + "/bindings/agent-2", "", 204, none, false},
		{"unbind again", "DELETE", base + "/" + dana + "/bindings/agent-2", "", 204, none, false},

		// avatar:syncFromChannel: one of the documented 400s.
		{"sync, channel not on the participant", "POST", base + "/" + dana + "/avatar:syncFromChannel",
			`{"integrationConfigId":"` + slack.ID + `","address":"U0OTHER"}`, 400, contract.ParticipantProblem, false},

		// DELETE: 204, then 404.
		{"delete", "DELETE", base + "/" + gone, "", 204, none, false},
		{"delete, missing", "DELETE", base + "/" + gone, "", 404, contract.ParticipantProblem, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := carol
			if tt.method == "POST" && tt.path == base {
				token = admin // a participant bound to no agent: tenant ADMIN only
			}
			var status int
			var body string
			if tt.invalid {
				r := p.Do(t, tt.method, tt.path, token, tt.body)
				status, body = r.Status, r.Body
			} else {
				status, body = p.do(t, tt.method, tt.path, token, tt.body)
			}
			if status != tt.status {
				t.Fatalf("= %d %s, want %d", status, body, tt.status)
			}
			if tt.shape == nil {
				if body != "" {
					t.Errorf("body %q, want none", body)
				}
				return
			}
			contract.Check(t, []byte(body), tt.shape)
		})
	}
}
