// Package expiry is the sweep that ends what waited too long: PENDING
// access requests older than their connector's requestExpiryDays become
// REJECTED by gatehouse:expiry (the reject path, so the sender's next
// message opens a fresh request), and share recipients still waiting
// after their organization's recipientExpiryDays (ShareDays when it set
// none) are declined as by an admin (pkg/shares' decline).
//
// It reads store.ExpiryIndex, a sparse cross-tenant index (never a Scan),
// shard by shard in bounded pages, and stops early when its time runs
// out. Every change is conditional on the item still waiting, so retries
// and overlapping sweeps change nothing twice.
//
// ExpiryFunction (functions/expiry) runs it on an EventBridge schedule;
// make dev runs it on a timer and on POST /dev/expiry:run.
package expiry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/shares"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Config is the sweep's configuration.
type Config struct {
	// ShareDays is how long a share recipient may wait (0 = never) in an
	// organization without its own recipientExpiryDays.
	ShareDays int
}

// DefaultShareDays applies when SHARE_EXPIRY_DAYS is unset.
const DefaultShareDays = 30

// ConfigFromEnv reads SHARE_EXPIRY_DAYS (days, 0 = never, default 30).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{ShareDays: DefaultShareDays}
	if v := getenv("SHARE_EXPIRY_DAYS"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 0 {
			return c, fmt.Errorf("expiry: SHARE_EXPIRY_DAYS must be a whole number of days ≥ 0, got %q", v)
		}
		c.ShareDays = d
	}
	return c, nil
}

const (
	day = 24 * time.Hour
	// pageSize bounds one index read and the decisions made on it.
	pageSize = 100
	// reserve is the time left unused at the end of a run, so the page in
	// flight finishes before the Lambda's deadline.
	reserve = 10 * time.Second
)

// ConnectorReader reads a connector's settings.
type ConnectorReader interface {
	Get(ctx context.Context, tenant, id string) (connectors.Connector, error)
}

// Sweeper runs sweeps.
type Sweeper struct {
	Requests   *accessrequests.Repo
	Connectors ConnectorReader
	// Shares declines recipients; nil skips shares (no Keycloak).
	Shares *shares.Service
	Config Config
	Log    *slog.Logger
	Now    func() time.Time
}

// FromPlatform builds the Sweeper from p: shares are swept only when
// Keycloak is configured (the decline deletes the account there).
func FromPlatform(p *platform.Platform, cfg Config, sharesCfg shares.Config) (*Sweeper, error) {
	s := &Sweeper{Requests: accessrequests.NewRepo(p.Store), Connectors: connectors.NewRepo(p.Store),
		Config: cfg, Log: p.Logger, Now: time.Now}
	if sharesCfg.Keycloak.BaseURL != "" {
		sharesCfg.DocumentBucket = "" // declines touch no document content
		svc, err := shares.FromPlatform(p, sharesCfg)
		if err != nil {
			return nil, err
		}
		s.Shares = svc
	}
	return s, nil
}

// Handle is the scheduled Lambda's handler: one sweep, its counts logged.
func (s *Sweeper) Handle(ctx context.Context) (Result, error) {
	res, err := s.Run(ctx)
	s.log().InfoContext(ctx, "expiry sweep", "requestsExpired", res.RequestsExpired, "requestsPostponed", res.RequestsPostponed,
		"recipientsDeclined", res.RecipientsDeclined, "recipientsPostponed", res.RecipientsPostponed, "skipped", res.Skipped, "failed", res.Failed, "incomplete", res.Incomplete)
	return res, err
}

// Result counts what one sweep did.
type Result struct {
	// Requests expired (REJECTED by gatehouse:expiry).
	RequestsExpired int `json:"requestsExpired"`
	// Requests not due yet under their connector's current setting (or
	// never due), moved to be looked at again then.
	RequestsPostponed int `json:"requestsPostponed"`
	// Recipients declined by gatehouse:expiry.
	RecipientsDeclined int `json:"recipientsDeclined"`
	// Recipients not due yet under their organization's current setting
	// (or never due), moved to be looked at again then.
	RecipientsPostponed int `json:"recipientsPostponed"`
	// Candidates decided meanwhile (an operator, an overlapping sweep).
	Skipped int `json:"skipped"`
	// Failures, retried by the next sweep (logged).
	Failed int `json:"failed"`
	// Incomplete is true when the run stopped for time with candidates left.
	Incomplete bool `json:"incomplete"`
}

// Run sweeps access requests, then share recipients. It returns an error
// only when it cannot read the index; single failures are counted and
// logged and left to the next run.
func (s *Sweeper) Run(ctx context.Context) (Result, error) {
	var res Result
	days := map[string]int{} // connector settings, read once per run
	for shard := range store.ExpiryShards {
		if err := s.sweepRequests(ctx, shard, days, &res); err != nil {
			return res, err
		}
	}
	if s.Shares == nil {
		return res, nil
	}
	// Swept even when ShareDays is 0: an organization may set its own.
	orgDays := map[string]int{} // organization settings, read once per run
	for _, status := range shares.WaitingStatuses {
		for shard := range store.ExpiryShards {
			if err := s.sweepRecipients(ctx, status, shard, orgDays, &res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// timeLeft reports whether another page fits before ctx's deadline.
func timeLeft(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > reserve
}

func (s *Sweeper) sweepRequests(ctx context.Context, shard int, days map[string]int, res *Result) error {
	now := s.Now().UnixMilli()
	var from dynamo.PagingKey
	for {
		if !timeLeft(ctx) {
			res.Incomplete = true
			return nil
		}
		page, next, err := s.Requests.DueForExpiry(ctx, shard, now, pageSize, from)
		if err != nil {
			return err
		}
		for _, c := range page {
			s.request(ctx, c, days, now, res)
		}
		if next == nil {
			return nil
		}
		from = next
	}
}

// request expires one candidate or moves it to when it is due.
func (s *Sweeper) request(ctx context.Context, c accessrequests.ExpiryCandidate, days map[string]int, now int64, res *Result) {
	ar := c.Request
	d, err := s.expiryDays(ctx, c.Tenant, ar.IntegrationConfigID, days)
	if err != nil {
		s.fail(ctx, res, "connector settings", err, "tenant", c.Tenant, "requestId", ar.ID)
		return
	}
	due := ar.CreatedAt + int64(d)*day.Milliseconds()
	if d == 0 || due > now {
		at := due
		if d == 0 {
			at = now + day.Milliseconds() // never: look again in a day, in case the setting changes
		}
		if err := s.Requests.PostponeExpiry(ctx, c.Tenant, ar, at); err != nil {
			s.fail(ctx, res, "postpone", err, "tenant", c.Tenant, "requestId", ar.ID)
			return
		}
		res.RequestsPostponed++
		return
	}
	_, err = s.Requests.Expire(ctx, c.Tenant, ar, d, s.Now().UnixMilli())
	switch {
	case err == nil:
		res.RequestsExpired++
		s.log().InfoContext(ctx, "access request expired", "tenant", c.Tenant, "requestId", ar.ID,
			"integrationConfigId", ar.IntegrationConfigID, "agentId", ar.AgentID, "days", d)
	case errors.Is(err, accessrequests.ErrNotPending):
		res.Skipped++
	case errors.Is(err, store.ErrConflict) && s.decidedMeanwhile(ctx, c.Tenant, ar.ID):
		res.Skipped++ // lost a transaction race to a decision
	default:
		s.fail(ctx, res, "expire access request", err, "tenant", c.Tenant, "requestId", ar.ID)
	}
}

// decidedMeanwhile reports whether a request is no longer PENDING.
func (s *Sweeper) decidedMeanwhile(ctx context.Context, tenant, id string) bool {
	cur, err := s.Requests.GetAccessRequest(ctx, tenant, id)
	return err == nil && cur.Status != accessrequests.StatusPending
}

// expiryDays is a connector's requestExpiryDays; a deleted connector's
// requests take the default, so they do not wait forever.
func (s *Sweeper) expiryDays(ctx context.Context, tenant, connector string, cache map[string]int) (int, error) {
	key := tenant + "#" + connector
	if d, ok := cache[key]; ok {
		return d, nil
	}
	c, err := s.Connectors.Get(ctx, tenant, connector)
	d := c.ExpiryDays()
	if errors.Is(err, store.ErrNotFound) {
		d, err = connectors.DefaultRequestExpiryDays, nil
	}
	if err != nil {
		return 0, err
	}
	cache[key] = d
	return d, nil
}

func (s *Sweeper) sweepRecipients(ctx context.Context, status string, shard int, orgDays map[string]int, res *Result) error {
	now := s.Now().UnixMilli()
	var from dynamo.PagingKey
	for {
		if !timeLeft(ctx) {
			res.Incomplete = true
			return nil
		}
		page, next, err := s.Shares.Store().WaitingSince(ctx, status, shard, now+1, pageSize, from)
		if err != nil {
			return err
		}
		for _, rec := range page {
			s.recipient(ctx, rec, orgDays, now, res)
		}
		if next == nil {
			return nil
		}
		from = next
	}
}

// recipient declines one waiting candidate or moves it to when it is due.
func (s *Sweeper) recipient(ctx context.Context, rec shares.Recipient, orgDays map[string]int, now int64, res *Result) {
	d, ok := orgDays[rec.OrganizationID]
	if !ok {
		var err error
		if d, err = s.Shares.Store().ExpiryDays(ctx, rec.OrganizationID, s.Config.ShareDays); err != nil {
			s.fail(ctx, res, "organization settings", err, "organizationId", rec.OrganizationID, "userId", rec.UserID)
			return
		}
		orgDays[rec.OrganizationID] = d
	}
	due := rec.CreatedAt + int64(d)*day.Milliseconds()
	if d == 0 || due > now {
		at := due
		if d == 0 {
			at = now + day.Milliseconds() // never: look again in a day, in case the setting changes
		}
		if err := s.Shares.Store().PostponeExpiry(ctx, rec, at); err != nil {
			s.fail(ctx, res, "postpone", err, "organizationId", rec.OrganizationID, "userId", rec.UserID)
			return
		}
		res.RecipientsPostponed++
		return
	}
	switch err := s.Shares.Expire(ctx, rec); {
	case err == nil:
		res.RecipientsDeclined++
		s.log().InfoContext(ctx, "share recipient expired", "organizationId", rec.OrganizationID, "userId", rec.UserID,
			"status", rec.Status, "days", d)
	case errors.Is(err, shares.ErrNotExpirable):
		res.Skipped++
	default:
		s.fail(ctx, res, "expire share recipient", err, "organizationId", rec.OrganizationID, "userId", rec.UserID)
	}
}

func (s *Sweeper) fail(ctx context.Context, res *Result, what string, err error, kv ...any) {
	res.Failed++
	s.log().ErrorContext(ctx, "expiry: "+what, append(kv, "err", err)...)
}

func (s *Sweeper) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
