package mail

import (
	"bytes"
	"time"
)

// SetClock replaces the clock a Dir names files and dates messages with.
func SetClock(d *Dir, now func() time.Time) { d.now = now }

// Render checks m and renders it as Dir would.
func Render(m Message, date time.Time) ([]byte, error) {
	c, err := check(m)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = render(&b, c, date, "<test@example.com>")
	return b.Bytes(), err
}

// OneLine exposes oneLine.
var OneLine = oneLine
