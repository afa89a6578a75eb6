package expiry_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/expiry"
	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/shares"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/keycloakkit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const (
	tenant = "acme"
	agent  = "agent-1"
	day    = 24 * time.Hour
)

func days(n int) *int { return &n }

// sweepTwice runs two sweeps at once at now and adds up what they did.
func sweepTwice(t *testing.T, s expiry.Sweeper, now time.Time) expiry.Result {
	t.Helper()
	s.Now = func() time.Time { return now }
	var wg sync.WaitGroup
	results := make([]expiry.Result, 2)
	for i := range results {
		wg.Go(func() {
			res, err := s.Run(context.Background())
			if err != nil {
				t.Errorf("sweep %d: %v", i, err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	var sum expiry.Result
	for _, r := range results {
		sum.RequestsExpired += r.RequestsExpired
		sum.RequestsPostponed += r.RequestsPostponed
		sum.RecipientsDeclined += r.RecipientsDeclined
		sum.RecipientsPostponed += r.RecipientsPostponed
		sum.Failed += r.Failed
		sum.Skipped += r.Skipped
	}
	return sum
}

func TestExpireAccessRequests(t *testing.T) {
	tbl := dynamokit.NewTable(t)
	ctx := context.Background()
	repo, conns := accessrequests.NewRepo(tbl.Store), connectors.NewRepo(tbl.Store)
	now := time.Now()

	// Connectors with 1 day, never (0) and the default (30 days); one
	// connector was deleted (its requests take the default).
	ids := map[string]string{}
	for name, d := range map[string]*int{"one": days(1), "never": days(0), "default": nil} {
		c := connectors.Connector{ID: uuid.NewString(), Provider: connectors.Telegram, AgentID: agent, DisplayName: name,
			Credentials: map[string]string{"botToken": "1:a", "secretToken": "s"}, RequestExpiryDays: d,
			CreatedAt: now.UnixMilli(), ModifiedAt: now.UnixMilli()}
		if err := conns.Create(ctx, tenant, c); err != nil {
			t.Fatal(err)
		}
		ids[name] = c.ID
	}
	ids["deleted"] = uuid.NewString()

	type req struct {
		name, connector string
		age             time.Duration
		// What the sweep at now, and the one 29 days later, leave.
		want, wantLater string
	}
	reqs := []req{
		{"1 day, 2 days old", "one", 2 * day, accessrequests.StatusRejected, accessrequests.StatusRejected},
		{"1 day, 1 hour old", "one", time.Hour, accessrequests.StatusPending, accessrequests.StatusRejected},
		{"never, 40 days old", "never", 40 * day, accessrequests.StatusPending, accessrequests.StatusPending},
		{"default, 40 days old", "default", 40 * day, accessrequests.StatusRejected, accessrequests.StatusRejected},
		{"default, 2 days old", "default", 2 * day, accessrequests.StatusPending, accessrequests.StatusRejected},
		{"deleted connector, 31 days old", "deleted", 31 * day, accessrequests.StatusRejected, accessrequests.StatusRejected},
	}
	made := map[string]accessrequests.AccessRequest{}
	for _, r := range reqs {
		at := now.Add(-r.age).UnixMilli()
		ar := accessrequests.AccessRequest{ID: uuid.NewString(), IntegrationConfigID: ids[r.connector], Provider: connectors.Telegram,
			Address: "u-" + uuid.NewString()[:8], AgentID: agent, CreatedAt: at, ModifiedAt: at}
		if err := repo.CreateAccessRequest(ctx, tenant, accessrequests.NewPendingRequest{Request: ar}); err != nil {
			t.Fatal(err)
		}
		made[r.name] = ar
	}
	// A decided request is not in the index at all.
	decided := accessrequests.AccessRequest{ID: uuid.NewString(), IntegrationConfigID: ids["one"], Provider: connectors.Telegram,
		Address: "u-decided", AgentID: agent, CreatedAt: now.Add(-5 * day).UnixMilli()}
	if err := repo.CreateAccessRequest(ctx, tenant, accessrequests.NewPendingRequest{Request: decided}); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Decide(ctx, tenant, decided, accessrequests.Decision{Status: accessrequests.StatusBlocked, By: "op", At: now.UnixMilli()}); err != nil {
		t.Fatal(err)
	}

	s := expiry.Sweeper{Requests: repo, Connectors: conns}
	check := func(t *testing.T, later bool) {
		t.Helper()
		for _, r := range reqs {
			got, err := repo.GetAccessRequest(ctx, tenant, made[r.name].ID)
			if err != nil {
				t.Fatal(err)
			}
			want := r.want
			if later {
				want = r.wantLater
			}
			if got.Status != want {
				t.Errorf("%s: status %s, want %s", r.name, got.Status, want)
			}
			if want == accessrequests.StatusRejected && (got.ProcessedBy != accessrequests.ExpiredBy || !strings.HasPrefix(got.ProcessingNote, "Expired: no decision within")) {
				t.Errorf("%s: processedBy %q, note %q", r.name, got.ProcessedBy, got.ProcessingNote)
			}
		}
	}

	// Two sweeps at once: each request is expired or postponed once.
	got := sweepTwice(t, s, now)
	want := expiry.Result{RequestsExpired: 3, RequestsPostponed: 2}
	if got.RequestsExpired != want.RequestsExpired || got.RequestsPostponed > want.RequestsPostponed*2 || got.RequestsPostponed < want.RequestsPostponed || got.Failed != 0 {
		t.Errorf("two concurrent sweeps: %+v, want %d expired, %d postponed (each at most twice), none failed", got, want.RequestsExpired, want.RequestsPostponed)
	}
	check(t, false)
	blocked, _ := repo.GetAccessRequest(ctx, tenant, decided.ID)
	if blocked.Status != accessrequests.StatusBlocked || blocked.ProcessedBy != "op" {
		t.Errorf("a decided request changed: %+v", blocked)
	}

	// Another sweep changes nothing: the expired ones left the index, the
	// postponed ones are not due.
	if again := sweepTwice(t, s, now); again != (expiry.Result{}) {
		t.Errorf("sweeps after the first: %+v, want nothing done", again)
	}
	first := made["1 day, 2 days old"]
	expired, _ := repo.GetAccessRequest(ctx, tenant, first.ID)

	// The expiry released the pending marker: the sender's next message
	// opens a fresh PENDING request.
	fresh := first
	fresh.ID, fresh.CreatedAt = uuid.NewString(), now.UnixMilli()
	if err := repo.CreateAccessRequest(ctx, tenant, accessrequests.NewPendingRequest{Request: fresh}); err != nil {
		t.Errorf("a fresh request after expiry: %v", err)
	}

	// 29 days later the postponed default request and the young one are
	// due; the never-expiring one is looked at and postponed again.
	later := sweepTwice(t, s, now.Add(29*day))
	if later.RequestsExpired != 3 || later.Failed != 0 { // the two above and the fresh one (1 day)
		t.Errorf("29 days later: %+v, want 3 expired", later)
	}
	check(t, true)
	if again, _ := repo.GetAccessRequest(ctx, tenant, first.ID); again != expired {
		t.Errorf("an expired request changed on a later sweep:\n%+v\n%+v", again, expired)
	}
}

func TestExpireShareRecipients(t *testing.T) {
	tbl := dynamokit.NewTable(t)
	ctx := context.Background()
	const realm, org = "gatehouse", "org-a"
	kc := keycloakkit.NewServer(realm, nil)
	if err := kc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kc.Close() })
	dir, err := keycloak.New(keycloak.Config{BaseURL: kc.URL, Realm: realm, ClientID: keycloakkit.DefaultClientID, ClientSecret: keycloakkit.DefaultClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	st := shares.NewStore(tbl.Store)
	svc := shares.New(st, dir, nil, nil)
	now := time.Now()

	recs := []struct {
		name, status string
		age          time.Duration
		wantDeclined bool
	}{
		{"registering, 40 days", shares.StatusRegistration, 40 * day, true},
		{"waiting for admin, 31 days", shares.StatusWaiting, 31 * day, true},
		{"waiting for admin, 2 days", shares.StatusWaiting, 2 * day, false},
		{"registering, 1 hour", shares.StatusRegistration, time.Hour, false},
		{"accepted, 90 days", shares.StatusAccepted, 90 * day, false},
	}
	ids := map[string]string{}
	for _, r := range recs {
		email := strings.ReplaceAll(strings.ReplaceAll(r.name, " ", "-"), ",", "") + "@example.com"
		id := kc.AddUser(keycloakkit.User{Username: email, Email: email, Attributes: map[string][]string{"organization": {org}}})
		at := now.Add(-r.age).UnixMilli()
		rec := shares.Recipient{UserID: id, OrganizationID: org, Email: email, Status: r.status, CreatedAt: at, ModifiedAt: at, Version: 1,
			Grants: map[string]shares.Grant{"doc-1": {DocumentID: "doc-1", DocumentName: "Manual", SenderUserID: "ada", CreatedAt: at}}}
		if err := st.CreateRecipient(ctx, rec); err != nil {
			t.Fatal(err)
		}
		ids[r.name] = id
	}

	s := expiry.Sweeper{Requests: accessrequests.NewRepo(tbl.Store), Connectors: connectors.NewRepo(tbl.Store), Shares: svc}
	// Off (0 days): the four waiting ones are looked at and put off a day.
	if got := sweepTwice(t, s, now); got.RecipientsDeclined != 0 || got.Failed != 0 || got.RecipientsPostponed < 4 {
		t.Errorf("with share expiry off (0 days): %+v, want the 4 waiting postponed, none declined", got)
	}

	// A day later, with 30 days, the setting is seen.
	s.Config.ShareDays = 30
	now = now.Add(day + time.Minute)
	got := sweepTwice(t, s, now)
	if got.RecipientsDeclined != 2 || got.Failed != 0 {
		t.Errorf("two concurrent sweeps: %+v, want 2 declined, none failed", got)
	}
	mails := declineMails(t, tbl)
	for _, r := range recs {
		rec, err := st.GetRecipient(ctx, org, ids[r.name])
		if err != nil {
			t.Fatal(err)
		}
		_, inKeycloak := kc.User(ids[r.name])
		if r.wantDeclined {
			if rec.Status != shares.StatusDeclined || rec.DecidedBy != shares.ExpiredBy || rec.Grants["doc-1"].RevokedAt == 0 {
				t.Errorf("%s: status %s by %q, grant revoked at %d; want DECLINED by %s, revoked", r.name, rec.Status, rec.DecidedBy, rec.Grants["doc-1"].RevokedAt, shares.ExpiredBy)
			}
			if inKeycloak {
				t.Errorf("%s: the Keycloak account still exists", r.name)
			}
			if n := mails[rec.Email]; n != 1 {
				t.Errorf("%s: %d decline e-mails, want 1", r.name, n)
			}
			continue
		}
		if rec.Status != r.status || rec.DecidedBy != "" || !inKeycloak || mails[rec.Email] != 0 {
			t.Errorf("%s: status %s by %q, in Keycloak %v, %d e-mails; want it untouched", r.name, rec.Status, rec.DecidedBy, inKeycloak, mails[rec.Email])
		}
	}
	if again := sweepTwice(t, s, now); again != (expiry.Result{}) {
		t.Errorf("sweeps after the first: %+v, want nothing done", again)
	}
}

// A Keycloak failure in the middle of an expiry changes nothing; the next
// sweep completes it with one e-mail.
func TestShareExpiryKeycloakFailure(t *testing.T) {
	tbl := dynamokit.NewTable(t)
	ctx := context.Background()
	const realm, org = "gatehouse", "org-a"
	kc := keycloakkit.NewServer(realm, nil)
	if err := kc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kc.Close() })
	dir, err := keycloak.New(keycloak.Config{BaseURL: kc.URL, Realm: realm, ClientID: keycloakkit.DefaultClientID, ClientSecret: keycloakkit.DefaultClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	st := shares.NewStore(tbl.Store)
	email := "late@example.com"
	id := kc.AddUser(keycloakkit.User{Username: email, Email: email, Attributes: map[string][]string{"organization": {org}}})
	at := time.Now().Add(-40 * day).UnixMilli()
	if err := st.CreateRecipient(ctx, shares.Recipient{UserID: id, OrganizationID: org, Email: email, Status: shares.StatusWaiting,
		CreatedAt: at, ModifiedAt: at, Version: 1}); err != nil {
		t.Fatal(err)
	}
	s := expiry.Sweeper{Requests: accessrequests.NewRepo(tbl.Store), Connectors: connectors.NewRepo(tbl.Store),
		Shares: shares.New(st, dir, nil, nil), Config: expiry.Config{ShareDays: 30}, Now: time.Now}

	kc.FailNext(100, 500)
	res, err := s.Run(ctx)
	if err != nil || res.Failed != 1 || res.RecipientsDeclined != 0 {
		t.Fatalf("sweep with Keycloak failing: %+v, %v; want 1 failed", res, err)
	}
	if rec, _ := st.GetRecipient(ctx, org, id); rec.Status != shares.StatusWaiting || rec.Decision != "" {
		t.Errorf("after the failure: status %s, claim %q; want WAITING_FOR_ADMIN_DECISION, no claim", rec.Status, rec.Decision)
	}
	if n := declineMails(t, tbl)[email]; n != 0 {
		t.Errorf("%d e-mails after the failure, want 0", n)
	}
	kc.FailNext(0, 0)
	if res, err := s.Run(ctx); err != nil || res.RecipientsDeclined != 1 {
		t.Fatalf("sweep after recovery: %+v, %v; want 1 declined", res, err)
	}
	if rec, _ := st.GetRecipient(ctx, org, id); rec.Status != shares.StatusDeclined {
		t.Errorf("after recovery: status %s", rec.Status)
	}
	if n := declineMails(t, tbl)[email]; n != 1 {
		t.Errorf("%d e-mails after recovery, want 1", n)
	}
}

// declineMails counts the outbox's decline e-mails per address (a test
// may Scan its own small table).
func declineMails(t *testing.T, tbl *dynamokit.Table) map[string]int {
	t.Helper()
	var items []struct {
		Kind    string `dynamo:"kind"`
		Payload string `dynamo:"payload"`
	}
	err := tbl.DB.Table(tbl.Name).Scan().Filter("begins_with(PK, ?)", store.OutboxPKPrefix).All(context.Background(), &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, it := range items {
		if it.Kind != shares.KindMailSend || !strings.Contains(it.Payload, "declined") && !strings.Contains(it.Payload, "Declined") {
			continue
		}
		for _, f := range strings.Split(it.Payload, `"`) {
			if strings.HasSuffix(f, "@example.com") {
				out[f]++
				break
			}
		}
	}
	return out
}

// An organization's recipientExpiryDays overrides SHARE_EXPIRY_DAYS: with
// 0 its recipients never expire, with 1 they do after a day; one without
// the setting keeps the default.
func TestOrganizationExpirySetting(t *testing.T) {
	tbl := dynamokit.NewTable(t)
	ctx := context.Background()
	const realm = "gatehouse"
	kc := keycloakkit.NewServer(realm, nil)
	if err := kc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kc.Close() })
	dir, err := keycloak.New(keycloak.Config{BaseURL: kc.URL, Realm: realm, ClientID: keycloakkit.DefaultClientID, ClientSecret: keycloakkit.DefaultClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	st := shares.NewStore(tbl.Store)
	now := time.Now()
	tests := []struct {
		org          string
		days         *int // nil: no setting
		age          time.Duration
		wantDeclined bool
	}{
		{"org-never", days(0), 400 * day, false},
		{"org-one-day", days(1), 2 * day, true},
		{"org-one-day-young", days(1), time.Hour, false},
		{"org-default", nil, 2 * day, false},
		{"org-default-old", nil, 31 * day, true},
	}
	ids := map[string]string{}
	for _, tt := range tests {
		if tt.days != nil {
			cur, err := st.GetSettings(ctx, tt.org)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.PutSettings(ctx, cur, shares.Settings{RecipientExpiryDays: tt.days, UpdatedBy: "org-admin", UpdatedAt: now.UnixMilli()}); err != nil {
				t.Fatal(err)
			}
		}
		email := tt.org + "@example.com"
		id := kc.AddUser(keycloakkit.User{Username: email, Email: email, Attributes: map[string][]string{"organization": {tt.org}}})
		at := now.Add(-tt.age).UnixMilli()
		if err := st.CreateRecipient(ctx, shares.Recipient{UserID: id, OrganizationID: tt.org, Email: email, Status: shares.StatusWaiting,
			CreatedAt: at, ModifiedAt: at, Version: 1}); err != nil {
			t.Fatal(err)
		}
		ids[tt.org] = id
	}
	s := expiry.Sweeper{Requests: accessrequests.NewRepo(tbl.Store), Connectors: connectors.NewRepo(tbl.Store),
		Shares: shares.New(st, dir, nil, nil), Config: expiry.Config{ShareDays: 30}}
	status := func(org string) shares.Recipient {
		t.Helper()
		rec, err := st.GetRecipient(ctx, org, ids[org])
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if got := sweepTwice(t, s, now); got.RecipientsDeclined != 2 || got.Failed != 0 {
		t.Errorf("sweep: %+v, want 2 declined", got)
	}
	for _, tt := range tests {
		rec := status(tt.org)
		if declined := rec.Status == shares.StatusDeclined && rec.DecidedBy == shares.ExpiredBy; declined != tt.wantDeclined {
			t.Errorf("%s: status %s by %q, want declined by the sweep %v", tt.org, rec.Status, rec.DecidedBy, tt.wantDeclined)
		}
	}
	// A year on, every recipient but the never-expiring organization's is
	// declined.
	if got := sweepTwice(t, s, now.Add(365*day)); got.RecipientsDeclined != 2 || got.Failed != 0 {
		t.Errorf("sweep a year later: %+v, want the 2 others declined", got)
	}
	for _, tt := range tests {
		want := shares.StatusDeclined
		if tt.org == "org-never" {
			want = shares.StatusWaiting
		}
		if got := status(tt.org).Status; got != want {
			t.Errorf("%s a year later: %s, want %s", tt.org, got, want)
		}
	}
}
