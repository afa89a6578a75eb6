package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/alertmsg"
	"github.com/gatehouse/gatehouse/pkg/alerts"
	"github.com/gatehouse/gatehouse/pkg/alertsettings"
	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/chatmsg"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const (
	tenant = "acme"
	agent  = "agent-1"
	base   = "https://gate.example.test"
	period = 15 * time.Minute
)

var (
	telegramCreds = map[string]string{"botToken": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "secretToken": "tg_secret-token-0123456789"}
	slackCreds    = map[string]string{"signingSecret": "8f742231b10e8888abcd99yyyzzz85a5", "botToken": "xoxb-1111-2222-abcdefghijklmnop"}
)

// world is the webhooks, connectors, collaborators and alert settings
// APIs on a fresh table, with the alert.pending handler and the sweep on a
// clock the test moves.
type world struct {
	*apikit.Env
	admin   string // tenant ADMIN
	handler *alerts.Handler
	sweeper *alerts.Sweeper
	disp    *outbox.Dispatcher
	now     time.Time
	mu      sync.Mutex
}

func ourRoutes(d *routes.Deps) ([]httpapi.Route, error) {
	var out []httpapi.Route
	for _, build := range []func() ([]httpapi.Route, error){
		func() ([]httpapi.Route, error) {
			return connectors.Routes(d.Platform, d.Connectors, d.Config.Connectors)
		},
		func() ([]httpapi.Route, error) { return inbound.Routes(d.Platform, d.Connectors, d.Config.Inbound) },
		func() ([]httpapi.Route, error) { return collaborators.Routes(d.Platform) },
		func() ([]httpapi.Route, error) { return alertsettings.Routes(d.Platform) },
	} {
		rs, err := build()
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := apikit.NewWith(t, ourRoutes, routes.Config{PublicBaseURL: base})
	w := &world{Env: e, admin: e.Token(t, "boss", map[string]string{tenant: "ADMIN"}), now: time.Now()}
	cfg := alerts.Config{DigestPeriod: period, PublicBaseURL: base}
	w.handler = alerts.NewHandler(e.Platform.Store, cfg, e.Platform.Logger)
	w.handler.Now = w.clock
	w.sweeper = alerts.NewSweeper(e.Platform.Store, connectors.NewRepo(e.Platform.Store), cfg, e.Platform.Logger)
	w.sweeper.Now = w.clock
	w.disp = outbox.New(e.Platform.Store, map[string]outbox.Handler{alertmsg.Kind: w.handler.Handle}, e.Platform.Logger)
	return w
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

// connector creates a connector of agent through the API with its webhook URL.
func (w *world) connector(t *testing.T, provider, agentID string, body map[string]any) connectors.Connector {
	t.Helper()
	b := map[string]any{"agentId": agentID, "displayName": "Support " + strings.ToLower(provider),
		"onboarding": map[string]any{"enabled": true, "message": "Welcome! An operator will let you in soon."}}
	if provider == connectors.Slack {
		b["parameters"] = slackCreds
	} else {
		b["parameters"] = telegramCreds
	}
	for k, v := range body {
		b[k] = v
	}
	raw, _ := json.Marshal(b)
	configs := "/v1/tenants/" + tenant + "/integrations/" + connectors.IntegrationID(provider) + "/configs"
	res := w.Do(t, "POST", configs, w.admin, string(raw))
	if res.Status != http.StatusCreated {
		t.Fatalf("create connector: %d %s", res.Status, res.Body)
	}
	var v connectors.View
	_ = json.Unmarshal([]byte(res.Body), &v)
	res = w.Do(t, "POST", configs+"/"+v.ID+":generateWebhookUrl", w.admin, "")
	var minted connectors.WebhookURL
	if err := json.Unmarshal([]byte(res.Body), &minted); err != nil || res.Status != http.StatusOK {
		t.Fatalf("generate webhook URL: %d %s", res.Status, res.Body)
	}
	c, err := connectors.NewRepo(w.Platform.Store).Get(context.Background(), tenant, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.WebhookKey = minted.WebhookURL[len(minted.WebhookURL)-connectors.KeyLen:]
	return c
}

// approver is a collaborator of the test's agent.
type approver struct {
	user, role, email string
	alerts            bool
}

// approvers: two who get alerts, and four who do not (alerts off, a
// VIEWER, no known address, a pending request).
var approvers = []approver{
	{"ann", "ADMIN", "ann@example.com", true},
	{"ed", "EDITOR", "ed@example.com", true},
	{"olga", "EDITOR", "olga@example.com", false},
	{"vic", "VIEWER", "vic@example.com", true},
	{"nomail", "EDITOR", "", true},
}

func (w *world) seedApprovers(t *testing.T, agentID string) {
	t.Helper()
	ctx := context.Background()
	repo := collaborators.NewRepo(w.Platform.Store)
	for _, a := range approvers {
		prefs := collaborators.AllAlerts
		prefs.AccessRequestAlerts = a.alerts
		if _, err := repo.Grant(ctx, tenant, collaborators.Grant{AgentID: agentID, UserID: a.user, Role: a.role, Alerts: &prefs, By: "seed", At: w.now.UnixMilli()}); err != nil {
			t.Fatal(err)
		}
		if a.email != "" {
			if err := repo.RefreshProfile(ctx, tenant, agentID, a.user, collaborators.Profile{Email: a.email, FirstName: a.user}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A pending request for a role is told nothing.
	_, err := repo.RequestAccess(ctx, tenant, collaborators.Request{AgentID: agentID, UserID: "penny", Role: "EDITOR",
		Profile: collaborators.Profile{Email: "penny@example.com"}, At: w.now.UnixMilli()},
		func(collaborators.Collaborator) ([]store.TxAction, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
}

// flood sends n new senders' first messages (from sender number first on)
// to c's webhook, 10 at a time, and checks every one is acknowledged.
func (w *world) flood(t *testing.T, c connectors.Connector, first, n int) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 10)
	for i := first; i < first+n; i++ {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			sender := strconv.Itoa(700000 + i)
			body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":7,"from":{"id":%s,"is_bot":false,"first_name":"Sender","last_name":"No%d"},`+
				`"chat":{"id":%s,"type":"private"},"date":1700000000,"text":"let me in"}}`, 100000000+i, sender, i, sender)
			req := httptest.NewRequest("POST", c.WebhookPath(), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", telegramCreds["secretToken"])
			rec := httptest.NewRecorder()
			w.Handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("webhook of sender %s: %d %s", sender, rec.Code, rec.Body)
			}
		})
	}
	wg.Wait()
}

// outbox returns the outbox messages of a kind (a test-only Scan).
func (w *world) outbox(t *testing.T, kind string) []outbox.Message {
	t.Helper()
	var all []outbox.Message
	err := w.Table.DB.Table(w.Table.Name).Scan().Filter("begins_with(PK, ?) AND kind = ?", "OUTBOX#", kind).Consistent(true).All(context.Background(), &all)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// dispatchAlerts runs the real dispatcher's Process on every alert.pending
// message still PENDING, as DispatcherFunction does for its stream
// records, and returns how many it delivered.
func (w *world) dispatchAlerts(t *testing.T) int {
	t.Helper()
	n, err := w.process(w.outbox(t, alertmsg.Kind))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range w.outbox(t, alertmsg.Kind) {
		if m.Status != outbox.StatusSent {
			t.Fatalf("alert.pending %s: %s (%s)", m.ID, m.Status, m.LastError)
		}
	}
	return n
}

// process runs the dispatcher on the PENDING messages of ms.
func (w *world) process(ms []outbox.Message) (int, error) {
	n := 0
	for _, m := range ms {
		if m.Status != outbox.StatusPending {
			continue
		}
		if err := w.disp.Process(context.Background(), outbox.Change{RecordID: m.ID, MessageID: m.ID, Status: m.Status, Attempts: m.Attempts, Kind: m.Kind}); err != nil {
			return n, fmt.Errorf("dispatch %s: %w", m.ID, err)
		}
		n++
	}
	return n, nil
}

// redeliver hands every alert.pending message to the handler once more,
// as a stream redelivery after a crash would.
func (w *world) redeliver(t *testing.T) {
	t.Helper()
	for _, m := range w.outbox(t, alertmsg.Kind) {
		if err := w.handler.Handle(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// sweepTwice runs two sweeps at once and adds up what they did.
func (w *world) sweepTwice(t *testing.T) alerts.Result {
	t.Helper()
	var wg sync.WaitGroup
	results := make([]alerts.Result, 2)
	for i := range results {
		wg.Go(func() {
			res, err := w.sweeper.Run(context.Background())
			if err != nil {
				t.Errorf("sweep %d: %v", i, err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	var sum alerts.Result
	for _, r := range results {
		sum.Mails += r.Mails
		sum.Slack += r.Slack
		sum.Requests += r.Requests
		sum.Dropped += r.Dropped
		sum.Skipped += r.Skipped
		sum.Failed += r.Failed
	}
	return sum
}

// mails returns the queued e-mails by recipient.
func (w *world) mails(t *testing.T) map[string][]mail.Message {
	t.Helper()
	out := map[string][]mail.Message{}
	for _, m := range w.outbox(t, mail.KindSend) {
		var msg mail.Message
		if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil {
			t.Fatal(err)
		}
		out[msg.To] = append(out[msg.To], msg)
	}
	for _, ms := range out {
		slices.SortFunc(ms, func(a, b mail.Message) int { return len(b.Text) - len(a.Text) })
	}
	return out
}

// rows counts the request lines of a digest e-mail.
func rows(text string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "- ") {
			n++
		}
	}
	return n
}

func TestFloodGivesEachApproverOneDigest(t *testing.T) {
	w := newWorld(t)
	w.seedApprovers(t, agent)
	c := w.connector(t, connectors.Telegram, agent, nil)

	w.flood(t, c, 0, 50)
	if got := w.dispatchAlerts(t); got != 50 {
		t.Fatalf("alert.pending messages: %d, want 50", got)
	}
	w.redeliver(t) // adds nothing twice

	// Not due before the period is over.
	w.advance(period - time.Minute)
	if got := w.sweepTwice(t); got.Mails+got.Slack != 0 || got.Failed != 0 {
		t.Fatalf("sweep before the period: %+v, want nothing sent", got)
	}
	w.advance(time.Minute)
	got := w.sweepTwice(t)
	// ann and ed once each; nomail's digest is dropped (no address).
	if got.Mails != 2 || got.Requests != 100 || got.Dropped != 1 || got.Failed != 0 {
		t.Errorf("two concurrent sweeps: %+v, want 2 mails listing 50 requests each, 1 dropped, none failed", got)
	}
	mails := w.mails(t)
	want := map[string]int{"ann@example.com": 1, "ed@example.com": 1}
	for _, a := range approvers {
		if n := len(mails[a.email]); a.email != "" && n != want[a.email] {
			t.Errorf("%s (%s, alerts %v): %d e-mails, want %d", a.user, a.role, a.alerts, n, want[a.email])
		}
	}
	if n := len(mails["penny@example.com"]); n != 0 {
		t.Errorf("pending requester: %d e-mails, want 0", n)
	}
	m := mails["ann@example.com"][0]
	link := base + "/console/?agent=" + agent + "&tab=pending"
	if rows(m.Text) != 50 || !strings.HasPrefix(m.Subject, "50 new access requests") || !strings.Contains(m.Text, link) ||
		!strings.Contains(m.Text, "via TELEGRAM, Support telegram,") || !strings.Contains(m.HTML, "Sender No0") {
		t.Errorf("digest e-mail: subject %q, %d rows, text:\n%s", m.Subject, rows(m.Text), m.Text)
	}

	// A later sweep sends nothing more; the next window starts with the
	// next new request and is due a period after it.
	if got := w.sweepTwice(t); got.Mails != 0 || got.Dropped != 0 {
		t.Errorf("sweep after sending: %+v, want nothing", got)
	}
	w.advance(2 * time.Minute)
	w.flood(t, c, 50, 3)
	w.dispatchAlerts(t)
	w.advance(period - time.Second)
	if got := w.sweepTwice(t); got.Mails != 0 {
		t.Errorf("second window, early: %+v, want nothing", got)
	}
	w.advance(time.Second)
	if got := w.sweepTwice(t); got.Mails != 2 || got.Requests != 6 {
		t.Errorf("second window: %+v, want 2 mails listing 3 requests each", got)
	}
	mails = w.mails(t)
	if n := len(mails["ann@example.com"]); n != 2 {
		t.Fatalf("ann after two windows: %d e-mails, want 2", n)
	}
	if second := mails["ann@example.com"][1]; rows(second.Text) != 3 || !strings.HasPrefix(second.Subject, "3 new access requests") {
		t.Errorf("second digest: subject %q, %d rows", second.Subject, rows(second.Text))
	}
}

// A request added while a sweep composes waits for the next run: the
// digest's deletion is conditioned on its version.
func TestRequestAddedDuringSweepIsNotLost(t *testing.T) {
	w := newWorld(t)
	w.seedApprovers(t, agent)
	c := w.connector(t, connectors.Telegram, agent, nil)
	w.flood(t, c, 0, 2)
	w.dispatchAlerts(t)
	w.advance(period)
	// A third request lands in the digest between two sweeps' reads:
	// simulate with a sweep racing the handler.
	w.flood(t, c, 2, 1)
	pending := w.outbox(t, alertmsg.Kind)
	var wg sync.WaitGroup
	var res alerts.Result
	var derr, serr error
	wg.Go(func() { _, derr = w.process(pending) })
	wg.Go(func() { res, serr = w.sweeper.Run(context.Background()) })
	wg.Wait()
	if derr != nil || serr != nil {
		t.Fatal(derr, serr)
	}
	total := res.Requests
	got := w.sweepTwice(t)
	total += got.Requests
	// However the race went, every request reached each approver once:
	// in the first mail, or in a mail of its own window (due later).
	w.advance(period)
	total += w.sweepTwice(t).Requests
	if total != 6 {
		t.Errorf("requests listed across the sweeps: %d, want 6 (3 requests × 2 approvers)", total)
	}
}

func TestSlackDigestAndSettingsAPI(t *testing.T) {
	w := newWorld(t)
	w.seedApprovers(t, agent)
	tg := w.connector(t, connectors.Telegram, agent, nil)
	sl := w.connector(t, connectors.Slack, agent, nil)
	other := w.connector(t, connectors.Slack, "agent-2", nil)
	editor := w.Token(t, "ed", map[string]string{tenant: "MEMBER"})
	adminTok := w.Token(t, "ann", map[string]string{tenant: "MEMBER"})
	path := "/v1/tenants/" + tenant + "/agents/" + agent + "/alertSettings"

	cases := []struct {
		name, token, body string
		status            int
		problem           string
	}{
		{"editor may not read", editor, "", http.StatusForbidden, "forbidden"},
		{"telegram config", adminTok, `{"slack":{"configId":"` + tg.ID + `","channel":"C0APPROVALS"}}`, http.StatusBadRequest, "invalid-slack-config"},
		{"another agent's slack config", adminTok, `{"slack":{"configId":"` + other.ID + `","channel":"C0APPROVALS"}}`, http.StatusBadRequest, "invalid-slack-config"},
		{"unknown config", adminTok, `{"slack":{"configId":"nope","channel":"C0APPROVALS"}}`, http.StatusBadRequest, "invalid-slack-config"},
		{"bad channel", adminTok, `{"slack":{"configId":"` + sl.ID + `","channel":"<!everyone>"}}`, http.StatusBadRequest, "invalid-slack-channel"},
		{"unknown field", adminTok, `{"email":true}`, http.StatusBadRequest, "unknown-field"},
		{"editor may not write", editor, `{"slack":null}`, http.StatusForbidden, "forbidden"},
		{"agent admin sets the channel", adminTok, `{"slack":{"configId":"` + sl.ID + `","channel":"C0APPROVALS"}}`, http.StatusOK, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "PUT"
			if tc.body == "" {
				method = "GET"
			}
			res := w.Do(t, method, path, tc.token, tc.body)
			if res.Status != tc.status || (tc.problem != "" && !strings.Contains(res.Body, "/problems/"+tc.problem+`"`)) {
				t.Errorf("%s: %d %s, want %d %s", tc.name, res.Status, res.Body, tc.status, tc.problem)
			}
		})
	}
	res := w.Do(t, "GET", path, adminTok, "")
	var v alertsettings.SettingsView
	if err := json.Unmarshal([]byte(res.Body), &v); err != nil || v.Slack == nil || v.Slack.ConfigID != sl.ID || v.Slack.Channel != "C0APPROVALS" || v.ModifiedBy == nil || *v.ModifiedBy != "ann" {
		t.Fatalf("settings read back: %d %s", res.Status, res.Body)
	}
	// The change is audited in its transaction, under the agent.
	entries, _, err := audit.NewRepo(w.Platform.Store).List(context.Background(), store.TenantScope(tenant),
		audit.Filter{AgentID: agent, TargetType: audit.TargetAlertSettings, PageSize: 10})
	if err != nil || len(entries) != 1 {
		t.Fatalf("alert settings audit: %+v, %v", entries, err)
	}
	type short struct{ Actor, Action, TargetID, StatusBefore, StatusAfter string }
	e := entries[0]
	if got, want := (short{e.Actor, e.Action, e.TargetID, e.StatusBefore, e.StatusAfter}), (short{"ann", audit.AlertSettingsChanged, agent, "slack=off", "slack=" + sl.ID + "/C0APPROVALS"}); got != want {
		t.Errorf("alert settings audit entry = %+v, want %+v", got, want)
	}

	w.flood(t, tg, 0, 30)
	w.dispatchAlerts(t)
	w.advance(period)
	if got := w.sweepTwice(t); got.Slack != 1 || got.Mails != 2 {
		t.Errorf("sweep: %+v, want 1 Slack message and 2 e-mails", got)
	}
	var slackMsgs []chatmsg.Payload
	for _, m := range w.outbox(t, chatmsg.Kind) {
		var p chatmsg.Payload
		_ = json.Unmarshal([]byte(m.Payload), &p)
		if p.Provider == connectors.Slack {
			slackMsgs = append(slackMsgs, p)
		}
	}
	if len(slackMsgs) != 1 {
		t.Fatalf("Slack messages: %d, want 1", len(slackMsgs))
	}
	p := slackMsgs[0]
	if p.IntegrationConfigID != sl.ID || p.ReplyTo != "C0APPROVALS" || !strings.Contains(p.Text, "*30 new access requests*") ||
		strings.Count(p.Text, "\n• ") != 20 || !strings.Contains(p.Text, "… and 10 more") || len(p.Text) > 4000 {
		t.Errorf("Slack digest: %+v", p)
	}

	// Slack off: a waiting Slack digest is dropped, the e-mails stay.
	if res := w.Do(t, "PUT", path, adminTok, `{"slack":null}`); res.Status != http.StatusOK || !strings.Contains(res.Body, `"slack":null`) {
		t.Fatalf("turn Slack off: %d %s", res.Status, res.Body)
	}
	w.flood(t, tg, 30, 1)
	w.dispatchAlerts(t)
	w.advance(period)
	if got := w.sweepTwice(t); got.Slack != 0 || got.Mails != 2 {
		t.Errorf("sweep with Slack off: %+v, want 0 Slack messages and 2 e-mails", got)
	}
}

// The numbers of a 50-sender flood on one connector with onboarding on,
// for the closing note: requests, onboarding messages, approver e-mails
// and events, with the flood guard at its default (100 an hour) and at 20.
func TestFloodNumbers(t *testing.T) {
	type numbers struct {
		Pending, Onboarding, Mails int
		Events                     map[string]int
	}
	cases := []struct {
		name  string
		limit *int
		want  numbers
	}{
		{"flood guard default (100/h)", nil, numbers{50, 50, 2, map[string]int{"AccessRequestCreated": 50}}},
		{"flood guard 20/h", new(20), numbers{20, 20, 2, map[string]int{"AccessRequestCreated": 20, "AccessRequestFloodGuardTripped": 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.seedApprovers(t, agent)
			body := map[string]any{}
			if tc.limit != nil {
				body["floodLimitPerHour"] = *tc.limit
			}
			c := w.connector(t, connectors.Telegram, agent, body)
			w.flood(t, c, 0, 50)
			w.dispatchAlerts(t)
			w.advance(period)
			w.sweepTwice(t)

			var got numbers
			reqs, _, err := accessrequests.NewRepo(w.Platform.Store).ListAccessRequests(context.Background(), tenant,
				accessrequests.ListFilter{AgentID: agent, Status: accessrequests.StatusPending, PageSize: 500})
			if err != nil {
				t.Fatal(err)
			}
			got.Pending = len(reqs)
			for _, m := range w.outbox(t, chatmsg.Kind) {
				if strings.HasPrefix(m.ID, "onboarding-") {
					got.Onboarding++
				}
			}
			for _, ms := range w.mails(t) {
				got.Mails += len(ms)
			}
			got.Events = map[string]int{}
			for _, m := range w.outbox(t, inbound.KindEventPut) {
				var ev inbound.Event
				if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
					t.Fatal(err)
				}
				got.Events[ev.DetailType]++
			}
			t.Logf("50-sender flood, %s: %d PENDING requests, %d onboarding messages, %d approver e-mails (2 approvers with alerts), events %v",
				tc.name, got.Pending, got.Onboarding, got.Mails, got.Events)
			if got.Pending != tc.want.Pending || got.Onboarding != tc.want.Onboarding || got.Mails != tc.want.Mails || !mapsEqual(got.Events, tc.want.Events) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A digest keeps at most 500 request ids; beyond, requests only count, so
// the item stays far below DynamoDB's 400 KB.
func TestDigestBeyondItsList(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const big, n = "agent-big", 503
	if _, err := collaborators.NewRepo(w.Platform.Store).Grant(ctx, tenant, collaborators.Grant{AgentID: big, UserID: "ann", Role: "ADMIN", By: "seed", At: w.now.UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	if err := collaborators.NewRepo(w.Platform.Store).RefreshProfile(ctx, tenant, big, "ann", collaborators.Profile{Email: "ann@example.com"}); err != nil {
		t.Fatal(err)
	}
	ars := make([]accessrequests.AccessRequest, n)
	for i := range ars {
		ars[i] = accessrequests.AccessRequest{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), IntegrationConfigID: "gone", Provider: connectors.Telegram,
			Address: strconv.Itoa(800000 + i), AgentID: big, DisplayName: fmt.Sprintf("Bulk %d", i), Status: accessrequests.StatusPending,
			CreatedAt: w.now.UnixMilli() + int64(i), ModifiedAt: w.now.UnixMilli()}
	}
	if err := accessrequests.NewRepo(w.Platform.Store).PutAccessRequests(ctx, tenant, ars); err != nil {
		t.Fatal(err)
	}
	for _, ar := range ars {
		p, _ := json.Marshal(alertmsg.Payload{Tenant: tenant, AgentID: big, RequestID: ar.ID, CreatedAt: ar.CreatedAt})
		m := outbox.Message{ID: "alert-" + ar.ID, Kind: alertmsg.Kind, Tenant: tenant, Payload: string(p)}
		for range 2 { // every one redelivered once
			if err := w.handler.Handle(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.advance(period)
	if got := w.sweepTwice(t); got.Mails != 1 || got.Failed != 0 {
		t.Fatalf("sweep: %+v, want 1 e-mail", got)
	}
	m := w.mails(t)["ann@example.com"][0]
	// The list holds the first 500 (the e-mail shows its newest 50); the 3
	// beyond count twice (redelivered): past the list the total may
	// overstate by redeliveries, never understate.
	if rows(m.Text) != 50 || !strings.Contains(m.Subject, "506 new access requests") || !strings.Contains(m.Text, "Bulk 499 (800499)") {
		t.Errorf("digest of %d requests: subject %q, %d rows\n%.600s", n, m.Subject, rows(m.Text), m.Text)
	}
}
