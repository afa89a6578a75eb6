package rie

import (
	"testing"
	"time"
)

// The init duration comes from rapid's INIT REPORT line, however the
// emulator's log is split into writes.
func TestLogWatchInitReport(t *testing.T) {
	const line = "01 Dec 2026 22:35:21,267 [INFO] (rapid) INIT REPORT(durationMs: 69.968000)\n"
	for _, tc := range []struct {
		name   string
		writes []string
		want   time.Duration
		ok     bool
	}{
		{"one write", []string{line}, 69968 * time.Microsecond, true},
		{"split", []string{line[:50], line[50:70], line[70:]}, 69968 * time.Microsecond, true},
		{"first of two", []string{line, "INIT REPORT(durationMs: 1.0)\n"}, 69968 * time.Microsecond, true},
		{"REPORT line only", []string{"REPORT RequestId: x\tInit Duration: 0.54 ms\t\n"}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newLogWatch()
			for _, s := range tc.writes {
				if _, err := w.Write([]byte(s)); err != nil {
					t.Fatal(err)
				}
			}
			var got time.Duration
			ok := false
			select {
			case <-w.initDone:
				got, ok = w.init, true
			default:
			}
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %v (reported %v), want %v (reported %v)", got, ok, tc.want, tc.ok)
			}
		})
	}
}
