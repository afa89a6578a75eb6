// Package prismkit runs Stoplight Prism (pinned in .devstack) as a
// validating proxy in front of an API under test: every request and
// response that passes through is checked against the OpenAPI document
// by a tool nobody here wrote, and each violation comes back in the
// response's sl-violations header.
package prismkit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/openapi"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
)

// Proxy is a running Prism proxy.
type Proxy struct {
	URL string
}

// Violation is one entry of Prism's sl-violations header.
type Violation struct {
	Location []string `json:"location"`
	Severity string   `json:"severity"`
	Code     any      `json:"code"`
	Message  string   `json:"message"`
}

// Start writes the merged OpenAPI document, starts Prism proxying to
// upstream and returns once Prism says it listens. The process is
// stopped at cleanup.
func Start(tb testing.TB, upstream string) *Proxy {
	tb.Helper()
	root, err := tabledef.RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(root, ".devstack", "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("prismkit: %s missing; run `npm ci --prefix .devstack` (make deps)", bin)
	}
	doc, err := openapi.Document()
	if err != nil {
		tb.Fatal(err)
	}
	spec := filepath.Join(tb.TempDir(), "openapi.yaml")
	if err := os.WriteFile(spec, doc, 0o600); err != nil {
		tb.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "proxy", spec, upstream, "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--cors=false", "-v", "info")
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cancel(); _ = cmd.Wait() })
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var log []string
		for sc.Scan() {
			line := sc.Text()
			if ready != nil {
				log = append(log, line)
				if strings.Contains(line, "Prism is listening on") {
					ready <- nil
					ready = nil
				}
			}
		}
		if ready != nil {
			ready <- fmt.Errorf("prism exited before listening:\n%s", strings.Join(log, "\n"))
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			tb.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		tb.Fatal("prismkit: prism did not start within 60 s")
	}
	return &Proxy{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
}

// Violations decodes res's sl-violations header (none: nil).
func Violations(res *http.Response) ([]Violation, error) {
	h := res.Header.Get("sl-violations")
	if h == "" {
		return nil, nil
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(h), &vs); err != nil {
		return nil, fmt.Errorf("prismkit: sl-violations %q: %w", h, err)
	}
	return vs, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
