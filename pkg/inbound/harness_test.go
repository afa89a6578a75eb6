package inbound_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/chatsend"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/inbound/deliver"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/chatkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const (
	tenant     = "acme"
	agent      = "agent-1"
	publicBase = "https://hooks.example.test"
)

var creds = map[string]map[string]string{
	connectors.Slack:     {"signingSecret": "8f742231b10e8888abcd99yyyzzz85a5", "botToken": "xoxb-1111-2222-abcdefghijklmnop"},
	connectors.Telegram:  {"botToken": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "secretToken": "tg_secret-token-0123456789"},
	connectors.WhatsApp:  {"appSecret": "6f1c3c568a4e4e599a530d2f8f3c1a11", "verifyToken": "meta-verify-token-123456", "accessToken": "EAAGm0PX4ZCpsBAabcdefghijklmnop", "phoneNumberId": "106540352242922"},
	connectors.TwilioSMS: {"accountSid": "AC0123456789abcdef0123456789abcdef", "authToken": "12345"},
	connectors.Teams:     {"appId": "8e0b6a1c-3f0e-4a55-9d1f-2f7c5e9a1b11", "appPassword": "teams~app~password~0123456789"},
}

const onboardingText = "Welcome! An operator will let you in soon."

// world is an API with connectors, webhooks and access requests on a fresh
// table, a provider stand-in, and (once started) the real dispatcher
// reading the table's stream.
type world struct {
	*apikit.Env
	standIn *chatkit.Server
	admin   string // tenant ADMIN token
	editor  string
	// deliver is the dispatcher's configuration, as its Lambda reads it.
	deliver deliver.Config
	// byProvider holds one connector per provider (onboarding on).
	byProvider map[string]connectors.Connector
	events     *eventStandIn
	seq        int
}

// ourRoutes are the connectors API, the webhooks (over one connectors
// repository) and the access requests API.
func ourRoutes(d *routes.Deps) ([]httpapi.Route, error) {
	a, err := connectors.Routes(d.Platform, d.Connectors, d.Config.Connectors)
	if err != nil {
		return nil, err
	}
	b, err := inbound.Routes(d.Platform, d.Connectors, d.Config.Inbound)
	if err != nil {
		return nil, err
	}
	c, err := accessrequests.Routes(d.Platform)
	return append(append(a, b...), c...), err
}

func newWorld(t testing.TB) *world {
	t.Helper()
	si, err := chatkit.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(si.Close)
	events := &eventStandIn{}
	eb := httptest.NewServer(events)
	t.Cleanup(eb.Close)
	standIn := si.Env() // the stand-in's provider URLs, by setting name
	e := apikit.NewWith(t, ourRoutes, routes.Config{
		PublicBaseURL: publicBase,
		Inbound:       inbound.Config{TeamsOpenIDMetadataURL: standIn["TEAMS_OPENID_METADATA_URL"]},
	})
	dc := deliver.Config{EventBusName: "gatehouse-test", EventBridgeEndpoint: eb.URL,
		Chat: chatsend.ConfigFromEnv(func(k string) string { return standIn[k] })}
	w := &world{Env: e, standIn: si, deliver: dc, byProvider: map[string]connectors.Connector{}, events: events}
	e.SeedMember(t, tenant, agent, "editor", authz.RoleEditor)
	w.admin = e.Token(t, "admin", map[string]string{tenant: "ADMIN"})
	w.editor = e.Token(t, "editor", map[string]string{tenant: "MEMBER"})
	for _, p := range connectors.Providers {
		w.byProvider[p] = w.connector(t, p, true)
	}
	return w
}

// connector creates a connector through the API, mints its webhook URL
// and reads it back with its credentials and the minted key.
func (w *world) connector(t testing.TB, provider string, onboarding bool) connectors.Connector {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"agentId": agent, "displayName": provider,
		"onboarding": map[string]any{"enabled": onboarding, "message": onboardingText}, "parameters": creds[provider]})
	configs := "/v1/tenants/" + tenant + "/integrations/" + connectors.IntegrationID(provider) + "/configs"
	res := w.Do(t, "POST", configs, w.admin, string(b))
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

// startDispatcher runs the real dispatcher over the table's stream, on its
// own DynamoDB client so that it does not count toward the API's calls.
// Its handlers are deliver.OutboxHandlers, wired as in the Lambda
// (EventBridge is a stand-in).
func (w *world) startDispatcher(t testing.TB) *outbox.Dispatcher {
	t.Helper()
	_, db, _ := dynamokit.Clients(dynamokit.Endpoint(t))
	p := *w.Platform
	p.DB, p.Store = db, store.New(db, w.Table.Name)
	hs, err := deliver.OutboxHandlers(&p, connectors.NewRepo(p.Store), w.deliver)
	if err != nil {
		t.Fatal(err)
	}
	st := p.Store
	d := outbox.New(st, hs, w.Platform.Logger)
	d.Backoff = func(int) time.Duration { return 50 * time.Millisecond }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	poller := &outbox.Poller{Streams: dynamodbstreams.NewFromConfig(w.Platform.AWS, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(w.Platform.Config.DynamoDBEndpoint) }), Table: st.Table(), Dispatcher: d, Interval: 50 * time.Millisecond}
	go func() {
		defer close(done)
		if err := poller.Run(ctx); err != nil {
			t.Errorf("poller: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

// post sends a webhook request straight to the handler.
func (w *world) post(t testing.TB, method, target string, header http.Header, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	w.Handler.ServeHTTP(rec, req)
	if w.OpenAPI != nil {
		if _, err := w.OpenAPI.CheckResponse(context.Background(), req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			t.Errorf("response disagrees with the OpenAPI document: %v\nbody: %.500s", err, rec.Body.String())
		}
	}
	return rec
}

// delivery is one signed webhook request.
type delivery struct {
	method, path string
	header       http.Header
	body         string
}

func (w *world) send(t testing.TB, d delivery) *httptest.ResponseRecorder {
	t.Helper()
	return w.post(t, d.method, d.path, d.header, d.body)
}

// Signed deliveries, one builder per provider: sender is the address,
// event the provider's event id.

func slackBody(sender, event, text string) string {
	return fmt.Sprintf(`{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":%q,"event_time":1,`+
		`"event":{"type":"message","channel":"D0CHAN%s","user":%q,"text":%q,"ts":"1700000000.000100","channel_type":"im"}}`, event, sender, sender, text)
}

func signSlack(secret, ts, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:%s", ts, body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

func (w *world) slack(c connectors.Connector, body string) delivery {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{"Content-Type": {"application/json"}, "X-Slack-Request-Timestamp": {ts},
		"X-Slack-Signature": {signSlack(c.Credentials["signingSecret"], ts, body)}}
	return delivery{"POST", c.WebhookPath(), h, body}
}

func telegramBody(sender, event, text string) string {
	return fmt.Sprintf(`{"update_id":%s,"message":{"message_id":7,"from":{"id":%s,"is_bot":false,"first_name":"Fox","last_name":"Mulder"},`+
		`"chat":{"id":%s,"type":"private","first_name":"Fox","last_name":"Mulder"},"date":1700000000,"text":%q}}`, event, sender, sender, text)
}

func (w *world) telegram(c connectors.Connector, body string) delivery {
	return delivery{"POST", c.WebhookPath(), http.Header{"Content-Type": {"application/json"},
		"X-Telegram-Bot-Api-Secret-Token": {c.Credentials["secretToken"]}}, body}
}

func whatsAppBody(sender, event, text string) string {
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":`+
		`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},`+
		`"contacts":[{"profile":{"name":"Monica Reyes"},"wa_id":%q}],`+
		`"messages":[{"from":%q,"id":%q,"timestamp":"1700000000","type":"text","text":{"body":%q}}]}}]}]}`, sender, sender, event, text)
}

func signWhatsApp(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *world) whatsApp(c connectors.Connector, body string) delivery {
	return delivery{"POST", c.WebhookPath(), http.Header{"Content-Type": {"application/json"},
		"X-Hub-Signature-256": {signWhatsApp(c.Credentials["appSecret"], body)}}, body}
}

const twilioNumber = "+15017122661"

func twilioForm(sender, event, text string) url.Values {
	return url.Values{"MessageSid": {event}, "SmsSid": {event}, "AccountSid": {creds[connectors.TwilioSMS]["accountSid"]},
		"From": {sender}, "To": {twilioNumber}, "Body": {text}, "NumMedia": {"0"}}
}

// signTwilio is Twilio's scheme: base64 HMAC-SHA1 over the URL and the
// POST parameters sorted by name, each name followed by its value.
func signTwilio(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := u
	for _, k := range keys {
		s += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (w *world) twilio(c connectors.Connector, form url.Values) delivery {
	return delivery{"POST", c.WebhookPath(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
		"X-Twilio-Signature": {signTwilio(c.Credentials["authToken"], publicBase+c.WebhookPath(), form)}}, form.Encode()}
}

func (w *world) teamsBody(sender, event, text string) string {
	return fmt.Sprintf(`{"type":"message","id":%q,"timestamp":"2026-11-01T09:00:00.000Z","serviceUrl":%q,"channelId":"msteams",`+
		`"from":{"id":"29:1abc","name":"Walter Skinner","aadObjectId":%q},"conversation":{"id":"a:1conv%s","conversationType":"personal"},`+
		`"recipient":{"id":"28:bot","name":"gatehouse"},"text":%q}`, event, w.standIn.TeamsServiceURL(), sender, sender, text)
}

func (w *world) teams(c connectors.Connector, body string, claims map[string]any) delivery {
	tok := w.standIn.TeamsToken(c.Credentials["appId"], w.standIn.TeamsServiceURL(), claims)
	return delivery{"POST", c.WebhookPath(), http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + tok}}, body}
}

// message builds a signed message of provider from sender with event id.
func (w *world) message(provider, sender, event string) delivery {
	c := w.byProvider[provider]
	return w.messageOn(c, sender, event)
}

func (w *world) messageOn(c connectors.Connector, sender, event string) delivery {
	text := "hello from " + sender
	switch c.Provider {
	case connectors.Slack:
		return w.slack(c, slackBody(sender, event, text))
	case connectors.Telegram:
		return w.telegram(c, telegramBody(sender, event, text))
	case connectors.WhatsApp:
		return w.whatsApp(c, whatsAppBody(sender, event, text))
	case connectors.TwilioSMS:
		return w.twilio(c, twilioForm(sender, event, text))
	default:
		return w.teams(c, w.teamsBody(sender, event, text), nil)
	}
}

// senders are valid addresses per provider; event ids likewise.
func sender(provider string, n int) string {
	switch provider {
	case connectors.Slack:
		return fmt.Sprintf("U0SENDER%03d", n)
	case connectors.Telegram:
		return strconv.Itoa(700000 + n)
	case connectors.WhatsApp:
		return strconv.Itoa(4915112340000 + n)
	case connectors.TwilioSMS:
		return fmt.Sprintf("+1555000%04d", n)
	default:
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

func eventID(provider string, n int) string {
	switch provider {
	case connectors.Slack:
		return fmt.Sprintf("Ev0%08d", n)
	case connectors.Telegram:
		return strconv.Itoa(100000000 + n)
	case connectors.WhatsApp:
		return fmt.Sprintf("wamid.HBgL%08d", n)
	case connectors.TwilioSMS:
		return fmt.Sprintf("SM%032d", n)
	default:
		return fmt.Sprintf("1700000000%06d", n)
	}
}

// items counts the table's items.
func (w *world) items(t testing.TB) int {
	t.Helper()
	n, err := w.Table.DB.Table(w.Table.Name).Scan().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// requests lists the agent's access requests of a status.
func (w *world) requests(t testing.TB, status string) []accessrequests.AccessRequest {
	t.Helper()
	res := w.Do(t, "GET", "/v1/tenants/"+tenant+"/participantAccessRequests?agentId="+agent+"&status="+status, w.editor, "")
	if res.Status != 200 {
		t.Fatalf("list requests: %d %s", res.Status, res.Body)
	}
	var rows []accessrequests.AccessRequest
	if err := json.Unmarshal([]byte(res.Body), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// outboxItems returns the outbox messages of a kind.
func (w *world) outboxItems(t testing.TB, kind string) []outbox.Message {
	t.Helper()
	var all []outbox.Message
	err := w.Table.DB.Table(w.Table.Name).Scan().Filter("begins_with(PK, ?) AND kind = ?", "OUTBOX#", kind).Consistent(true).All(context.Background(), &all)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// waitOutbox waits until every outbox message of kind has left PENDING
// and SENDING, and returns them.
func (w *world) waitOutbox(t testing.TB, kind string, want int) []outbox.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ms := w.outboxItems(t, kind)
		done := len(ms) == want
		for _, m := range ms {
			if m.Status != outbox.StatusSent && m.Status != outbox.StatusFailed {
				done = false
			}
		}
		if done {
			return ms
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox %s: %d messages %+v, want %d finished", kind, len(ms), ms, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// deliveriesTo returns the stand-in's deliveries to an address.
func (w *world) deliveriesTo(to string) []chatkit.Delivery {
	var out []chatkit.Delivery
	for _, d := range w.standIn.Deliveries() {
		if d.To == to || strings.HasSuffix(d.To, to) {
			out = append(out, d)
		}
	}
	return out
}

func (w *world) decide(t testing.TB, id, verb, body string) {
	t.Helper()
	res := w.Do(t, "POST", "/v1/tenants/"+tenant+"/participantAccessRequests/"+id+":"+verb, w.editor, body)
	if res.Status != 200 {
		t.Fatalf("%s: %d %s", verb, res.Status, res.Body)
	}
}

// channelIndex reads a channel's index item.
func (w *world) channelIndex(t testing.TB, c connectors.Connector, address string) roster.ChannelIndex {
	t.Helper()
	var ci roster.ChannelIndex
	err := w.Table.DB.Table(w.Table.Name).Get("PK", store.ChannelPK(tenant, c.ID, address)).Range("SK", dynamo.Equal, store.MarkerSK).Consistent(true).One(context.Background(), &ci)
	if err != nil {
		t.Fatalf("channel index: %v", err)
	}
	return ci
}

// eventStandIn records EventBridge PutEvents calls.
type eventStandIn struct {
	mu      sync.Mutex
	entries []map[string]any
}

func (e *eventStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Entries []map[string]any `json:"Entries"`
	}
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" || json.NewDecoder(r.Body).Decode(&in) != nil {
		http.Error(w, "bad request", 400)
		return
	}
	e.mu.Lock()
	e.entries = append(e.entries, in.Entries...)
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	out := map[string]any{"FailedEntryCount": 0, "Entries": []any{}}
	for range in.Entries {
		out["Entries"] = append(out["Entries"].([]any), map[string]any{"EventId": "evt-1"})
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (e *eventStandIn) all() []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]map[string]any(nil), e.entries...)
}
