package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/alertsettings"
	"github.com/gatehouse/gatehouse/pkg/chatmsg"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/store"
)

const (
	// pageSize bounds one index read and the digests sent from it.
	pageSize = 100
	// reserve is the time left unused at the end of a run.
	reserve = 10 * time.Second
	// reads bounds the concurrent request reads of one digest.
	reads = 8
)

// Transaction action names of a send.
const actDigest = "digest"

// Sweeper sends the due digests (AlertDigestFunction, make dev's timer).
type Sweeper struct {
	table      dynamo.Table
	st         *store.Store
	Requests   *accessrequests.Repo
	Collabs    *collaborators.Repo
	Settings   *alertsettings.SettingsRepo
	Connectors alertsettings.ConnectorReader
	Config     Config
	Log        *slog.Logger
	Now        func() time.Time
}

// NewSweeper returns a Sweeper over st.
func NewSweeper(st *store.Store, conns alertsettings.ConnectorReader, cfg Config, log *slog.Logger) *Sweeper {
	if log == nil {
		log = slog.Default()
	}
	return &Sweeper{table: st.Table(), st: st, Requests: accessrequests.NewRepo(st), Collabs: collaborators.NewRepo(st),
		Settings: alertsettings.NewSettingsRepo(st), Connectors: conns, Config: cfg, Log: log, Now: time.Now}
}

// FromPlatform builds the Sweeper from p.
func FromPlatform(p *platform.Platform, cfg Config) *Sweeper {
	return NewSweeper(p.Store, connectors.NewRepo(p.Store), cfg, p.Logger)
}

// Result counts what one sweep did.
type Result struct {
	// E-mails and Slack messages queued (mail.send, chat.send).
	Mails int `json:"mails"`
	Slack int `json:"slack"`
	// Requests listed in them (a request in three digests counts three times).
	Requests int `json:"requests"`
	// Digests dropped: the recipient no longer takes alerts (role, flag,
	// address or Slack setting gone).
	Dropped int `json:"dropped"`
	// Digests changed or sent meanwhile (a new request, an overlapping
	// run): the next run sends them.
	Skipped int `json:"skipped"`
	// Failures, retried by the next run (logged).
	Failed int `json:"failed"`
	// Incomplete is true when the run stopped for time with digests left.
	Incomplete bool `json:"incomplete"`
}

// Handle is the scheduled Lambda's handler: one sweep, its counts logged.
func (s *Sweeper) Handle(ctx context.Context) (Result, error) {
	res, err := s.Run(ctx)
	s.Log.InfoContext(ctx, "alert digest sweep", "mails", res.Mails, "slack", res.Slack, "requests", res.Requests,
		"dropped", res.Dropped, "skipped", res.Skipped, "failed", res.Failed, "incomplete", res.Incomplete)
	return res, err
}

// Run sends every digest due now. It returns an error only when it cannot
// read the index; single failures are counted, logged and left to the
// next run.
func (s *Sweeper) Run(ctx context.Context) (Result, error) {
	var res Result
	run := &runCache{reqs: map[string]accessrequests.AccessRequest{}, conns: map[string]string{}}
	now := s.Now().UnixMilli()
	for shard := range digestShards {
		var from dynamo.PagingKey
		for {
			if !timeLeft(ctx) {
				res.Incomplete = true
				return res, nil
			}
			var page []digestItem
			q := s.table.Get("EXPPK", store.DigestsDuePK(shard)).Index(store.ExpiryIndex).
				Range("EXPSK", dynamo.Less, store.SortKey(now+1, "")).Order(dynamo.Ascending).Limit(pageSize)
			if from != nil {
				q = q.StartFrom(from)
			}
			next, err := q.AllWithLastEvaluatedKey(ctx, &page)
			if err != nil {
				return res, fmt.Errorf("alerts: due digests: %w", err)
			}
			for _, d := range page {
				s.send(ctx, d.PK, now, run, &res)
			}
			if next == nil {
				break
			}
			from = next
		}
	}
	return res, nil
}

func timeLeft(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > reserve
}

// runCache keeps what one run read, so an agent's approvers share reads.
type runCache struct {
	mu    sync.Mutex
	reqs  map[string]accessrequests.AccessRequest // tenant#id
	conns map[string]string                       // tenant#connector → display name
}

// send composes and queues one digest's alert and deletes the digest, in
// one transaction conditioned on the version read.
func (s *Sweeper) send(ctx context.Context, pk string, now int64, run *runCache, res *Result) {
	var d digestItem
	err := s.table.Get("PK", pk).Range("SK", dynamo.Equal, store.MarkerSK).Consistent(true).One(ctx, &d)
	switch {
	case errors.Is(err, dynamo.ErrNotFound):
		res.Skipped++ // sent by an overlapping run (the index lags)
		return
	case err != nil:
		s.fail(ctx, res, "read digest", err, "digest", pk)
		return
	case d.DueAt > now:
		res.Skipped++
		return
	}
	msg, listed, err := s.compose(ctx, d, run)
	if errors.Is(err, errNoDigest) {
		s.drop(ctx, d, res)
		return
	}
	if err != nil {
		s.fail(ctx, res, "compose digest", err, "digest", pk)
		return
	}
	err = s.st.Tx().Join(outbox.Enqueue(msg)).
		Delete(actDigest, s.table.Delete("PK", d.PK).Range("SK", store.MarkerSK).If("version = ?", d.Version)).
		Run(ctx)
	switch {
	case err == nil:
		res.Requests += listed
		if msg.Kind == mail.KindSend {
			res.Mails++
		} else {
			res.Slack++
		}
		s.Log.InfoContext(ctx, "alert digest queued", "tenant", d.Tenant, "agentId", d.AgentID, "recipient", d.Recipient,
			"kind", msg.Kind, "requests", len(d.Requests)+d.More)
	case store.ConditionFailed(err, actDigest), store.ConditionFailed(err, outbox.ActionName(msg.ID)), store.OnlyConflicts(err):
		res.Skipped++ // changed or sent meanwhile: the next run decides
	default:
		s.fail(ctx, res, "queue digest", err, "digest", pk)
	}
}

// drop deletes a digest nobody takes any more (unless it changed).
func (s *Sweeper) drop(ctx context.Context, d digestItem, res *Result) {
	err := s.table.Delete("PK", d.PK).Range("SK", store.MarkerSK).If("version = ?", d.Version).Run(ctx)
	switch {
	case err == nil:
		res.Dropped++
		s.Log.InfoContext(ctx, "alert digest dropped: the recipient takes no alerts", "tenant", d.Tenant, "agentId", d.AgentID, "recipient", d.Recipient)
	case dynamo.IsCondCheckFailed(err):
		res.Skipped++
	default:
		s.fail(ctx, res, "drop digest", err, "digest", d.PK)
	}
}

// outboxID derives the alert's id from the digest and its window, so two
// runs sending one window queue one message.
func outboxID(d digestItem) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", d.PK, d.FirstAt))
	return "digest-" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// compose builds the digest's alert; errNoDigest when the recipient no
// longer takes alerts. listed is the number of requests it names.
func (s *Sweeper) compose(ctx context.Context, d digestItem, run *runCache) (outbox.Message, int, error) {
	rows, err := s.rows(ctx, d, run)
	if err != nil {
		return outbox.Message{}, 0, err
	}
	total := len(d.Requests) + d.More
	link := consoleLink(s.Config.PublicBaseURL, d.AgentID)
	at := s.Now().UnixMilli()
	if d.Recipient == slackRecipient {
		set, err := s.Settings.Get(ctx, d.Tenant, d.AgentID)
		if err != nil {
			return outbox.Message{}, 0, err
		}
		if set.Slack == nil || alertsettings.CheckSlack(ctx, s.Connectors, d.Tenant, d.AgentID, set.Slack.ConfigID) != nil {
			return outbox.Message{}, 0, errNoDigest
		}
		text := slackText(d.AgentID, rows, total, link)
		m := chatmsg.Message(outboxID(d), d.Tenant, chatmsg.Payload{IntegrationConfigID: set.Slack.ConfigID, Provider: connectors.Slack,
			ReplyTo: set.Slack.Channel, Text: text}, at)
		return m, min(len(rows), maxSlackRows), nil
	}
	user, ok := strings.CutPrefix(d.Recipient, userPrefix)
	if !ok {
		return outbox.Message{}, 0, errNoDigest
	}
	c, err := s.Collabs.Get(ctx, d.Tenant, d.AgentID, user)
	if errors.Is(err, store.ErrNotFound) {
		return outbox.Message{}, 0, errNoDigest
	}
	if err != nil {
		return outbox.Message{}, 0, err
	}
	if !c.AlertsAccessRequests() || !usableAddress(c.Email) {
		return outbox.Message{}, 0, errNoDigest
	}
	m := digestMail(c.Email, d.Tenant, d.AgentID, rows, total, link)
	b, err := jsonString(m)
	if err != nil {
		return outbox.Message{}, 0, err
	}
	return outbox.Message{ID: outboxID(d), Kind: mail.KindSend, Tenant: d.Tenant, Payload: b, CreatedAt: at, ModifiedAt: at}, len(rows), nil
}

// row is one request in an alert.
type row struct {
	accessrequests.AccessRequest
	Connector string // display name
}

// rows reads the newest maxShown requests of a digest (a request deleted
// since is left out) with their connectors' names.
func (s *Sweeper) rows(ctx context.Context, d digestItem, run *runCache) ([]row, error) {
	entries := slices.Clone(d.Requests)
	slices.Sort(entries)
	slices.Reverse(entries) // newest first
	entries = entries[:min(len(entries), maxShown)]
	out := make([]row, len(entries))
	found := make([]bool, len(entries))
	errs := make([]error, len(entries))
	sem := make(chan struct{}, reads)
	var wg sync.WaitGroup
	for i, e := range entries {
		_, id, _ := strings.Cut(e, "#")
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ar, err := s.request(ctx, run, d.Tenant, id)
			if errors.Is(err, store.ErrNotFound) {
				return
			}
			if err != nil {
				errs[i] = err
				return
			}
			name, err := s.connectorName(ctx, run, d.Tenant, ar.IntegrationConfigID)
			out[i], found[i], errs[i] = row{AccessRequest: ar, Connector: name}, err == nil, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rows := out[:0]
	for i, r := range out {
		if found[i] {
			rows = append(rows, r)
		}
	}
	return rows, nil
}

func (s *Sweeper) request(ctx context.Context, run *runCache, tenant, id string) (accessrequests.AccessRequest, error) {
	key := tenant + "#" + id
	run.mu.Lock()
	ar, ok := run.reqs[key]
	run.mu.Unlock()
	if ok {
		return ar, nil
	}
	ar, err := s.Requests.GetAccessRequest(ctx, tenant, id)
	if err != nil {
		return ar, err
	}
	run.mu.Lock()
	run.reqs[key] = ar
	run.mu.Unlock()
	return ar, nil
}

// connectorName is a connector's display name ("" once deleted).
func (s *Sweeper) connectorName(ctx context.Context, run *runCache, tenant, id string) (string, error) {
	key := tenant + "#" + id
	run.mu.Lock()
	name, ok := run.conns[key]
	run.mu.Unlock()
	if ok {
		return name, nil
	}
	c, err := s.Connectors.Get(ctx, tenant, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	run.mu.Lock()
	run.conns[key] = c.DisplayName
	run.mu.Unlock()
	return c.DisplayName, nil
}

func (s *Sweeper) fail(ctx context.Context, res *Result, what string, err error, kv ...any) {
	res.Failed++
	s.Log.ErrorContext(ctx, "alerts: "+what, append(kv, "err", err)...)
}
