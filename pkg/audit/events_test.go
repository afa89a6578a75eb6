package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/shares"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

const tenant, agent, connector = "acme", "agent-1", "00000000-0000-4000-8000-0000000000c1"

// events returns the event.put messages on the table, by detail type.
func events(t *testing.T, tbl *dynamokit.Table) []audit.Event {
	t.Helper()
	var msgs []outbox.Message
	if err := tbl.Store.Table().Scan().Filter("kind = ?", audit.KindEventPut).All(context.Background(), &msgs); err != nil {
		t.Fatal(err)
	}
	out := make([]audit.Event, 0, len(msgs))
	for _, m := range msgs {
		var ev audit.Event
		if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
			t.Fatalf("outbox %s: %v", m.ID, err)
		}
		out = append(out, ev)
	}
	return out
}

// inboundEvents sends Telegram webhooks through the API: a message on a
// connector with onboarding off (InboundMessageAccepted) and two new
// senders on one with floodLimitPerHour 1 (AccessRequestFloodGuardTripped).
func inboundEvents(t *testing.T, e *apikit.Env) {
	t.Helper()
	admin := e.Token(t, "admin", map[string]string{tenant: "ADMIN"})
	configs := "/v1/tenants/" + tenant + "/integrations/" + connectors.IntegrationID(connectors.Telegram) + "/configs"
	const secret = "tg_secret-token-0123456789"
	connector := func(onboarding bool, flood int) string {
		b, _ := json.Marshal(map[string]any{"agentId": agent, "displayName": "Telegram", "floodLimitPerHour": flood,
			"onboarding": map[string]any{"enabled": onboarding, "message": "Welcome."},
			"parameters": map[string]string{"botToken": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "secretToken": secret}})
		res := e.Do(t, http.MethodPost, configs, admin, string(b))
		var v connectors.View
		if res.Status != http.StatusCreated || json.Unmarshal([]byte(res.Body), &v) != nil {
			t.Fatalf("create connector: %d %s", res.Status, res.Body)
		}
		res = e.Do(t, http.MethodPost, configs+"/"+v.ID+":generateWebhookUrl", admin, "")
		var minted connectors.WebhookURL
		if res.Status != http.StatusOK || json.Unmarshal([]byte(res.Body), &minted) != nil {
			t.Fatalf("generate webhook URL: %d %s", res.Status, res.Body)
		}
		u, err := url.Parse(minted.WebhookURL)
		if err != nil {
			t.Fatal(err)
		}
		return u.Path
	}
	send := func(hook string, sender, update int) {
		body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":7,"from":{"id":%d,"is_bot":false,"first_name":"Fox"},`+
			`"chat":{"id":%d,"type":"private","first_name":"Fox"},"date":1700000000,"text":"hello"}}`, update, sender, sender)
		req := httptest.NewRequest(http.MethodPost, hook, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("webhook %s: %d %s", hook, rec.Code, rec.Body)
		}
	}
	send(connector(false, 100), 1001, 1)
	flooded := connector(true, 1)
	send(flooded, 2001, 2)
	send(flooded, 2002, 3)
}

func newRequest(t *testing.T, repo *accessrequests.Repo, now int64) accessrequests.AccessRequest {
	t.Helper()
	ar := accessrequests.AccessRequest{ID: uuid.NewString(), IntegrationConfigID: connector, Provider: "SLACK",
		Address: "U" + strings.ToUpper(uuid.NewString()[:8]), AgentID: agent, DisplayName: "Sender", CreatedAt: now, ModifiedAt: now}
	if err := repo.CreateAccessRequest(context.Background(), tenant, accessrequests.NewPendingRequest{Request: ar}); err != nil {
		t.Fatal(err)
	}
	ar.Status = accessrequests.StatusPending
	return ar
}

// Every state change that emits an event emits a detail its schema
// (schemas/<detailType>.json) accepts, and every schema is exercised.
func TestEventDetailsMatchSchemas(t *testing.T) {
	e := apikit.New(t)
	tbl := e.Table
	ctx := context.Background()
	repo, people, shareStore := accessrequests.NewRepo(tbl.Store), roster.NewRepo(tbl.Store), shares.NewStore(tbl.Store)
	now := time.Now().UnixMilli()

	// Access requests: created (each), approved, rejected, blocked + unblocked, expired.
	approved := newRequest(t, repo, now)
	if _, err := repo.Approve(ctx, tenant, approved, accessrequests.Approval{Mode: accessrequests.ModeCreateNew, ParticipantID: uuid.NewString(),
		DisplayName: "New", BindingID: uuid.NewString(), By: "editor", Note: "welcome", At: now + 1}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []accessrequests.Decision{
		{Status: accessrequests.StatusRejected, By: "editor", Note: "not now", At: now + 1},
		{Status: accessrequests.StatusBlocked, By: "editor", At: now + 1},
		{Status: accessrequests.StatusRejected, By: audit.ActorExpiry, Note: "expired after 30 days", At: now + 1},
	} {
		got, err := repo.Decide(ctx, tenant, newRequest(t, repo, now), d)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == accessrequests.StatusBlocked {
			if err := repo.Unblock(ctx, tenant, got); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Participants: created, updated (a binding), deleted.
	p := roster.Participant{ID: uuid.NewString(), Kind: roster.KindPerson, DisplayName: "Pat", AgentIDs: []string{agent}, CreatedAt: now, ModifiedAt: now}
	if err := people.CreateParticipant(ctx, tenant, p, map[string]string{agent: uuid.NewString()}); err != nil {
		t.Fatal(err)
	}
	if err := people.AddBinding(ctx, tenant, p.ID, "agent-2", uuid.NewString(), now+1); err != nil {
		t.Fatal(err)
	}
	rec, err := people.GetParticipantRecord(ctx, tenant, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := people.DeleteParticipant(ctx, tenant, rec); err != nil {
		t.Fatal(err)
	}

	// Shares: invited, then accepted, declined and expired recipients.
	const org = "org-1"
	for _, d := range []shares.Decision{
		{Status: shares.StatusAccepted, Role: "buyer", By: "org-admin"},
		{Status: shares.StatusDeclined, By: "org-admin"},
		{Status: shares.StatusDeclined, By: audit.ActorExpiry},
	} {
		r := shares.Recipient{UserID: uuid.NewString(), OrganizationID: org, Email: "r@example.com", Status: shares.StatusWaiting,
			Grants: map[string]shares.Grant{"doc-1": {DocumentID: "doc-1", DocumentName: "Manual", SenderUserID: "sender"}}, CreatedAt: now, ModifiedAt: now}
		if err := shareStore.CreateRecipient(ctx, r); err != nil {
			t.Fatal(err)
		}
		token := uuid.NewString()
		cur, err := shareStore.Claim(ctx, org, r.UserID, token, now, now+60_000)
		if err != nil {
			t.Fatal(err)
		}
		d.Token, d.At = token, now+1
		if err := shareStore.Decide(ctx, cur, d); err != nil {
			t.Fatal(err)
		}
	}

	// Webhooks: a message let in, and a connector's flooded hour.
	inboundEvents(t, e)

	compiler := jsonschema.NewCompiler()
	schemas := map[string]*jsonschema.Schema{}
	files, err := filepath.Glob("schemas/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("schemas: %v %v", files, err)
	}
	for _, f := range files {
		s, err := compiler.Compile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		schemas[strings.TrimSuffix(filepath.Base(f), ".json")] = s
	}
	var seen []string
	for _, ev := range events(t, tbl) {
		if ev.Source != audit.Source {
			t.Errorf("%s: source = %q, want %q", ev.DetailType, ev.Source, audit.Source)
		}
		s, ok := schemas[ev.DetailType]
		if !ok {
			t.Errorf("no schema for detail type %s", ev.DetailType)
			continue
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ev.Detail))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s detail %s: %v", ev.DetailType, ev.Detail, err)
		}
		seen = append(seen, ev.DetailType)
	}
	for name := range schemas {
		if !slices.Contains(seen, name) {
			t.Errorf("no %s event was emitted", name)
		}
	}
}
