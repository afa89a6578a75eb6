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

	"github.com/gatehouse/gatehouse/pkg/expiry"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// The expiry sweep on make dev: the code ExpiryFunction runs, every
// EXPIRY_INTERVAL (a Go duration, default 1m) and at once on
// POST /dev/expiry:run. ?in=<Go duration> runs it as if that much later
// (e.g. in=25h after setting a connector's requestExpiryDays to 1), so
// expiry can be watched without waiting days; its decisions carry that time.
func init() {
	After = append(After, startExpiry)
	Extra["POST /dev/expiry:run"] = http.HandlerFunc(runExpiryNow)
	Welcome = append(Welcome, welcomeExpiry)
}

// devSweeper is the dev server's sweeper, set once the platform exists.
var devSweeper atomic.Pointer[expiry.Sweeper]

// sweepMu keeps the timer's and the route's sweeps apart in the log; the
// sweep itself is safe to overlap.
var sweepMu sync.Mutex

func startExpiry(ctx context.Context, d *routes.Deps, h Hook) (func(), error) {
	getenv := func(k string) string {
		if v, ok := h.Env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	cfg, err := expiry.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	interval := time.Minute
	if v := getenv("EXPIRY_INTERVAL"); v != "" {
		if interval, err = time.ParseDuration(v); err != nil || interval <= 0 {
			return nil, fmt.Errorf("devserver: EXPIRY_INTERVAL must be a positive Go duration, got %q", v)
		}
	}
	s, err := expiry.FromPlatform(d.Platform, cfg, d.Config.Shares)
	if err != nil {
		return nil, err
	}
	devSweeper.Store(s)
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
				sweep(ctx, s, 0)
			}
		}
	}()
	h.Logger.Info("expiry sweep", "every", interval, "shareExpiryDays", cfg.ShareDays, "runNow", "POST /dev/expiry:run")
	return func() { cancel(); <-done }, nil
}

// sweep runs one sweep as if shift later, bounded like the Lambda's.
func sweep(ctx context.Context, s *expiry.Sweeper, shift time.Duration) (expiry.Result, error) {
	sweepMu.Lock()
	defer sweepMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	at := *s
	at.Now = func() time.Time { return time.Now().Add(shift) }
	return at.Handle(ctx)
}

func runExpiryNow(w http.ResponseWriter, r *http.Request) {
	s := devSweeper.Load()
	if s == nil {
		http.Error(w, "the expiry sweep has not started", http.StatusServiceUnavailable)
		return
	}
	var shift time.Duration
	if v := r.URL.Query().Get("in"); v != "" {
		var err error
		if shift, err = time.ParseDuration(v); err != nil || shift < 0 {
			http.Error(w, "in must be a Go duration ≥ 0, e.g. 25h or 745h", http.StatusBadRequest)
			return
		}
	}
	res, err := sweep(r.Context(), s, shift)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

func welcomeExpiry(w io.Writer, base string, _ *issuerkit.Issuer, d *Demo) {
	fmt.Fprintf(w, `
# Expiry: the ExpiryFunction sweep runs every EXPIRY_INTERVAL (default 1m); POST /dev/expiry:run runs it now,
# ?in=<Go duration> as if that much later. The demo connectors never expire requests (requestExpiryDays 0):
# give the Twilio one 1 day, sweep as if 25 hours later, and its demo request is REJECTED by gatehouse:expiry
curl -s -X PATCH -H "Authorization: Bearer $ALICE" -H "Content-Type: application/json" %[2]s/integrations/twilio/configs/%[3]s -d '{"requestExpiryDays":1}'
curl -s -X POST '%[1]s/dev/expiry:run?in=25h'
curl -s -H "Authorization: Bearer $ALICE" %[2]s/participantAccessRequests/%[4]s
# share recipients still waiting after SHARE_EXPIRY_DAYS (default 30) are declined: Keycloak user deleted, decline e-mail in MAIL_DIR
curl -s -X POST '%[1]s/dev/expiry:run?in=721h'
`, base, base+"/v1/tenants/"+DemoTenant, d.Connectors["TWILIO_SMS"], d.Pending[3].ID)
}
