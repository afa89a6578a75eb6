package devserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/pkg/alerts"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// The approver alert digests on make dev: the code AlertDigestFunction
// runs, every ALERT_SWEEP_INTERVAL (a Go duration, default 1m) and at once
// on POST /dev/alerts:run. ?in=<Go duration> runs it as if that much later
// (in=15m sends the digests of requests that just arrived); the e-mails
// are .eml files in MAIL_DIR once the dispatcher has delivered them.
func init() {
	After = append(After, startAlerts)
	Extra["POST /dev/alerts:run"] = http.HandlerFunc(runAlertsNow)
	Welcome = append(Welcome, welcomeAlerts)
}

var devAlerts atomic.Pointer[alerts.Sweeper]

// alertsMu keeps the timer's and the route's runs apart in the log; the
// sweep itself is safe to overlap.
var alertsMu sync.Mutex

func startAlerts(ctx context.Context, d *routes.Deps, h Hook) (func(), error) {
	getenv := func(k string) string {
		if v, ok := h.Env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	cfg, err := alerts.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if cfg.PublicBaseURL == "" {
		cfg.PublicBaseURL = d.Config.PublicBaseURL
	}
	interval := time.Minute
	if v := getenv("ALERT_SWEEP_INTERVAL"); v != "" {
		if interval, err = time.ParseDuration(v); err != nil || interval <= 0 {
			return nil, fmt.Errorf("devserver: ALERT_SWEEP_INTERVAL must be a positive Go duration, got %q", v)
		}
	}
	s := alerts.NewSweeper(d.Platform.Store, d.Connectors, cfg, d.Platform.Logger)
	devAlerts.Store(s)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_, _ = sweepAlerts(ctx, s, 0)
			}
		}
	}()
	h.Logger.Info("alert digests", "every", interval, "digestPeriod", cfg.DigestPeriod, "runNow", "POST /dev/alerts:run?in=15m")
	return func() { cancel(); <-done }, nil
}

// sweepAlerts runs one sweep as if shift later, bounded like the Lambda's.
func sweepAlerts(ctx context.Context, s *alerts.Sweeper, shift time.Duration) (alerts.Result, error) {
	alertsMu.Lock()
	defer alertsMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	at := *s
	at.Now = func() time.Time { return time.Now().Add(shift) }
	return at.Handle(ctx)
}

func runAlertsNow(w http.ResponseWriter, r *http.Request) {
	s := devAlerts.Load()
	if s == nil {
		http.Error(w, "the alert digest sweep has not started", http.StatusServiceUnavailable)
		return
	}
	var shift time.Duration
	if v := r.URL.Query().Get("in"); v != "" {
		var err error
		if shift, err = time.ParseDuration(v); err != nil || shift < 0 {
			http.Error(w, "in must be a Go duration ≥ 0, e.g. 15m", http.StatusBadRequest)
			return
		}
	}
	res, err := sweepAlerts(r.Context(), s, shift)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

func welcomeAlerts(w io.Writer, base string, _ *issuerkit.Issuer, d *Demo) {
	fmt.Fprintf(w, `
# Approver alerts: EDITORs and ADMINs of an agent with accessRequestAlerts on (and a known e-mail) get one digest e-mail
# per ALERT_DIGEST_MINUTES (default 15) listing the new PENDING requests; the sweep runs every ALERT_SWEEP_INTERVAL
# (default 1m). POST /dev/alerts:run?in=15m sends what would be due 15 minutes from now; the .eml files land in MAIL_DIR.
# An agent's digest can also go to a Slack channel through one of its Slack connectors:
curl -s -X PUT -H "Authorization: Bearer $ALICE" -H "Content-Type: application/json" %[2]s/agents/%[3]s/alertSettings -d '{"slack":{"configId":"%[4]s","channel":"C0APPROVALS"}}'
curl -s -X POST '%[1]s/dev/alerts:run?in=15m'
`, base, base+"/v1/tenants/"+DemoTenant, DemoAgent, d.Connectors["SLACK"])
}
