package audit_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/chatkit"
)

// target names an audited object as the API filters it.
type target struct{ typ, id string }

// Every administrative action writes exactly one entry for its target, in
// its transaction, with the caller as actor and the states before and
// after; an action that changes nothing writes none.
func TestAdministrativeActionsAreAudited(t *testing.T) {
	si, err := chatkit.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(si.Close)
	e := apikit.NewWith(t, routes.All, routes.Config{PublicBaseURL: "https://hooks.example.test",
		Connectors: connectors.Config{TelegramAPIURL: si.Env()["TELEGRAM_API_URL"]}})
	admin := e.Token(t, "admin", map[string]string{tenant: "ADMIN"})
	requester := e.Token(t, "requester", map[string]string{tenant: "MEMBER"})
	ctx := context.Background()
	people := roster.NewRepo(e.Platform.Store)

	do := func(t *testing.T, method, path, token, body string, want int) apikit.Response {
		t.Helper()
		res := e.Do(t, method, path, token, body)
		if res.Status != want {
			t.Fatalf("%s %s = %d, want %d: %s", method, path, res.Status, want, res.Body)
		}
		return res
	}
	var pid string
	newParticipant := func(t *testing.T) target {
		res := do(t, http.MethodPost, base+"/participants", admin, `{"kind":"PERSON","displayName":"Pat","agentIds":["`+agent+`","agent-2"]}`, http.StatusCreated)
		var v struct{ ID string }
		_ = json.Unmarshal([]byte(res.Body), &v)
		pid = v.ID
		return target{audit.TargetParticipant, pid}
	}
	configs := base + "/integrations/" + connectors.IntegrationID(connectors.Telegram) + "/configs"
	var cid string
	newConfig := func(t *testing.T) {
		res := do(t, http.MethodPost, configs, admin, `{"agentId":"`+agent+`","displayName":"TG","parameters":{"botToken":"123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw","secretToken":"tg_secret-token-0123456789"}}`, http.StatusCreated)
		var v struct{ ID string }
		_ = json.Unmarshal([]byte(res.Body), &v)
		cid = v.ID
	}
	cfg := func() target { return target{audit.TargetIntegrationConfig, cid} }
	var webhookURL, prefix, oldPrefix string
	collab := func(user string) func() target {
		return func() target { return target{audit.TargetCollaborator, user} }
	}
	collabs := base + "/agents/" + agent + "/collaborators"
	asAdmin := auth.NewContext(ctx, auth.Principal{Subject: "admin"})

	tests := []struct {
		name string
		// setup runs first and is not counted.
		setup  func(t *testing.T)
		act    func(t *testing.T)
		target func() target
		// want is the one new entry; "" wants none.
		want, wantBefore, wantAfter, wantActor string
	}{
		{"participant created", nil, func(t *testing.T) { newParticipant(t) }, func() target { return target{audit.TargetParticipant, pid} },
			audit.ParticipantCreated, "", "", "admin"},
		{"participant disabled", nil, func(t *testing.T) {
			do(t, http.MethodPost, base+"/participants/"+pid+":disable", admin, "{}", http.StatusOK)
		},
			func() target { return target{audit.TargetParticipant, pid} }, audit.ParticipantDisabled, roster.StatusEnabled, roster.StatusDisabled, "admin"},
		{"participant disabled again: nothing", nil, func(t *testing.T) {
			do(t, http.MethodPost, base+"/participants/"+pid+":disable", admin, "{}", http.StatusOK)
		},
			func() target { return target{audit.TargetParticipant, pid} }, "", "", "", ""},
		{"participant enabled", nil, func(t *testing.T) {
			do(t, http.MethodPost, base+"/participants/"+pid+":enable", admin, "{}", http.StatusOK)
		},
			func() target { return target{audit.TargetParticipant, pid} }, audit.ParticipantEnabled, roster.StatusDisabled, roster.StatusEnabled, "admin"},
		{"participant avatar synced", nil, func(t *testing.T) {
			if _, err := people.SetAvatar(asAdmin, tenant, pid, roster.Avatar{FileID: "avatars/" + tenant + "/" + pid + "/a.png", Source: "TELEGRAM",
				SourceConfigID: cid, SourceAddress: "42", SyncedAt: 1}, time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}, func() target { return target{audit.TargetParticipant, pid} }, audit.ParticipantAvatarSynced, "", "", "admin"},
		{"integration config created", nil, newConfig, cfg, audit.IntegrationConfigCreated, "", "", "admin"},
		{"integration config updated", nil, func(t *testing.T) {
			do(t, http.MethodPatch, configs+"/"+cid, admin, `{"displayName":"TG 2"}`, http.StatusOK)
		},
			cfg, audit.IntegrationConfigUpdated, "", "", "admin"},
		{"webhook URL generated", nil, func(t *testing.T) {
			res := do(t, http.MethodPost, configs+"/"+cid+":generateWebhookUrl", admin, "", http.StatusOK)
			var v connectors.WebhookURL
			_ = json.Unmarshal([]byte(res.Body), &v)
			webhookURL, prefix = v.WebhookURL, v.WebhookKeyPrefix
		}, cfg, audit.WebhookURLGenerated, "", "$prefix", "admin"},
		{"webhook URL rotated", nil, func(t *testing.T) {
			res := do(t, http.MethodPost, configs+"/"+cid+"/webhook:rotate", admin, "", http.StatusOK)
			var v connectors.WebhookURL
			_ = json.Unmarshal([]byte(res.Body), &v)
			webhookURL, oldPrefix, prefix = v.WebhookURL, prefix, v.WebhookKeyPrefix
		}, cfg, audit.WebhookURLRotated, "$oldPrefix", "$prefix", "admin"},
		{"webhook URL applied", nil, func(t *testing.T) {
			b, _ := json.Marshal(map[string]string{"webhookUrl": webhookURL})
			do(t, http.MethodPost, configs+"/"+cid+":applyWebhookToProvider", admin, string(b), http.StatusOK)
		}, cfg, audit.WebhookURLApplied, "", "APPLIED", "admin"},
		{"Slack OAuth connected", nil, func(t *testing.T) {
			oc := roster.OAuthConnection{IntegrationConfigID: cid, Provider: "SLACK", Token: "xoxp-1", TeamID: "T1", ConnectedBy: "admin", ConnectedAt: time.Now().UnixMilli()}
			if err := people.PutOAuthConnection(ctx, tenant, agent, oc); err != nil {
				t.Fatal(err)
			}
		}, cfg, audit.SlackOAuthConnected, "", roster.StatusConnected, "admin"},
		{"Slack OAuth disconnected", nil, func(t *testing.T) {
			if err := people.DeleteOAuthConnection(asAdmin, tenant, agent, cid, "SLACK"); err != nil {
				t.Fatal(err)
			}
		}, cfg, audit.SlackOAuthDisconnected, roster.StatusConnected, "", "admin"},
		{"Slack OAuth disconnected again: nothing", nil, func(t *testing.T) {
			if err := people.DeleteOAuthConnection(asAdmin, tenant, agent, cid, "SLACK"); err != nil {
				t.Fatal(err)
			}
		}, cfg, "", "", "", ""},
		{"integration config deleted", nil, func(t *testing.T) { do(t, http.MethodDelete, configs+"/"+cid, admin, "", http.StatusNoContent) },
			cfg, audit.IntegrationConfigDeleted, "", "", "admin"},
		{"collaborator granted", nil, func(t *testing.T) {
			do(t, http.MethodPut, collabs, admin, `{"userId":"grantee","role":"VIEWER"}`, http.StatusOK)
		},
			collab("grantee"), audit.CollaboratorGranted, "", "ACTIVE VIEWER", "admin"},
		{"collaborator changed", nil, func(t *testing.T) {
			do(t, http.MethodPut, collabs, admin, `{"userId":"grantee","role":"EDITOR"}`, http.StatusOK)
		},
			collab("grantee"), audit.CollaboratorChanged, "ACTIVE VIEWER", "ACTIVE EDITOR", "admin"},
		{"collaborator revoked", nil, func(t *testing.T) { do(t, http.MethodDelete, collabs+"/grantee", admin, "", http.StatusNoContent) },
			collab("grantee"), audit.CollaboratorRevoked, "ACTIVE EDITOR", "", "admin"},
		{"collaborator access requested", nil, func(t *testing.T) {
			do(t, http.MethodPost, collabs+":requestAccess?role=EDITOR", requester, "", http.StatusNoContent)
		},
			collab("requester"), audit.CollaboratorAccessRequested, "", "PENDING EDITOR", "requester"},
		{"collaborator approved", nil, func(t *testing.T) { do(t, http.MethodPost, collabs+"/requester:approve", admin, "", http.StatusOK) },
			collab("requester"), audit.CollaboratorApproved, "PENDING EDITOR", "ACTIVE EDITOR", "admin"},
		{"collaborator rejected", func(t *testing.T) {
			do(t, http.MethodDelete, collabs+"/requester", admin, "", http.StatusNoContent)
			do(t, http.MethodPost, collabs+":requestAccess", requester, "", http.StatusNoContent)
		}, func(t *testing.T) {
			do(t, http.MethodPost, collabs+"/requester:reject", admin, "", http.StatusNoContent)
		},
			collab("requester"), audit.CollaboratorRejected, "PENDING VIEWER", "", "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			var before []audit.View
			if tg := tt.target(); tg.id != "" {
				before = entriesOf(t, e, admin, tg)
			}
			tt.act(t)
			after := entriesOf(t, e, admin, tt.target())
			if tt.want == "" {
				if len(after) != len(before) {
					t.Fatalf("entries %d → %d, want no new one: %+v", len(before), len(after), after[0])
				}
				return
			}
			if len(after) != len(before)+1 {
				t.Fatalf("entries %d → %d, want exactly one new", len(before), len(after))
			}
			got := after[0]
			// The webhook entries' states are the key prefixes minted.
			states := strings.NewReplacer("$oldPrefix", oldPrefix, "$prefix", prefix)
			tt.wantBefore, tt.wantAfter = states.Replace(tt.wantBefore), states.Replace(tt.wantAfter)
			if got.Action != tt.want || got.Actor != tt.wantActor || deref(got.StatusBefore) != tt.wantBefore || deref(got.StatusAfter) != tt.wantAfter {
				t.Errorf("entry = %s by %s, %q → %q; want %s by %s, %q → %q", got.Action, got.Actor, deref(got.StatusBefore), deref(got.StatusAfter),
					tt.want, tt.wantActor, tt.wantBefore, tt.wantAfter)
			}
			if got.TargetType != tt.target().typ || got.TargetID != tt.target().id {
				t.Errorf("target = %s %s, want %v", got.TargetType, got.TargetID, tt.target())
			}
		})
	}

	// The participant's entries are filed under both its agents: each
	// agent's admin finds every one of them, and the tenant lists each once.
	t.Run("participant entries under each agent", func(t *testing.T) {
		all := entriesOf(t, e, admin, target{audit.TargetParticipant, pid})
		for _, a := range []string{agent, "agent-2"} {
			e.SeedMember(t, tenant, a, "admin-of-"+a, "ADMIN")
			tok := e.Token(t, "admin-of-"+a, map[string]string{tenant: "MEMBER"})
			for _, q := range []string{"?agentId=" + a + "&targetType=participant", "?agentId=" + a + "&targetType=participant&targetId=" + pid} {
				got, res := list(t, e, tok, q)
				if res.Status != http.StatusOK {
					t.Fatalf("%s: %d %s", q, res.Status, res.Body)
				}
				if ids(got) == nil || !slices.Equal(ids(got), ids(all)) {
					t.Errorf("agent %s %s: %d entries, want the participant's %d", a, q, len(got), len(all))
				}
				for _, v := range got {
					if !slices.Contains(v.AgentIDs, a) {
						t.Errorf("entry %s agentIds = %v, want %s among them", v.Action, v.AgentIDs, a)
					}
				}
			}
		}
		tenantWide, _ := list(t, e, admin, "?targetType=participant")
		if n := len(ids(tenantWide)); n != len(all) {
			t.Errorf("tenant-wide: %d entries, want %d (each once)", n, len(all))
		}
	})
}

func entriesOf(t *testing.T, e *apikit.Env, token string, tg target) []audit.View {
	t.Helper()
	got, res := list(t, e, token, "?targetType="+tg.typ+"&targetId="+url.QueryEscape(tg.id))
	if res.Status != http.StatusOK {
		t.Fatalf("list %v: %d %s", tg, res.Status, res.Body)
	}
	return got
}

func ids(vs []audit.View) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
