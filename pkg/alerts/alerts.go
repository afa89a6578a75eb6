// Package alerts tells an agent's approvers about new PENDING access
// requests, as digests: at most one e-mail per approver (and one Slack
// message per agent) per digest period, listing the requests since the
// last one.
//
//  1. The webhook transaction that opens a PENDING request also queues an
//     alert.pending outbox message (pkg/alertmsg): one more write, no read.
//  2. DispatcherFunction's handler for it (Handlers) finds the recipients —
//     the agent's EDITOR and ADMIN collaborators with accessRequestAlerts
//     on, and the agent's Slack target — and adds the request to each
//     one's digest item with one UpdateItem. The first request of a
//     window sets the digest's due time (now + period) and puts it in
//     store.ExpiryIndex. Adding to a set is idempotent under redelivery.
//  3. AlertDigestFunction (Sweeper) reads the due digests from the index
//     (never a Scan, bounded pages) and per digest writes, in one
//     transaction, the mail.send or chat.send outbox message and the
//     digest's deletion, conditioned on its version: a request added
//     meanwhile makes it wait for the next run, and overlapping runs send
//     once.
//
// The next window starts with the first request after a digest was sent,
// so two alerts to one recipient are always at least a period apart. A
// digest keeps the ids of its first 500 requests (the alert lists the
// newest 50 of them, Slack 20) and only counts the rest.
package alerts

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is the alerts' configuration, read once in main.
type Config struct {
	// DigestPeriod is the shortest time between two alerts to one
	// recipient, and how long the first request of a window waits.
	DigestPeriod time.Duration
	// PublicBaseURL is where the console is served ({base}/console/).
	PublicBaseURL string
}

// DefaultDigestMinutes applies when ALERT_DIGEST_MINUTES is unset.
const DefaultDigestMinutes = 15

// ConfigFromEnv reads ALERT_DIGEST_MINUTES (≥ 1, default 15) and
// PUBLIC_BASE_URL.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{DigestPeriod: DefaultDigestMinutes * time.Minute, PublicBaseURL: strings.TrimRight(getenv("PUBLIC_BASE_URL"), "/")}
	if v := getenv("ALERT_DIGEST_MINUTES"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 24*60 {
			return c, fmt.Errorf("alerts: ALERT_DIGEST_MINUTES must be a whole number of minutes 1..1440, got %q", v)
		}
		c.DigestPeriod = time.Duration(m) * time.Minute
	}
	return c, nil
}
