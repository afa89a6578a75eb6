// Package rie runs a function's real bootstrap the way Lambda does, under
// AWS's Runtime Interface Emulator (aws-lambda-rie, what `sam local` runs
// in its containers): the emulator starts the bootstrap on the first
// invoke, serves it the Runtime API and reports its init duration. The
// tests of events and cmd/lambdabudget use it.
package rie

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Module and Version pin the emulator; it is built from source through
// the Go module proxy, so make test needs nothing but Go.
const (
	Module  = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	Version = "v0.0.0-20261030222936-bef5c4ba774d"
)

// BuildFlags are those of the Makefile's build-%Function (what sam build
// runs); CGO_ENABLED=0 goes in the environment.
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

// Install returns the emulator binary under root/.devstack/bin, building
// it with go install on first use. The version is part of the path, so a
// new pin installs afresh.
func Install(ctx context.Context, root string) (string, error) {
	dir := filepath.Join(root, ".devstack", "bin", "aws-lambda-rie@"+Version)
	bin := filepath.Join(dir, "aws-lambda-rie")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("rie: %w", err)
	}
	// Install into a private folder and rename it into place, so
	// concurrent first runs (test binaries, lambdabudget) never see half
	// a binary.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".install-")
	if err != nil {
		return "", fmt.Errorf("rie: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", "install", Module+"@"+Version)
	cmd.Dir = tmp // outside the module: the emulator's dependencies stay out of go.mod
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("rie: go install %s@%s: %w\n%s", Module, Version, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(bin); statErr == nil {
			return bin, nil // another run won
		}
		return "", fmt.Errorf("rie: %w", err)
	}
	return bin, nil
}

// Build compiles the main packages pkgs (./functions/x) into dir, one
// binary per package named after its folder, with BuildFlags for
// goos/goarch.
func Build(ctx context.Context, root, dir, goos, goarch string, pkgs ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := append(append([]string{"build"}, BuildFlags...), "-o", dir+string(filepath.Separator))
	cmd := exec.CommandContext(ctx, "go", append(args, pkgs...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s/%s: %w\n%s", goos, goarch, err, out)
	}
	return nil
}

// Options start one emulator.
type Options struct {
	RIE       string   // the emulator binary (Install)
	Bootstrap string   // the function binary
	Env       []string // the function's environment; the emulator passes it on
}

// Process is a running emulator with its function.
type Process struct {
	// URL is the emulator's invoke endpoint.
	URL string

	// client is this process's own: a pooled connection to an earlier
	// emulator on the same port would answer "connection reset".
	client  *http.Client
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	out     lockedBuffer // the function's stdout and stderr (the emulator merges them)
	log     *logWatch    // the emulator's own log (its stderr)
}

// Start runs the emulator on free 127.0.0.1 ports and returns once it
// accepts invokes. The function itself starts on the first Invoke, as on
// Lambda.
func Start(ctx context.Context, o Options) (*Process, error) {
	var err error
	for range 3 { // a free port can be taken between probing and binding
		var p *Process
		if p, err = start(ctx, o); err == nil {
			return p, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

func start(ctx context.Context, o Options) (*Process, error) {
	api, err := freeAddr()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &Process{URL: "http://" + addr + "/2015-03-31/functions/function/invocations", exited: make(chan struct{}), log: newLogWatch(),
		client: &http.Client{Transport: &http.Transport{}}}
	p.cmd = exec.Command(o.RIE, "--log-level", "info", "--runtime-api-address", api, "--runtime-interface-emulator-address", addr, o.Bootstrap)
	p.cmd.Dir = filepath.Dir(o.Bootstrap)
	p.cmd.Env = o.Env
	p.cmd.Stdout, p.cmd.Stderr = &p.out, p.log
	// SIGTERM when the test dies: the emulator then kills the function.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("rie: %w", err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	// The emulator prints nothing when it listens: poll, bounded.
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("rie: exited before listening (%v): %s", p.waitErr, p.log.String())
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-deadline.C:
			p.Stop()
			return nil, fmt.Errorf("rie: not listening on %s after 15s: %s", addr, p.log.String())
		case <-tick.C:
		}
	}
}

// Invoke sends one event and returns the function's answer. A status
// other than 200 is the emulator refusing or the function failing to
// initialise.
func (p *Process) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("rie: invoke answered %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

// InitDuration is the emulator's measure of the function's init: from
// starting the bootstrap to its first request for an event, the figure
// Lambda reports as Init Duration. It waits for the first Invoke's init
// to finish. (The emulator's REPORT line has its own "Init Duration",
// which only times handing init to a goroutine.)
func (p *Process) InitDuration(ctx context.Context) (time.Duration, error) {
	select {
	case <-p.log.initDone:
		return p.log.init, nil
	case <-p.exited:
		// The log may hold the line although the process is gone.
		select {
		case <-p.log.initDone:
			return p.log.init, nil
		default:
		}
		return 0, fmt.Errorf("rie: exited before init was reported: %s", p.log.String())
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Output is what the function wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// Log is the emulator's own log so far.
func (p *Process) Log() string { return p.log.String() }

// Stop ends the emulator, which kills the function first.
func (p *Process) Stop() {
	p.client.CloseIdleConnections()
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("rie: %w", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// initReport is rapid's log line at the end of init.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// logWatch keeps the emulator's log and signals its init report as soon
// as the line is written.
type logWatch struct {
	lockedBuffer
	initDone chan struct{}
	init     time.Duration
}

func newLogWatch() *logWatch { return &logWatch{initDone: make(chan struct{})} }

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	select {
	case <-w.initDone:
	default:
		if m := initReport.FindSubmatch(w.b.Bytes()); m != nil {
			ms, _ := strconv.ParseFloat(string(m[1]), 64)
			w.init = time.Duration(math.Round(ms * float64(time.Millisecond)))
			close(w.initDone)
		}
	}
	return n, err
}
