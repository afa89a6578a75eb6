package participants_test

import (
	"fmt"
	"image/color"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/testkit/avatarkit"
)

// BenchmarkAvatarSync times POST .../avatar:syncFromChannel end to end:
// API, DynamoDB Local, the Telegram stand-in on loopback (getUserProfile-
// Photos, getFile, the guarded TLS download) and gofakes3. "new" changes
// the picture every time (an upload), "same" syncs one picture again (a
// HEAD finds the object).
func BenchmarkAvatarSync(b *testing.B) {
	for _, mode := range []string{"new", "same"} {
		b.Run(mode, func(b *testing.B) {
			w := newWorld(b, nil)
			tg := w.conns["TELEGRAM"]
			id := w.create(b, map[string]any{"channels": []any{ch(tg, "4242")}, "agentIds": []string{"agent-1"}})
			body := syncBody(tg, "4242")
			w.std.SetTelegramPhoto("4242", pngOf(0))
			calls := w.Table.Counter.Calls()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if mode == "new" {
					b.StopTimer()
					w.std.SetTelegramPhoto("4242", pngOf(i+1))
					b.StartTimer()
				}
				if r := w.Do(b, "POST", syncPath(id), w.tokens["editor"], body); r.Status != 200 {
					b.Fatalf("sync = %d %s", r.Status, r.Body)
				}
			}
			b.ReportMetric(float64(w.Table.Counter.Calls()-calls)/float64(b.N), "dynamodb-calls/op")
		})
	}
}

// pngOf is a distinct 64x64 picture per i.
func pngOf(i int) []byte {
	return avatarkit.PNG(64, 64, color.RGBA{R: uint8(i), G: uint8(i >> 8), B: uint8(i >> 16), A: 255})
}

// BenchmarkGet is GET of a participant with two channels and one binding.
func BenchmarkGet(b *testing.B) {
	w := newWorld(b, nil)
	id := w.create(b, map[string]any{"channels": []any{ch(w.conns["SLACK"], "U0B"), ch(w.conns["TELEGRAM"], "7")}, "agentIds": []string{"agent-1"}})
	calls := w.Table.Counter.Calls()
	for b.Loop() {
		if r := w.Do(b, "GET", path("/", id), w.tokens["viewer"], ""); r.Status != 200 {
			b.Fatal(r.Body)
		}
	}
	b.ReportMetric(float64(w.Table.Counter.Calls()-calls)/float64(b.N), "dynamodb-calls/op")
}

// BenchmarkListPage is one page of 50 by agent (each with a channel).
func BenchmarkListPage(b *testing.B) {
	w := newWorld(b, nil)
	for i := range 60 {
		w.create(b, map[string]any{"channels": []any{ch(w.conns["TELEGRAM"], fmt.Sprint(1000+i))}, "agentIds": []string{"agent-1"}})
	}
	calls := w.Table.Counter.Calls()
	for b.Loop() {
		if r := w.Do(b, "GET", path("?agentId=agent-1&pageSize=50"), w.tokens["viewer"], ""); r.Status != 200 {
			b.Fatal(r.Body)
		}
	}
	b.ReportMetric(float64(w.Table.Counter.Calls()-calls)/float64(b.N), "dynamodb-calls/op")
}
