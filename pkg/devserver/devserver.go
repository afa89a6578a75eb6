// Package devserver runs every route of gatehouse in one process on
// 127.0.0.1 for local development: DynamoDB Local (persistent under
// .devstack/data), in-process S3 (gofakes3), a dev OpenID Connect
// provider served by the same server under /dev-issuer, and demo data.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/pkg/outbox/kinds"
	"github.com/gatehouse/gatehouse/pkg/outbox/kinds/messaging"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// Options configure a dev run.
type Options struct {
	Root  string // repository root
	Addr  string // default 127.0.0.1:3000; port 0 picks a free one
	Data  string // data directory, default <Root>/.devstack/data
	Reset bool   // wipe Data first
	Table string // default "gatehouse"
	Out   io.Writer
	// Logger gets the request log and notices (default: text on stderr).
	Logger *slog.Logger
	// DynamoPort is DynamoDB Local's port on 127.0.0.1; 0 picks a free
	// one (cmd/devserver's flag defaults to 8000).
	DynamoPort int
}

// Run serves until ctx is done, then stops everything it started.
func Run(ctx context.Context, o Options) error {
	o.setDefaults()
	// One stack instead of a defer per start, so helpers can register
	// stops; it runs them in reverse order of start, as defers would.
	var stops stopStack
	defer stops.run()

	data := o.Data
	ln, err := listen(o, data)
	if err != nil {
		return err
	}
	base := baseURL(ln.Addr())
	endpoint, err := startDynamo(ctx, o, data, &stops)
	if err != nil {
		return err
	}
	env := map[string]string{}
	hook := Hook{Root: o.Root, Base: base, Data: data, Env: env, Logger: o.Logger}
	if err := runBefore(ctx, hook, &stops); err != nil {
		return err
	}
	iss, err := issuerkit.LoadOrCreate(filepath.Join(data, "jwt"))
	if err != nil {
		return err
	}
	// The issuer follows the address (the default one is
	// issuerkit.DefaultIssuer, which `make token` mints for).
	iss = iss.WithURL(base + "/dev-issuer")
	oidc, consoleHandler, err := newConsole(o.Root, iss, env)
	if err != nil {
		return err
	}
	p, deps, outboxCfg, err := newDeps(o, endpoint, iss.URL(), env)
	if err != nil {
		return err
	}
	demo, err := Seed(ctx, deps)
	if err != nil {
		return err
	}
	hook.Outbox = outboxCfg
	if err := runAfter(ctx, deps, hook, &stops); err != nil {
		return err
	}
	mux, err := newMux(p, deps, oidc, consoleHandler)
	if err != nil {
		return err
	}
	return serve(ctx, o, ln, mux, func() error {
		if err := printWelcome(o.Out, base, iss, demo); err != nil {
			return err
		}
		// One line a runner (the console's e2e tests) can wait for.
		_, err := fmt.Fprintf(o.Out, "gatehouse dev: ready %s\n", base)
		return err
	})
}

func (o *Options) setDefaults() {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:3000"
	}
	if o.Table == "" {
		o.Table = "gatehouse"
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Data == "" {
		o.Data = filepath.Join(o.Root, ".devstack", "data")
	}
}

// stopStack holds the stops of what Run started.
type stopStack []func()

func (s *stopStack) push(stop func()) { *s = append(*s, stop) }

func (s stopStack) run() {
	for i := len(s) - 1; i >= 0; i-- {
		s[i]()
	}
}

// listen wipes the data directory when asked to, then takes the address.
func listen(o Options, data string) (net.Listener, error) {
	if o.Reset {
		if err := os.RemoveAll(data); err != nil {
			return nil, fmt.Errorf("devserver: reset: %w", err)
		}
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("devserver: listen: %w", err)
	}
	return ln, nil
}

// baseURL is the server's own URL; on an unspecified address (-addr
// :3000) that is loopback, which the issuer URL and the console's
// redirect URIs must name.
func baseURL(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && t.IP.IsUnspecified() {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(t.Port))
	}
	return "http://" + a.String()
}

// startDynamo starts DynamoDB Local on data, creates the table from
// template.yaml unless it exists, and returns the endpoint.
func startDynamo(ctx context.Context, o Options, data string, stops *stopStack) (string, error) {
	logFile, err := os.OpenFile(filepath.Join(o.Root, ".devstack", "dynamodb.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", fmt.Errorf("devserver: %w", err)
	}
	stops.push(func() { logFile.Close() })
	ddb, err := dynamokit.Start(ctx, dynamokit.Options{Root: o.Root, Port: o.DynamoPort, DataDir: filepath.Join(data, "dynamodb"), Log: logFile})
	if err != nil {
		return "", err
	}
	stops.push(ddb.Stop)
	o.Logger.Info("DynamoDB Local", "endpoint", ddb.Endpoint, "data", filepath.Join(data, "dynamodb"))

	def, err := tabledef.Load(filepath.Join(o.Root, "template.yaml"))
	if err != nil {
		return "", err
	}
	raw, _, _ := dynamokit.Clients(ddb.Endpoint)
	created, err := def.Ensure(ctx, raw, o.Table)
	if err != nil {
		return "", err
	}
	if created {
		o.Logger.Info("created table from template.yaml", "table", o.Table)
	}
	return ddb.Endpoint, nil
}

func runBefore(ctx context.Context, h Hook, stops *stopStack) error {
	for _, before := range Before {
		stop, err := before(ctx, h)
		if err != nil {
			return err
		}
		if stop != nil {
			stops.push(stop)
		}
	}
	return nil
}

func runAfter(ctx context.Context, d *routes.Deps, h Hook, stops *stopStack) error {
	for _, after := range After {
		stop, err := after(ctx, d, h)
		if err != nil {
			return err
		}
		if stop != nil {
			stops.push(stop)
		}
	}
	return nil
}

// newDeps builds the platform and the routes' dependencies from the
// hooks' settings in env.
func newDeps(o Options, endpoint, issuer string, env map[string]string) (*platform.Platform, *routes.Deps, kinds.Config, error) {
	awsCfg, _ := dynamokit.Config()
	p, err := platform.New(platform.Config{
		Table: o.Table, DynamoDBEndpoint: endpoint, JWTIssuer: issuer, JWTAudience: issuerkit.DefaultAudience,
		JWKSURL: issuer + "/jwks.json",
	}, awsCfg)
	if err != nil {
		return nil, nil, kinds.Config{}, err
	}
	p.Logger = o.Logger
	// The dev server's configuration, read once: the hooks' settings over
	// the process environment (hooks leave alone what the environment
	// sets, where that is allowed).
	getenv := settings(env)
	cfg, err := routes.ConfigFromEnv(getenv)
	if err != nil {
		return nil, nil, kinds.Config{}, err
	}
	p.Config.PublicBaseURL = cfg.PublicBaseURL
	deps := routes.NewDeps(p, cfg)
	mc, err := messaging.ConfigFromEnv(getenv)
	if err != nil {
		return nil, nil, kinds.Config{}, err
	}
	outboxCfg := kinds.Config{Messaging: mc, Avatars: cfg.Participants}
	return p, deps, outboxCfg, nil
}

// newMux serves every route, the dev OpenID Connect provider, the console
// and the Extra handlers.
func newMux(p *platform.Platform, deps *routes.Deps, oidc *issuerkit.Provider, console http.Handler) (*http.ServeMux, error) {
	all, err := routes.All(deps)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", p.Handler(all))
	mux.Handle("/dev-issuer/", oidc)
	mux.Handle("/console", console)
	mux.Handle("/console/", console)
	for pattern, h := range Extra {
		mux.Handle(pattern, h)
	}
	return mux, nil
}

// serve serves h on ln, calls welcome once serving, and shuts down when
// ctx is done.
func serve(ctx context.Context, o Options, ln net.Listener, h http.Handler, welcome func() error) error {
	srv := &http.Server{Handler: logRequests(o.Logger, h), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	if err := welcome(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	o.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		h.ServeHTTP(sw, r)
		log.Info("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// Hook is what a start-up hook may use and change.
type Hook struct {
	Root, Base, Data string
	// Env holds settings the features' configuration is read from where
	// the process environment does not set them, e.g. the URL of a
	// provider stand-in a hook started.
	Env    map[string]string
	Logger *slog.Logger
	// Outbox is the outbox handlers' configuration (After hooks only).
	Outbox kinds.Config
}

// settings reads the hooks' settings in env over the process environment.
func settings(env map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
}

// Getenv is a setting: the hooks' (Env) over the process environment.
func (h Hook) Getenv(k string) string { return settings(h.Env)(k) }

// Before hooks run before the platform and configuration are built: start
// stand-ins (S3, Keycloak, provider APIs) and put their settings in Env.
// After hooks run once they exist (e.g. the outbox dispatcher). A returned stop
// runs at shutdown. Feature packages register them from init functions in
// files of this package.
var (
	Before []func(ctx context.Context, h Hook) (stop func(), err error)
	After  []func(ctx context.Context, d *routes.Deps, h Hook) (stop func(), err error)
	// Extra mounts non-API handlers (e.g. "GET /openapi.yaml").
	Extra = map[string]http.Handler{}
)
