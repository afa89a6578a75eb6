package inbound

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A decision rerun waits for its pause or for ctx, whichever comes first:
// a cancelled request stops at once instead of sleeping out the pause.
func TestRerunWatchesContext(t *testing.T) {
	tests := []struct {
		name      string
		cancelAt  int // cancel ctx during this call of decide (1-based); 0 never
		results   []error
		wantCalls int
		wantErr   error
	}{
		{"cancelled during the first try", 1, []error{errChannelMoved, errChannelMoved}, 1, context.Canceled},
		{"cancelled during the second try", 2, []error{errChannelMoved, errChannelMoved, nil}, 2, context.Canceled},
		{"a permanent error is not rerun", 0, []error{errNotAccepted}, 1, errNotAccepted},
		{"success after a rerun", 0, []error{errChannelMoved, nil}, 2, nil},
		{"attempts run out", 0, []error{errChannelMoved, errChannelMoved, errChannelMoved}, 3, errChannelMoved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			calls := 0
			// The pause after the cancelling call is one nobody waits
			// out: the rerun must return without it. Others are zero.
			delay := func(attempt int) time.Duration {
				if tt.cancelAt > 0 && attempt+1 >= tt.cancelAt {
					return time.Hour
				}
				return 0
			}
			_, err := rerun(ctx, 3, delay, func() (Outcome, error) {
				calls++
				if calls == tt.cancelAt {
					cancel()
				}
				return Accepted, tt.results[calls-1]
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("decide called %d times, want %d", calls, tt.wantCalls)
			}
		})
	}
}
