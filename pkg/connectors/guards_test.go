package connectors_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/connectors"
)

// floodLimitPerHour and rejectCooldownSeconds: defaults, create, PATCH
// (null keeps), bounds; a connector stored without them reads the default.
func TestFloodAndCooldownSettings(t *testing.T) {
	w := newWorld(t)
	p := connectors.Telegram
	tests := []struct {
		name         string
		create       map[string]any // extra create fields; nil = defaults
		patch        string         // "" = no PATCH
		want         int
		typ          string
		wantLimit    int
		wantCooldown int
	}{
		{"defaults", nil, "", 201, "", 100, 0},
		{"set at create", map[string]any{"floodLimitPerHour": 5, "rejectCooldownSeconds": 86400}, "", 201, "", 5, 86400},
		{"0 turns the guard off", map[string]any{"floodLimitPerHour": 0}, "", 201, "", 0, 0},
		{"negative limit", map[string]any{"floodLimitPerHour": -1}, "", 400, "invalid-flood-limit", 0, 0},
		{"limit too high", map[string]any{"floodLimitPerHour": 100001}, "", 400, "invalid-flood-limit", 0, 0},
		{"negative cooldown", map[string]any{"rejectCooldownSeconds": -1}, "", 400, "invalid-reject-cooldown", 0, 0},
		{"cooldown over 365 days", map[string]any{"rejectCooldownSeconds": 365*24*3600 + 1}, "", 400, "invalid-reject-cooldown", 0, 0},
		{"not an integer", map[string]any{"floodLimitPerHour": 1.5}, "", 400, "invalid-field", 0, 0},
		{"patch both", nil, `{"floodLimitPerHour":2,"rejectCooldownSeconds":60}`, 200, "", 2, 60},
		{"patch nulls keep", map[string]any{"floodLimitPerHour": 7, "rejectCooldownSeconds": 9}, `{"floodLimitPerHour":null,"rejectCooldownSeconds":null}`, 200, "", 7, 9},
		{"patch out of bounds", nil, `{"floodLimitPerHour":-5}`, 400, "invalid-flood-limit", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := w.Do(t, "POST", base(p), w.tokens["admin"], body(p, tt.create))
			if tt.patch == "" && res.Status != tt.want {
				t.Fatalf("create: %d, want %d: %s", res.Status, tt.want, res.Body)
			}
			if tt.patch != "" {
				if res.Status != 201 {
					t.Fatalf("create: %d %s", res.Status, res.Body)
				}
				res = w.Do(t, "PATCH", path(p, decode(t, res.Body)["id"].(string)), w.tokens["admin"], tt.patch)
				if res.Status != tt.want {
					t.Fatalf("patch: %d, want %d: %s", res.Status, tt.want, res.Body)
				}
			}
			if tt.want == 400 {
				if typ := problemType(t, res.Body); typ != tt.typ {
					t.Errorf("type = %s, want %s", typ, tt.typ)
				}
				return
			}
			got := decode(t, res.Body)
			if got["floodLimitPerHour"] != float64(tt.wantLimit) || got["rejectCooldownSeconds"] != float64(tt.wantCooldown) {
				t.Errorf("view floodLimitPerHour = %v, rejectCooldownSeconds = %v; want %d, %d", got["floodLimitPerHour"], got["rejectCooldownSeconds"], tt.wantLimit, tt.wantCooldown)
			}
			c, err := connectors.NewRepo(w.Platform.Store).Get(context.Background(), tenant, got["id"].(string))
			if err != nil || c.FloodLimitPerHour() != tt.wantLimit || c.RejectCooldownSeconds != tt.wantCooldown {
				t.Errorf("stored %v, %d (%v); want %d, %d", c.FloodLimit, c.RejectCooldownSeconds, err, tt.wantLimit, tt.wantCooldown)
			}
		})
	}
}
