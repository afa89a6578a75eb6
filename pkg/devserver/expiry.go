package devserver

import (
	"context"
	"fmt"
	"io"
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
	Extra["POST /dev/expiry:run"] = &devExpiry
	Welcome = append(Welcome, welcomeExpiry)
}

var devExpiry = timedSweep[expiry.Result]{name: "expiry", timeout: 5 * time.Minute, example: "25h or 745h"}

func startExpiry(ctx context.Context, d *routes.Deps, h Hook) (func(), error) {
	getenv := h.Getenv
	cfg, err := expiry.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	interval, err := intervalFromEnv(getenv, "EXPIRY_INTERVAL")
	if err != nil {
		return nil, err
	}
	s, err := expiry.FromPlatform(d.Platform, cfg, d.Config.Shares)
	if err != nil {
		return nil, err
	}
	stop := devExpiry.start(ctx, interval, func(ctx context.Context, now func() time.Time) (expiry.Result, error) {
		at := *s
		at.Now = now
		return at.Handle(ctx)
	})
	h.Logger.Info("expiry sweep", "every", interval, "shareExpiryDays", cfg.ShareDays, "runNow", "POST /dev/expiry:run")
	return stop, nil
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
