// A proxy that kills DynamoDB Local in the middle of a request, for tests
// of what a crash leaves behind.

package dynamokit

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// CrashPoint says when a CrashProxy kills DynamoDB Local.
type CrashPoint int

const (
	// BeforeForward kills it when the request arrives: it never runs.
	BeforeForward CrashPoint = iota + 1
	// AfterForward lets it run the request, then kills it and drops the
	// answer: the caller cannot tell that it ran. DynamoDB Local answers
	// before its write reaches disk (measured: a kill within about a
	// second of the answer loses the write, three seconds later it is
	// kept), so the write may be lost as a whole; DynamoDB itself keeps
	// what it acknowledged.
	AfterForward
)

// CrashProxy forwards DynamoDB API calls to a Process and, once armed,
// kills the process at the armed operation. A caller sees the connection
// drop (as when a server dies); later calls find nothing listening until
// the test restarts the process.
type CrashProxy struct {
	URL string

	proc     *Process
	upstream http.RoundTripper
	srv      *http.Server

	mu    sync.Mutex
	op    string // armed operation, e.g. "TransactWriteItems"; "" = none
	at    CrashPoint
	fired chan struct{}
	lost  Answer
}

// Answer is what DynamoDB Local answered to the call an AfterForward
// crash dropped.
type Answer struct {
	Status int
	Body   string
}

// Lost returns the answer the last AfterForward crash dropped.
func (c *CrashProxy) Lost() Answer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lost
}

// NewCrashProxy serves on 127.0.0.1 in front of p until the test ends.
func NewCrashProxy(tb testing.TB, p *Process) *CrashProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	c := &CrashProxy{URL: "http://" + ln.Addr().String(), proc: p,
		upstream: &http.Transport{DisableKeepAlives: true, ResponseHeaderTimeout: 30 * time.Second}}
	c.srv = &http.Server{Handler: http.HandlerFunc(c.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = c.srv.Serve(ln) }()
	tb.Cleanup(func() { _ = c.srv.Close() })
	return c
}

// CrashOn arms the proxy: the next call of op (the X-Amz-Target
// operation, e.g. "TransactWriteItems") kills the process at point at.
// The returned channel closes once it has.
func (c *CrashProxy) CrashOn(op string, at CrashPoint) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.op, c.at, c.fired = op, at, make(chan struct{})
	return c.fired
}

// take disarms and returns the crash point when r is the armed operation.
func (c *CrashProxy) take(r *http.Request) (CrashPoint, chan struct{}) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndexByte(target, '.')+1:]
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.op == "" || op != c.op {
		return 0, nil
	}
	at, fired := c.at, c.fired
	c.op = ""
	return at, fired
}

func (c *CrashProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		drop(w)
		return
	}
	at, fired := c.take(r)
	if at == BeforeForward {
		c.proc.Kill()
		drop(w)
		close(fired)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, c.proc.Endpoint+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		drop(w)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := c.upstream.RoundTrip(req)
	if err != nil {
		drop(w) // nothing listening: the caller sees the connection fail
		return
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if at == AfterForward {
		c.mu.Lock()
		c.lost = Answer{Status: resp.StatusCode, Body: string(answer)}
		c.mu.Unlock()
		c.proc.Kill()
		drop(w)
		close(fired)
		return
	}
	if err != nil {
		drop(w)
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
