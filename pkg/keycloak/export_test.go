package keycloak

import "time"

// SetClock replaces the clock the token cache uses.
func SetClock(c *Client, now func() time.Time) { c.now = now }

// ValidSegment exposes validSegment.
var ValidSegment = validSegment
