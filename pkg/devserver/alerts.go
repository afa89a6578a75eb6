package devserver

import (
	"context"
	"fmt"
	"io"
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
	Extra["POST /dev/alerts:run"] = &devAlerts
	Welcome = append(Welcome, welcomeAlerts)
}

var devAlerts = timedSweep[alerts.Result]{name: "alert digest", timeout: time.Minute, example: "15m"}

func startAlerts(ctx context.Context, d *routes.Deps, h Hook) (func(), error) {
	getenv := h.Getenv
	cfg, err := alerts.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if cfg.PublicBaseURL == "" {
		cfg.PublicBaseURL = d.Config.PublicBaseURL
	}
	interval, err := intervalFromEnv(getenv, "ALERT_SWEEP_INTERVAL")
	if err != nil {
		return nil, err
	}
	s := alerts.NewSweeper(d.Platform.Store, d.Connectors, cfg, d.Platform.Logger)
	stop := devAlerts.start(ctx, interval, func(ctx context.Context, now func() time.Time) (alerts.Result, error) {
		at := *s
		at.Now = now
		return at.Handle(ctx)
	})
	h.Logger.Info("alert digests", "every", interval, "digestPeriod", cfg.DigestPeriod, "runNow", "POST /dev/alerts:run?in=15m")
	return stop, nil
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
