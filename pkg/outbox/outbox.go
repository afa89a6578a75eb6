// Package outbox delivers outbox messages (Message): the side
// effects written in the same transaction as the state change that causes
// them (onboarding chat messages, events, e-mails, avatar syncs).
//
// # Handlers
//
// Each feature package exposes its kinds' handlers as a
// map[string]Handler; pkg/outbox/kinds declares which stream
// function delivers which kinds, and Handlers checks a function's maps
// against its declared list (a kind may be claimed by one package only).
//
// # Delivery
//
// The DispatcherFunction Lambda is triggered by the table's stream
// (template.yaml filters it to OUTBOX# items whose new image is PENDING),
// and the dev server runs the same Dispatcher over DynamoDB Local's stream
// (Poller). For every PENDING change the dispatcher:
//
//  1. waits until the message's nextAttemptAt (a bounded sleep inside the
//     Lambda's time; beyond it, it waits out that bound and reports the
//     record as a batch item failure, so the event source mapping's
//     redeliveries, which come at once, each cover MaxWait of the backoff);
//  2. claims it with one conditional update: status PENDING → SENDING with
//     a lease and a claim token, only if attempts still equals the
//     change's (a stale or duplicate record claims nothing), or taking over
//     a SENDING message whose lease expired (a crashed dispatcher);
//  3. runs the kind's handler and records the outcome, conditioned on its
//     claim token: SENT (with a TTL), FAILED at once for ErrPermanent
//     or once the message is MaxAge old (or after MaxAttempts), or back to
//     PENDING with attempts+1, lastError and nextAttemptAt = now +
//     exponential backoff. That MODIFY is a new
//     stream record, which is how the retry comes back to step 1.
//
// Handlers must be idempotent: a crash between a handler's success and
// the SENT write redelivers the message once the lease expires. A message
// of a kind without a handler is left PENDING (and logged): another
// dispatcher that knows the kind may deliver it; touching the item after
// a deploy that registers the kind re-drives it.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// SENDING is the status of a claimed message (the store defines the others).
const statusSending = "SENDING"

// Defaults of a Dispatcher. A message is retried for a day: a provider
// outage of up to 24 hours delays it, a longer one fails it.
const (
	DefaultMaxAge = 24 * time.Hour
	// DefaultMaxAttempts only bounds a message without createdAt (MaxAge
	// needs one); the backoff reaches a day after about 290 attempts.
	DefaultMaxAttempts = 400
	DefaultLease       = 30 * time.Second
	DefaultSendTimeout = 20 * time.Second
	DefaultMaxWait     = 90 * time.Second
	DefaultSentTTL     = 7 * 24 * time.Hour
	DefaultFailedTTL   = 30 * 24 * time.Hour
)

// DefaultBackoff is 2 s doubling per attempt up to DefaultMaxBackoff,
// with ±20 % jitter: the first eight retries span about 8.5 minutes, then
// one attempt every five minutes. The cap (6 minutes with jitter) stays
// within what the stream's event source mapping redelivers: 10 retries of
// a record (template.yaml), each invocation waiting DefaultMaxWait.
func DefaultBackoff(attempt int) time.Duration {
	d := 2 * time.Second << min(max(attempt-1, 0), 8)
	d = min(d, DefaultMaxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// DefaultMaxBackoff is DefaultBackoff's cap.
const DefaultMaxBackoff = 5 * time.Minute

// ErrRetryLater means the change could not be finished now (its time has
// not come within this invocation, or the store failed): report it as a
// batch item failure so that it is redelivered.
var ErrRetryLater = errors.New("outbox: retry later")

// Dispatcher delivers outbox messages.
type Dispatcher struct {
	table    dynamo.Table
	handlers map[string]Handler
	log      *slog.Logger

	MaxAttempts int
	// MaxAge ends retries: a transient failure of a message created
	// longer ago marks it FAILED. 0 means no age limit.
	MaxAge      time.Duration
	Backoff     func(attempt int) time.Duration
	Lease       time.Duration // how long a claim excludes others; longer than SendTimeout
	SendTimeout time.Duration // per handler call
	MaxWait     time.Duration // longest wait for nextAttemptAt or a lease within one call
	SentTTL     time.Duration
	FailedTTL   time.Duration
	now         func() time.Time
}

// New returns a Dispatcher over st's table with the given handlers.
func New(st *store.Store, handlers map[string]Handler, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{
		table: st.Table(), handlers: handlers, log: log,
		MaxAttempts: DefaultMaxAttempts, MaxAge: DefaultMaxAge, Backoff: DefaultBackoff, Lease: DefaultLease, SendTimeout: DefaultSendTimeout,
		MaxWait: DefaultMaxWait, SentTTL: DefaultSentTTL, FailedTTL: DefaultFailedTTL, now: time.Now,
	}
}

// Change is one stream record of an outbox item, as the dispatcher needs it.
type Change struct {
	// RecordID identifies the record in a batch (the sequence number).
	RecordID      string
	MessageID     string
	Status        string
	Attempts      int
	NextAttemptAt int64 // epoch ms
	// Kind lets a dispatcher skip kinds it has no handler for without a
	// write; "" means unknown (then the claim tells).
	Kind string
}

// item is an outbox message with the dispatcher's claim attributes.
type item struct {
	Message
	LeaseUntil int64  `dynamo:"leaseUntil,omitempty"` // epoch ms
	ClaimToken string `dynamo:"claimToken,omitempty"`
	SentAt     int64  `dynamo:"sentAt,omitempty"`
}

// Batch processes changes concurrently and returns the RecordIDs to
// report as batch item failures.
func (d *Dispatcher) Batch(ctx context.Context, changes []Change) []string {
	var (
		mu     sync.Mutex
		failed []string
		wg     sync.WaitGroup
	)
	for _, c := range changes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.Process(ctx, c); err != nil {
				d.log.WarnContext(ctx, "outbox change not finished", "outboxId", c.MessageID, "err", err)
				mu.Lock()
				failed = append(failed, c.RecordID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed
}

// Process handles one change. nil means this record needs no redelivery
// (delivered, rescheduled through a new record, finished, or stale).
func (d *Dispatcher) Process(ctx context.Context, c Change) error {
	if c.Status != StatusPending || c.MessageID == "" {
		return nil
	}
	if _, ok := d.handlers[c.Kind]; c.Kind != "" && !ok {
		// Another dispatcher (a newer deploy, or the dev server's feature
		// drains) may know the kind: leave the message to it.
		d.log.ErrorContext(ctx, "outbox: no handler for kind; message left PENDING", "outboxId", c.MessageID, "kind", c.Kind)
		return nil
	}
	deadline := d.deadline(ctx)
	next := c.NextAttemptAt
	for {
		if err := d.waitUntil(ctx, time.UnixMilli(next), deadline); err != nil {
			return err
		}
		it, tok, err := d.claim(ctx, c)
		if err == nil {
			if _, ok := d.handlers[it.Kind]; !ok {
				return d.release(ctx, it, tok)
			}
			return d.deliver(ctx, it, tok)
		}
		if !dynamo.IsCondCheckFailed(err) {
			return fmt.Errorf("%w: claim: %v", ErrRetryLater, err)
		}
		var done bool
		if next, done, err = d.retryAt(ctx, c); done || err != nil {
			return err
		}
	}
}

// deadline is when Process stops waiting: MaxWait from now, or earlier
// so one handler call and the outcome write fit before ctx's deadline.
func (d *Dispatcher) deadline(ctx context.Context) time.Time {
	deadline := d.now().Add(d.MaxWait)
	if dl, ok := ctx.Deadline(); ok {
		if lim := dl.Add(-d.SendTimeout - 2*time.Second); lim.Before(deadline) {
			deadline = lim
		}
	}
	return deadline
}

// retryAt reads the message after a failed claim and tells when to
// claim again (epoch ms), or done when this change needs no more work.
func (d *Dispatcher) retryAt(ctx context.Context, c Change) (next int64, done bool, err error) {
	cur, err := d.get(ctx, c.MessageID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, true, nil
	}
	if err != nil {
		return 0, true, fmt.Errorf("%w: read: %v", ErrRetryLater, err)
	}
	now := d.now().UnixMilli()
	switch {
	case cur.Attempts != c.Attempts, cur.Status == StatusSent, cur.Status == StatusFailed:
		return 0, true, nil // moved on: a later record (or none) carries it
	case cur.Status == statusSending && cur.LeaseUntil > now:
		// Someone is delivering it: wait for the outcome or the
		// lease to run out (a crashed claimer), re-reading meanwhile.
		return min(cur.LeaseUntil+1, now+500), false, nil
	case cur.Status == StatusPending && cur.NextAttemptAt > now:
		return cur.NextAttemptAt, false, nil
	default:
		return now, false, nil // raced: claim again
	}
}

// waitUntil sleeps until t. A t past the deadline is ErrRetryLater after
// sleeping until the deadline: a redelivery comes at once, and without
// the wait a backoff longer than MaxWait would use up the event source
// mapping's retries (10) in seconds and strand the message PENDING.
func (d *Dispatcher) waitUntil(ctx context.Context, t, deadline time.Time) error {
	wait := t.Sub(d.now())
	if wait <= 0 {
		return nil
	}
	later := t.After(deadline)
	if later {
		wait = deadline.Sub(d.now())
	}
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ErrRetryLater, ctx.Err())
		case <-timer.C:
		}
	}
	if later {
		return fmt.Errorf("%w: next attempt at %s", ErrRetryLater, t.UTC().Format(time.RFC3339))
	}
	return nil
}

func (d *Dispatcher) key(id string) *dynamo.Update {
	return d.table.Update("PK", store.OutboxPK(id)).Range("SK", store.OutboxSK)
}

// claim takes the message for one delivery attempt.
func (d *Dispatcher) claim(ctx context.Context, c Change) (item, string, error) {
	now := d.now()
	tok := uuid.NewString()
	var it item
	err := d.key(c.MessageID).
		Set("status", statusSending).Set("leaseUntil", now.Add(d.Lease).UnixMilli()).Set("claimToken", tok).
		Set("modifiedAt", now.UnixMilli()).
		If("attribute_exists(PK) AND attempts = ? AND ($ = ? OR ($ = ? AND leaseUntil < ?)) AND (attribute_not_exists(nextAttemptAt) OR nextAttemptAt <= ?)",
			c.Attempts, "status", StatusPending, "status", statusSending, now.UnixMilli(), now.UnixMilli()).
		Value(ctx, &it)
	return it, tok, err
}

func (d *Dispatcher) get(ctx context.Context, id string) (item, error) {
	var it item
	err := d.table.Get("PK", store.OutboxPK(id)).Range("SK", dynamo.Equal, store.OutboxSK).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return it, store.ErrNotFound
	}
	return it, err
}

// deliver runs the handler and records the outcome.
func (d *Dispatcher) deliver(ctx context.Context, it item, tok string) error {
	m := it.Message
	herr := d.call(ctx, m)
	now := d.now()
	attempts := m.Attempts + 1
	u := d.key(m.ID).Set("attempts", attempts).Set("modifiedAt", now.UnixMilli()).Remove("leaseUntil", "claimToken").
		If("claimToken = ? AND $ = ?", tok, "status", statusSending)
	var outcome string
	switch {
	case herr == nil:
		outcome = StatusSent
		u.Set("status", StatusSent).Set("sentAt", now.UnixMilli()).Set("expiresAt", now.Add(d.SentTTL).Unix()).Remove("lastError", "nextAttemptAt")
	case errors.Is(herr, ErrPermanent) || attempts >= d.MaxAttempts || d.tooOld(m, now):
		outcome = StatusFailed
		u.Set("status", StatusFailed).Set("lastError", errText(herr)).Set("expiresAt", now.Add(d.FailedTTL).Unix()).Remove("nextAttemptAt")
	default:
		outcome = "RETRY"
		next := now.Add(d.Backoff(attempts))
		u.Set("status", StatusPending).Set("lastError", errText(herr)).Set("nextAttemptAt", next.UnixMilli())
	}
	err := u.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		// The lease ran out and another dispatcher took over; its outcome wins.
		d.log.WarnContext(ctx, "outbox claim lost", "outboxId", m.ID, "kind", m.Kind)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: record outcome: %v", ErrRetryLater, err)
	}
	attrs := []any{"outboxId", m.ID, "kind", m.Kind, "attempt", attempts, "outcome", outcome}
	if herr != nil {
		attrs = append(attrs, "err", herr)
		d.log.WarnContext(ctx, "outbox delivery failed", attrs...)
	} else {
		d.log.InfoContext(ctx, "outbox delivered", attrs...)
	}
	return nil
}

// tooOld reports whether m has been retried for MaxAge; a message without
// createdAt is bounded by MaxAttempts alone.
func (d *Dispatcher) tooOld(m Message, now time.Time) bool {
	return d.MaxAge > 0 && m.CreatedAt > 0 && now.Sub(time.UnixMilli(m.CreatedAt)) >= d.MaxAge
}

// release gives back a claim on a message of a kind this dispatcher has
// no handler for, unchanged but for modifiedAt.
func (d *Dispatcher) release(ctx context.Context, it item, tok string) error {
	d.log.ErrorContext(ctx, "outbox: no handler for kind; message left PENDING", "outboxId", it.ID, "kind", it.Kind)
	err := d.key(it.ID).Set("status", StatusPending).Set("modifiedAt", d.now().UnixMilli()).Remove("leaseUntil", "claimToken").
		If("claimToken = ?", tok).Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("%w: release: %v", ErrRetryLater, err)
	}
	return nil
}

// call runs the kind's handler with a timeout; a panic is a transient failure.
func (d *Dispatcher) call(ctx context.Context, m Message) (err error) {
	h := d.handlers[m.Kind]
	ctx, cancel := context.WithTimeout(ctx, d.SendTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("outbox: handler panic: %v", v)
		}
	}()
	return h(ctx, m)
}

// errText keeps lastError small.
func errText(err error) string {
	s := err.Error()
	if len(s) > 1000 {
		s = s[:1000]
	}
	return s
}
