package connectors

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/problem"
)

// requestExpiryDays: default 30, 0 = never, null or absent keeps, out of
// range is 400; the view always shows the effective value.
func TestRequestExpiryDays(t *testing.T) {
	const create = `{"agentId":"a","displayName":"x","parameters":{"botToken":"1:a","secretToken":"s"}`
	tests := []struct {
		name        string
		createExtra string // joined into the create body
		patch       string // "" = no patch
		want        int
		wantProblem string
	}{
		{name: "default", want: DefaultRequestExpiryDays},
		{name: "one day", createExtra: `,"requestExpiryDays":1`, want: 1},
		{name: "never", createExtra: `,"requestExpiryDays":0`, want: 0},
		{name: "null on create", createExtra: `,"requestExpiryDays":null`, want: DefaultRequestExpiryDays},
		{name: "negative", createExtra: `,"requestExpiryDays":-1`, wantProblem: "invalid-request-expiry-days"},
		{name: "too long", createExtra: `,"requestExpiryDays":3651`, wantProblem: "invalid-request-expiry-days"},
		{name: "patch sets", patch: `{"requestExpiryDays":7}`, want: 7},
		{name: "patch never", createExtra: `,"requestExpiryDays":2`, patch: `{"requestExpiryDays":0}`, want: 0},
		{name: "patch null keeps", createExtra: `,"requestExpiryDays":2`, patch: `{"requestExpiryDays":null}`, want: 2},
		{name: "patch absent keeps", createExtra: `,"requestExpiryDays":2`, patch: `{"displayName":"y"}`, want: 2},
		{name: "patch negative", patch: `{"requestExpiryDays":-5}`, wantProblem: "invalid-request-expiry-days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseInput(Telegram, []byte(create+tt.createExtra+"}"))
			if err == nil && tt.patch != "" {
				var in updateInput
				if err = json.Unmarshal([]byte(tt.patch), &in); err != nil {
					t.Fatal(err)
				}
				c, err = patch(c, in.input())
			}
			if tt.wantProblem != "" {
				if p, ok := problem.As(err); !ok || p.Type != tt.wantProblem {
					t.Fatalf("error %v, want problem %s", err, tt.wantProblem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ExpiryDays(); got != tt.want {
				t.Errorf("ExpiryDays() = %d, want %d", got, tt.want)
			}
			if got := ViewOf(c, "https://x.test").RequestExpiryDays; got != tt.want {
				t.Errorf("view requestExpiryDays = %d, want %d", got, tt.want)
			}
		})
	}
}
