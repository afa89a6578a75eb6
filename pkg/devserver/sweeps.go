package devserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// timedSweep is a scheduled Lambda's sweep on make dev: run on a timer
// and at once from a route (POST /dev/<name>:run?in=<Go duration>), as if
// that much later, so what takes minutes or days can be watched now.
type timedSweep[R any] struct {
	name    string        // in messages
	timeout time.Duration // bound of one run, like the Lambda's
	example string        // a value of ?in= for the error message
	// mu keeps the timer's and the route's runs apart in the log; the
	// sweeps themselves are safe to overlap.
	mu  sync.Mutex
	run atomic.Pointer[func(ctx context.Context, now func() time.Time) (R, error)]
}

// intervalFromEnv reads a positive Go duration, default one minute.
func intervalFromEnv(getenv func(string) string, key string) (time.Duration, error) {
	v := getenv(key)
	if v == "" {
		return time.Minute, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("devserver: %s must be a positive Go duration, got %q", key, v)
	}
	return d, nil
}

// start runs run every interval until the returned stop is called.
func (s *timedSweep[R]) start(ctx context.Context, interval time.Duration, run func(ctx context.Context, now func() time.Time) (R, error)) (stop func()) {
	s.run.Store(&run)
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
				_, _ = s.once(ctx, 0)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// once runs one sweep as if shift later.
func (s *timedSweep[R]) once(ctx context.Context, shift time.Duration) (R, error) {
	var zero R
	run := s.run.Load()
	if run == nil {
		return zero, fmt.Errorf("the %s sweep has not started", s.name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return (*run)(ctx, func() time.Time { return time.Now().Add(shift) })
}

// ServeHTTP is POST /dev/<name>:run: one sweep now, its counts as JSON.
func (s *timedSweep[R]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.run.Load() == nil {
		http.Error(w, "the "+s.name+" sweep has not started", http.StatusServiceUnavailable)
		return
	}
	var shift time.Duration
	if v := r.URL.Query().Get("in"); v != "" {
		var err error
		if shift, err = time.ParseDuration(v); err != nil || shift < 0 {
			http.Error(w, "in must be a Go duration ≥ 0, e.g. "+s.example, http.StatusBadRequest)
			return
		}
	}
	res, err := s.once(r.Context(), shift)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}
