package participants_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// seed001 are the members of the participant in seed 001, plus the avatar
// fields of the docs' agent-network tree.
var seed001 = []string{"id", "kind", "displayName", "email", "relatedAgentId", "channels", "agentIds", "disabledAt",
	"health", "channelActivations", "avatarFileId", "createdAt", "modifiedAt",
	"avatarSource", "avatarSourceConfigId", "avatarSourceAddress", "avatarSyncedAt", "avatarAutoSync"}

func TestCreateShape(t *testing.T) {
	w := newWorld(t, nil)
	body := map[string]any{"kind": "PERSON", "displayName": "  Dana Scully ", "email": "dana@fbi.example",
		"channels": []any{
			map[string]any{"integrationConfigId": w.conns["SLACK"], "address": "U0DANA", "priority": 1, "label": "work"},
			map[string]any{"integrationConfigId": w.conns["TELEGRAM"], "address": "4242", "disabled": true},
		},
		"agentIds": []string{"agent-1", "agent-2", "agent-1"}}
	r := w.Do(t, "POST", path(), w.tokens["editor"], mustJSON(body))
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	got := decode(t, r.Body)
	if len(got) != len(seed001) {
		t.Errorf("fields %s, want %v", fmtKeys(got), seed001)
	}
	for _, k := range seed001 {
		if _, ok := got[k]; !ok {
			t.Errorf("missing field %q", k)
		}
	}
	id := got["id"].(string)
	if loc := r.Header.Get("Location"); loc != path("/", id) {
		t.Errorf("Location = %q", loc)
	}
	if got["displayName"] != "Dana Scully" || got["kind"] != "PERSON" || got["email"] != "dana@fbi.example" ||
		got["relatedAgentId"] != nil || got["disabledAt"] != nil || got["avatarFileId"] != nil {
		t.Errorf("got %v", got)
	}
	if fmt.Sprint(got["agentIds"]) != "[agent-1 agent-2]" {
		t.Errorf("agentIds = %v", got["agentIds"])
	}
	chans := got["channels"].([]any)
	if c := chans[0].(map[string]any); c["priority"] != 1.0 || c["label"] != "work" || c["disabled"] != false {
		t.Errorf("channel 0 = %v", c)
	}
	if c := chans[1].(map[string]any); c["label"] != nil || c["disabled"] != true {
		t.Errorf("channel 1 = %v", c)
	}
	h := got["health"].(map[string]any)
	hc := h["channels"].([]any)
	if h["reachable"] != true || h["reason"] != nil || len(hc) != 2 {
		t.Fatalf("health = %v", h)
	}
	c0, c1 := hc[0].(map[string]any), hc[1].(map[string]any)
	if c0["address"] != "U0DANA" || c0["reason"] != nil || c0["keyStatus"] != "ACTIVE" || c0["keyPrefix"] == nil || c0["lastMessageAt"] != nil {
		t.Errorf("health channel 0 = %v", c0)
	}
	if c1["reason"] != "CHANNEL_DISABLED" {
		t.Errorf("health channel 1 = %v", c1)
	}
	acts := got["channelActivations"].([]any)
	if len(acts) != 4 {
		t.Fatalf("channelActivations = %d, want 2 bindings x 2 channels", len(acts))
	}
	a := acts[0].(map[string]any)
	// The full webhook URL is never read back: template and key prefix only.
	if a["agentId"] != "agent-1" || a["provider"] != "SLACK" || a["address"] != "U0DANA" || a["scope"] != "PER_BINDING" ||
		a["webhookUrl"] != nil || a["webhookUrlTemplate"] != publicBase+"/v1/hooks/slack/{webhookKey}" || a["webhookKeyPrefix"] == nil {
		t.Errorf("activation = %v", a)
	}
	if as := fmt.Sprint(got["avatarAutoSync"]); as != "map[address:<nil> provider:<nil> synced:false]" {
		t.Errorf("avatarAutoSync = %s", as)
	}
	if _, err := uuid.Parse(a["bindingId"].(string)); err != nil {
		t.Errorf("bindingId %v", a["bindingId"])
	}
	// The channel index and bindings exist, and agentIds is a string set.
	if n := len(w.items(t, store.ChannelPK(tenant, w.conns["SLACK"], "U0DANA"))); n != 1 {
		t.Errorf("channel index items = %d", n)
	}
	raw := w.rawParticipant(t, id)
	if fmt.Sprintf("%T", raw["agentIds"]) != "[]string" {
		t.Errorf("agentIds stored as %T, want a string set", raw["agentIds"])
	}
	if n := len(w.items(t, store.ParticipantPK(tenant, id))); n != 3 {
		t.Errorf("partition items = %d, want participant + 2 bindings", n)
	}
}

// The docs' create: kind is optional (UNSPECIFIED is a PERSON), email is a
// plain string, avatarFileId takes any uploaded file id of the tenant.
func TestCreateDocumentedFields(t *testing.T) {
	w := newWorld(t, nil)
	file := "avatars/" + tenant + "/" + uuid.NewString() + "/" + strings.Repeat("b", 64) + ".webp"
	tests := []struct {
		name, body          string
		kind, email, avatar any
		source              any
	}{
		{"kind absent", `{"displayName":"a"}`, "PERSON", nil, nil, nil},
		{"kind null", `{"kind":null,"displayName":"a"}`, "PERSON", nil, nil, nil},
		{"kind UNSPECIFIED", `{"kind":"UNSPECIFIED","displayName":"a"}`, "PERSON", nil, nil, nil},
		{"kind AI_AGENT", `{"kind":"AI_AGENT","displayName":"a","relatedAgentId":"agent-1"}`, "AI_AGENT", nil, nil, nil},
		{"email not an address", `{"displayName":"a","email":"Dana <d@x.example>, ext. 4"}`, "PERSON", "Dana <d@x.example>, ext. 4", nil, nil},
		{"avatarFileId empty", `{"displayName":"a","avatarFileId":""}`, "PERSON", nil, nil, nil},
		{"avatarFileId uploaded", `{"displayName":"a","avatarFileId":"` + file + `"}`, "PERSON", nil, file, "UPLOADED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.Do(t, "POST", path(), w.tokens["admin"], tt.body)
			if r.Status != http.StatusCreated {
				t.Fatalf("= %d %s", r.Status, r.Body)
			}
			got := decode(t, r.Body)
			if got["kind"] != tt.kind || got["email"] != tt.email || got["avatarFileId"] != tt.avatar || got["avatarSource"] != tt.source {
				t.Errorf("kind %v email %v avatarFileId %v avatarSource %v, want %v %v %v %v",
					got["kind"], got["email"], got["avatarFileId"], got["avatarSource"], tt.kind, tt.email, tt.avatar, tt.source)
			}
			if as := got["avatarAutoSync"].(map[string]any); as["synced"] != false {
				t.Errorf("avatarAutoSync = %v", as)
			}
		})
	}
}

// A JSON route sent another media type answers 415 and writes nothing;
// charset and other parameters are fine.
func TestWritesNeedJSON(t *testing.T) {
	w := newWorld(t, nil)
	id := w.create(t, map[string]any{"agentIds": []string{"agent-1"}})
	before := w.rawParticipant(t, id)
	create := `{"displayName":"Plain"}`
	tests := []struct {
		name, method, path, contentType, body string
		want                                  int
	}{
		{"create as text", "POST", path(), "text/plain", create, 415},
		{"create as a form", "POST", path(), "application/x-www-form-urlencoded", "displayName=Plain", 415},
		{"patch as text", "PATCH", path("/", id), "text/plain", `{"displayName":"Changed"}`, 415},
		{"disable as text", "POST", path("/", id, ":disable"), "text/plain", `{}`, 415},
		{"bind as text", "PUT", path("/", id, "/bindings/agent-2"), "text/plain", `{}`, 415},
		{"sync as text", "POST", path("/", id, "/avatar:syncFromChannel"), "text/plain", syncBody(w.conns["SLACK"], "U1"), 415},
		{"create with charset", "POST", path(), "application/json; charset=utf-8", create, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.doTyped(t, tt.method, tt.path, w.tokens["admin"], tt.contentType, tt.body)
			if r.Status != tt.want {
				t.Fatalf("= %d %s, want %d", r.Status, r.Body, tt.want)
			}
			if tt.want == 415 && errType(t, r.Body) != "unsupported-media-type" {
				t.Errorf("type %q", errType(t, r.Body))
			}
		})
	}
	if after := w.rawParticipant(t, id); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("participant changed: %v -> %v", before, after)
	}
	if n := len(decodeList(t, w.Do(t, "GET", path(), w.tokens["admin"], "").Body)); n != 2 {
		t.Errorf("%d participants, want the first and the charset one", n)
	}
}

func TestHealth(t *testing.T) {
	w := newWorld(t, nil)
	ghost := uuid.NewString()
	tests := []struct {
		name      string
		channels  []any
		reachable bool
		reason    any
	}{
		{"no channels", []any{}, false, "NO_CHANNELS"},
		{"connector missing", []any{ch(ghost, "U0X")}, false, "CONNECTOR_NOT_FOUND"},
		{"disabled only", []any{map[string]any{"integrationConfigId": w.conns["SLACK"], "address": "U0Y", "disabled": true}}, false, "CHANNEL_DISABLED"},
		{"bad telegram id", []any{ch(w.conns["TELEGRAM"], "@someone")}, false, "INVALID_FORMAT"},
		{"one good of two", []any{ch(ghost, "U0Z"), ch(w.conns["TWILIO_SMS"], "+15551234567")}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := w.create(t, map[string]any{"channels": tt.channels, "agentIds": []string{"agent-1"}})
			h := w.get(t, id)["health"].(map[string]any)
			if h["reachable"] != tt.reachable || h["reason"] != tt.reason {
				t.Errorf("health = %v, want reachable %v reason %v", h, tt.reachable, tt.reason)
			}
		})
	}
}

// lastMessageAt comes from the channel index item the webhooks update.
func TestHealthLastMessageAt(t *testing.T) {
	w := newWorld(t, nil)
	id := w.create(t, map[string]any{"channels": []any{ch(w.conns["SLACK"], "U0LAST")}, "agentIds": []string{"agent-1"}})
	err := w.rawTbl.Update("PK", store.ChannelPK(tenant, w.conns["SLACK"], "U0LAST")).Range("SK", store.MarkerSK).
		Set("lastMessageAt", int64(1_790_000_000_000)).Run(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	hc := w.get(t, id)["health"].(map[string]any)["channels"].([]any)[0].(map[string]any)
	if hc["lastMessageAt"] != 1.79e12 {
		t.Errorf("lastMessageAt = %v", hc["lastMessageAt"])
	}
}

func TestCreateBadInput(t *testing.T) {
	w := newWorld(t, nil)
	slack := w.conns["SLACK"]
	many := func(n int, f func(i int) any) []any {
		var out []any
		for i := range n {
			out = append(out, f(i))
		}
		return out
	}
	tests := []struct {
		name, body, typ string
	}{
		{"malformed", `{"kind":`, "invalid-json"},
		{"unknown field", `{"kind":"PERSON","displayName":"x","nick":"y"}`, "unknown-field"},
		{"bad kind", `{"kind":"ROBOT","displayName":"x"}`, "invalid-kind"},
		{"lowercase kind", `{"kind":"person","displayName":"x"}`, "invalid-kind"},
		{"no name", `{"kind":"PERSON"}`, "invalid-display-name"},
		{"blank name", `{"kind":"PERSON","displayName":"   "}`, "invalid-display-name"},
		{"long name", mustJSON(map[string]any{"kind": "PERSON", "displayName": strings.Repeat("é", 151)}), "invalid-display-name"},
		{"long email", mustJSON(map[string]any{"kind": "PERSON", "displayName": "x", "email": strings.Repeat("e", 4001)}), "invalid-email"},
		{"bad related agent", `{"kind":"AI_AGENT","displayName":"x","relatedAgentId":"a b"}`, "invalid-related-agent-id"},
		{"not a file id", `{"kind":"PERSON","displayName":"x","avatarFileId":"avatars/acme/x/y.png"}`, "invalid-avatar-file-id"},
		{"another tenant's file", mustJSON(map[string]any{"displayName": "x", "avatarFileId": "avatars/other/" + uuid.NewString() + "/" + strings.Repeat("a", 64) + ".png"}), "invalid-avatar-file-id"},
		{"bad connector id", mustJSON(map[string]any{"kind": "PERSON", "displayName": "x", "channels": []any{ch("nope", "U1")}}), "invalid-id"},
		{"empty address", mustJSON(map[string]any{"kind": "PERSON", "displayName": "x", "channels": []any{ch(slack, "")}}), "invalid-address"},
		{"spaced address", mustJSON(map[string]any{"kind": "PERSON", "displayName": "x", "channels": []any{ch(slack, " U1")}}), "invalid-address"},
		{"no address", mustJSON(map[string]any{"kind": "PERSON", "displayName": "x", "channels": []any{map[string]any{"integrationConfigId": slack}}}), "invalid-channel"},
		{"duplicate channel", mustJSON(map[string]any{"kind": "PERSON", "displayName": "x", "channels": []any{ch(slack, "U1"), ch(slack, "U1")}}), "duplicate-channel"},
		{"21 channels", mustJSON(map[string]any{"kind": "PERSON", "displayName": "x", "channels": many(21, func(i int) any { return ch(slack, fmt.Sprintf("U%d", i)) })}), "too-many-channels"},
		{"21 agents", mustJSON(map[string]any{"kind": "PERSON", "displayName": "x", "agentIds": many(21, func(i int) any { return fmt.Sprintf("a%d", i) })}), "too-many-agents"},
		{"bad agent id", `{"kind":"PERSON","displayName":"x","agentIds":["a/b"]}`, "invalid-agent-id"},
		{"negative priority", mustJSON(map[string]any{"kind": "PERSON", "displayName": "x", "channels": []any{map[string]any{"integrationConfigId": slack, "address": "U1", "priority": -1}}}), "invalid-priority"},
		{"wrong type", `{"kind":"PERSON","displayName":7}`, "invalid-field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.Do(t, "POST", path(), w.tokens["admin"], tt.body)
			if r.Status != http.StatusBadRequest || errType(t, r.Body) != tt.typ {
				t.Fatalf("= %d %s, want 400 %s", r.Status, r.Body, tt.typ)
			}
		})
	}
	if n := len(w.items(t, "T#"+tenant+"#P#")) + len(w.items(t, "T#"+tenant+"#CH#")); n != 0 {
		t.Errorf("%d items written by bad requests", n)
	}
}

func TestCreateRoles(t *testing.T) {
	w := newWorld(t, nil)
	tests := []struct {
		who    string
		agents []string
		want   int
	}{
		{"admin", nil, 201},
		{"admin", []string{"agent-7"}, 201},
		{"agentadmin", []string{"agent-1"}, 201},
		{"editor", []string{"agent-1", "agent-2"}, 201},
		{"editor", nil, 403},                            // no agents: tenant ADMIN only
		{"editor", []string{"agent-1", "agent-3"}, 403}, // no role on agent-3
		{"viewer", []string{"agent-1"}, 403},
		{"nobody", []string{"agent-1"}, 403},
		{"stranger", []string{"agent-1"}, 404},
		{"", []string{"agent-1"}, 401},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.who, tt.agents), func(t *testing.T) {
			body := map[string]any{"kind": "GROUP", "displayName": "Ops", "agentIds": tt.agents}
			r := w.Do(t, "POST", path(), w.tokens[tt.who], mustJSON(body))
			if r.Status != tt.want {
				t.Fatalf("= %d %s, want %d", r.Status, r.Body, tt.want)
			}
		})
	}
}

func TestReadWriteRoles(t *testing.T) {
	w := newWorld(t, nil)
	id := w.create(t, map[string]any{"agentIds": []string{"agent-1"}})
	orphan := w.create(t, map[string]any{}) // no agents: tenant ADMIN only
	tests := []struct {
		who, method, path, body string
		want                    int
	}{
		{"admin", "GET", path("/", id), "", 200},
		{"agentadmin", "GET", path("/", id), "", 200},
		{"viewer", "GET", path("/", id), "", 200},
		{"nobody", "GET", path("/", id), "", 404},
		{"stranger", "GET", path("/", id), "", 404},
		{"", "GET", path("/", id), "", 401},
		{"admin", "GET", path("/", uuid.NewString()), "", 404},
		{"admin", "GET", path("/not-a-uuid"), "", 400},
		{"admin", "GET", path("/", id, ":disable"), "", 404},
		{"editor", "GET", path("/", orphan), "", 404},
		{"admin", "GET", path("/", orphan), "", 200},
		{"viewer", "PATCH", path("/", id), `{"displayName":"V"}`, 403},
		{"nobody", "PATCH", path("/", id), `{"displayName":"N"}`, 404},
		{"editor", "PATCH", path("/", id), `{"displayName":"E"}`, 200},
		{"viewer", "POST", path("/", id, ":disable"), "", 403},
		{"editor", "POST", path("/", id, ":disable"), "", 200},
		{"editor", "POST", path("/", id, ":archive"), "", 404},
		{"viewer", "PUT", path("/", id, "/bindings/agent-1"), "", 403},
		{"editor", "PUT", path("/", id, "/bindings/agent-3"), "", 403}, // no role on agent-3
		{"viewer", "DELETE", path("/", id), "", 403},
		{"nobody", "DELETE", path("/", id), "", 404},
		{"viewer", "POST", path("/", id, "/avatar:syncFromChannel"), `{"integrationConfigId":"` + w.conns["SLACK"] + `","address":"U1"}`, 403},
		{"viewer", "GET", path("/", id, "/avatar"), "", 404}, // visible, but no avatar
		{"nobody", "GET", path("/", id, "/avatar"), "", 404},
		{"editor", "DELETE", path("/", id), "", 204},
	}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.method+" "+tt.path, func(t *testing.T) {
			r := w.Do(t, tt.method, tt.path, w.tokens[tt.who], tt.body)
			if r.Status != tt.want {
				t.Fatalf("= %d %s, want %d", r.Status, r.Body, tt.want)
			}
			if r.Status >= 400 && r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
		})
	}
}

func TestChannelClash(t *testing.T) {
	w := newWorld(t, nil)
	slack := w.conns["SLACK"]
	a := w.create(t, map[string]any{"channels": []any{ch(slack, "U0SHARED")}, "agentIds": []string{"agent-1"}})
	r := w.Do(t, "POST", path(), w.tokens["admin"], mustJSON(map[string]any{"kind": "PERSON", "displayName": "B",
		"channels": []any{ch(slack, "U0OWN"), ch(slack, "U0SHARED")}, "agentIds": []string{"agent-1"}}))
	if r.Status != http.StatusConflict || errType(t, r.Body) != "channel-taken" || decode(t, r.Body)["participantId"] != a {
		t.Fatalf("create clash = %d %s, want 409 naming %s", r.Status, r.Body, a)
	}
	if n := len(w.items(t, store.ChannelPK(tenant, slack, "U0OWN"))); n != 0 {
		t.Errorf("the failed create left %d channel index items", n)
	}
	b := w.create(t, map[string]any{"channels": []any{ch(slack, "U0OWN")}, "agentIds": []string{"agent-1"}})
	r = w.Do(t, "PATCH", path("/", b), w.tokens["editor"], mustJSON(map[string]any{"channels": []any{ch(slack, "U0OWN"), ch(slack, "U0SHARED")}}))
	if r.Status != http.StatusConflict || decode(t, r.Body)["participantId"] != a {
		t.Fatalf("patch clash = %d %s", r.Status, r.Body)
	}
	if got := w.get(t, b)["channels"].([]any); len(got) != 1 {
		t.Errorf("the failed patch changed channels: %v", got)
	}
	// Once a lets go, b can claim it.
	if r := w.Do(t, "PATCH", path("/", a), w.tokens["editor"], `{"channels":[]}`); r.Status != 200 {
		t.Fatalf("release: %d %s", r.Status, r.Body)
	}
	r = w.Do(t, "PATCH", path("/", b), w.tokens["editor"], mustJSON(map[string]any{"channels": []any{ch(slack, "U0OWN"), ch(slack, "U0SHARED")}}))
	if r.Status != http.StatusOK {
		t.Fatalf("claim after release = %d %s", r.Status, r.Body)
	}
	owner, err := roster.NewRepo(w.Platform.Store).ChannelOwner(w.ctx, tenant, slack, "U0SHARED")
	if err != nil || owner != b {
		t.Errorf("owner = %q %v, want %s", owner, err, b)
	}
}

// Many creates racing for one channel: exactly one wins.
func TestChannelRace(t *testing.T) {
	w := newWorld(t, nil)
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Go(func() {
			r := w.Do(t, "POST", path(), w.tokens["editor"], mustJSON(map[string]any{"kind": "PERSON", "displayName": "P",
				"channels": []any{ch(w.conns["TELEGRAM"], "777")}, "agentIds": []string{"agent-1"}}))
			codes[i] = r.Status
		})
	}
	wg.Wait()
	sort.Ints(codes)
	if codes[0] != 201 || codes[1] != 409 || codes[len(codes)-1] != 409 {
		t.Errorf("statuses %v, want one 201 and 409s", codes)
	}
}

func TestPatchSemantics(t *testing.T) {
	w := newWorld(t, nil)
	slack, tg := w.conns["SLACK"], w.conns["TELEGRAM"]
	id := w.create(t, map[string]any{"displayName": "Fox", "email": "fox@fbi.example", "relatedAgentId": "agent-x",
		"channels": []any{ch(slack, "U0FOX"), ch(tg, "1013")}, "agentIds": []string{"agent-1"}})
	before := w.get(t, id)

	// null and absent leave fields unchanged.
	r := w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"displayName":null,"email":null,"channels":null,"agentIds":null,"avatarFileId":null}`)
	if r.Status != 200 {
		t.Fatalf("null patch: %d %s", r.Status, r.Body)
	}
	after := decode(t, r.Body)
	for _, k := range []string{"displayName", "email", "relatedAgentId", "channels", "agentIds", "kind", "createdAt"} {
		if fmt.Sprint(after[k]) != fmt.Sprint(before[k]) {
			t.Errorf("%s changed: %v -> %v", k, before[k], after[k])
		}
	}

	// channels replace the list: index items follow.
	r = w.Do(t, "PATCH", path("/", id), w.tokens["editor"], mustJSON(map[string]any{"channels": []any{
		map[string]any{"integrationConfigId": tg, "address": "1013", "priority": 5}, ch(slack, "U0MULDER")}}))
	if r.Status != 200 {
		t.Fatalf("channels patch: %d %s", r.Status, r.Body)
	}
	got := decode(t, r.Body)
	if cs := got["channels"].([]any); len(cs) != 2 || cs[0].(map[string]any)["priority"] != 5.0 || cs[1].(map[string]any)["address"] != "U0MULDER" {
		t.Errorf("channels = %v", cs)
	}
	for addr, want := range map[string]int{"U0FOX": 0, "U0MULDER": 1} {
		if n := len(w.items(t, store.ChannelPK(tenant, slack, addr))); n != want {
			t.Errorf("index items of %s = %d, want %d", addr, n, want)
		}
	}
	if n := len(w.items(t, store.ChannelPK(tenant, tg, "1013"))); n != 1 {
		t.Errorf("kept channel's index items = %d", n)
	}

	// agentIds reconcile the bindings.
	r = w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"agentIds":["agent-2","agent-1"]}`)
	if r.Status != 200 {
		t.Fatalf("agents patch: %d %s", r.Status, r.Body)
	}
	if a := decode(t, r.Body)["agentIds"]; fmt.Sprint(a) != "[agent-1 agent-2]" {
		t.Errorf("agentIds = %v", a)
	}
	r = w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"agentIds":["agent-2"]}`)
	if r.Status != 200 {
		t.Fatalf("agents patch 2: %d %s", r.Status, r.Body)
	}
	got = decode(t, r.Body)
	acts := got["channelActivations"].([]any)
	if len(acts) != 2 || acts[0].(map[string]any)["agentId"] != "agent-2" {
		t.Errorf("activations = %v", acts)
	}
	for agent, want := range map[string]int{"agent-1": 0, "agent-2": 1} {
		r := w.Do(t, "GET", path("?agentId=", agent), w.tokens["admin"], "")
		if n := len(decodeList(t, r.Body)); n != want {
			t.Errorf("list of %s = %d, want %d", agent, n, want)
		}
	}
	// The editor still edits through agent-2; the viewer of agent-1 lost sight.
	if r := w.Do(t, "GET", path("/", id), w.tokens["viewer"], ""); r.Status != 404 {
		t.Errorf("viewer of agent-1 after unbinding = %d", r.Status)
	}
	// agentIds the caller cannot edit on are refused.
	if r := w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"agentIds":["agent-2","agent-5"]}`); r.Status != 403 {
		t.Errorf("adding agent-5 = %d %s", r.Status, r.Body)
	}

	// The body has no kind (the docs' closed body); "" clears email,
	// relatedAgentId and avatarFileId, but a displayName stays 1-150.
	for _, body := range []string{`{"kind":"GROUP"}`, `{"kind":"PERSON"}`, `{"kind":null}`} {
		if r := w.Do(t, "PATCH", path("/", id), w.tokens["editor"], body); r.Status != 400 || errType(t, r.Body) != "unknown-field" {
			t.Errorf("%s = %d %s", body, r.Status, r.Body)
		}
	}
	if r := w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"email":"","relatedAgentId":""}`); r.Status != 200 ||
		decode(t, r.Body)["email"] != nil || decode(t, r.Body)["relatedAgentId"] != nil {
		t.Errorf("email clear = %d %s", r.Status, r.Body)
	}
	if r := w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"displayName":""}`); r.Status != 400 || errType(t, r.Body) != "invalid-display-name" {
		t.Errorf("empty displayName = %d %s", r.Status, r.Body)
	}
	key := "avatars/" + tenant + "/" + id + "/" + strings.Repeat("a", 64) + ".png"
	r = w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"avatarFileId":"`+key+`"}`)
	if r.Status != 200 || decode(t, r.Body)["avatarFileId"] != key || decode(t, r.Body)["avatarSource"] != "UPLOADED" {
		t.Errorf("avatar set = %d %s", r.Status, r.Body)
	}
	r = w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"avatarFileId":""}`)
	if got := decode(t, r.Body); r.Status != 200 || got["avatarFileId"] != nil || got["avatarSource"] != nil {
		t.Errorf("avatar clear = %d %s", r.Status, r.Body)
	}
	if _, ok := w.rawParticipant(t, id)["avatarFileId"]; ok {
		t.Error("avatarFileId still stored after clearing")
	}
	// Any uploaded file of the tenant, not another tenant's.
	other := "avatars/" + tenant + "/" + uuid.NewString() + "/" + strings.Repeat("a", 64) + ".png"
	if r := w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"avatarFileId":"`+other+`"}`); r.Status != 200 || decode(t, r.Body)["avatarFileId"] != other {
		t.Errorf("another participant's avatar = %d %s", r.Status, r.Body)
	}
	foreign := "avatars/other/" + id + "/" + strings.Repeat("a", 64) + ".png"
	if r := w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"avatarFileId":"`+foreign+`"}`); r.Status != 400 || errType(t, r.Body) != "invalid-avatar-file-id" {
		t.Errorf("another tenant's avatar = %d %s", r.Status, r.Body)
	}
	if r := w.Do(t, "PATCH", path("/", id), w.tokens["editor"], `{"id":"x"}`); r.Status != 400 {
		t.Errorf("read-only field = %d", r.Status)
	}
}

// Concurrent PATCHes of different fields all land (retry on a lost race).
func TestPatchConcurrent(t *testing.T) {
	w := newWorld(t, nil)
	id := w.create(t, map[string]any{"agentIds": []string{"agent-1"}})
	var wg sync.WaitGroup
	agents := []string{"agent-1", "agent-2"}
	for i := range 4 {
		wg.Go(func() {
			body := `{"displayName":"name ` + fmt.Sprint(i) + `"}`
			if i == 0 {
				body = mustJSON(map[string]any{"agentIds": agents})
			}
			if r := w.Do(t, "PATCH", path("/", id), w.tokens["admin"], body); r.Status != 200 && r.Status != 409 {
				t.Errorf("patch %d = %d %s", i, r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	got := w.get(t, id)
	if n := len(w.items(t, store.ParticipantPK(tenant, id))); n != 1+len(got["agentIds"].([]any)) {
		t.Errorf("items %d disagree with agentIds %v", n, got["agentIds"])
	}
}

func TestDeleteRemovesEverything(t *testing.T) {
	w := newWorld(t, nil)
	slack, tg := w.conns["SLACK"], w.conns["TELEGRAM"]
	keep := w.create(t, map[string]any{"channels": []any{ch(slack, "U0KEEP")}, "agentIds": []string{"agent-1"}})
	id := w.create(t, map[string]any{"channels": []any{ch(slack, "U0GONE"), ch(tg, "31337")}, "agentIds": []string{"agent-1", "agent-2"}})
	if r := w.Do(t, "DELETE", path("/", id), w.tokens["editor"], ""); r.Status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", r.Status, r.Body)
	}
	for _, prefix := range []string{store.ParticipantPK(tenant, id), store.ChannelPK(tenant, slack, "U0GONE"), store.ChannelPK(tenant, tg, "31337")} {
		if items := w.items(t, prefix); len(items) != 0 {
			t.Errorf("left over under %s: %v", prefix, items)
		}
	}
	var byAgent []map[string]any
	if err := w.rawTbl.Scan().Filter("participantId = ?", id).All(w.ctx, &byAgent); err != nil || len(byAgent) != 0 {
		t.Errorf("items naming the participant: %v %v", byAgent, err)
	}
	if r := w.Do(t, "GET", path("/", id), w.tokens["admin"], ""); r.Status != 404 {
		t.Errorf("get after delete = %d", r.Status)
	}
	if r := w.Do(t, "DELETE", path("/", id), w.tokens["admin"], ""); r.Status != 404 {
		t.Errorf("second delete = %d", r.Status)
	}
	w.get(t, keep)
	// The freed channel can be claimed again.
	w.create(t, map[string]any{"channels": []any{ch(slack, "U0GONE")}, "agentIds": []string{"agent-1"}})
}

func TestDisableEnableIdempotent(t *testing.T) {
	w := newWorld(t, nil)
	id := w.create(t, map[string]any{"agentIds": []string{"agent-1"}})
	var first any
	for i := range 2 {
		r := w.Do(t, "POST", path("/", id, ":disable"), w.tokens["editor"], "")
		if r.Status != 200 {
			t.Fatalf("disable %d = %d %s", i, r.Status, r.Body)
		}
		at := decode(t, r.Body)["disabledAt"]
		if at == nil || (i == 1 && at != first) {
			t.Errorf("disable %d: disabledAt %v (first %v)", i, at, first)
		}
		first = at
	}
	// %3A is a colon too.
	for i := range 2 {
		r := w.Do(t, "POST", path("/", id, "%3Aenable"), w.tokens["editor"], "{}")
		if r.Status != 200 || decode(t, r.Body)["disabledAt"] != nil {
			t.Fatalf("enable %d = %d %s", i, r.Status, r.Body)
		}
	}
	if _, ok := w.rawParticipant(t, id)["disabledAt"]; ok {
		t.Error("disabledAt still stored: enable must REMOVE it")
	}
	if r := w.Do(t, "POST", path("/", uuid.NewString(), ":disable"), w.tokens["admin"], ""); r.Status != 404 {
		t.Errorf("disable unknown = %d", r.Status)
	}
	if r := w.Do(t, "POST", path("/", id, ":disable"), w.tokens["editor"], `{"at":1}`); r.Status != 400 {
		t.Errorf("disable with a body = %d", r.Status)
	}
}

func TestBindings(t *testing.T) {
	w := newWorld(t, nil)
	id := w.create(t, map[string]any{"channels": []any{ch(w.conns["SLACK"], "U0BIND")}, "agentIds": []string{"agent-1"}})
	var first map[string]any
	for i := range 2 {
		r := w.Do(t, "PUT", path("/", id, "/bindings/agent-2"), w.tokens["editor"], "")
		if r.Status != 200 {
			t.Fatalf("put %d = %d %s", i, r.Status, r.Body)
		}
		got := decode(t, r.Body)
		if got["agentId"] != "agent-2" || got["participantId"] != id || got["tenantId"] != tenant || got["createdAt"] != got["modifiedAt"] {
			t.Errorf("binding = %v", got)
		}
		acts := got["channelActivations"].([]any)
		if len(acts) != 1 || acts[0].(map[string]any)["bindingId"] != got["id"] || acts[0].(map[string]any)["agentId"] != "agent-2" {
			t.Fatalf("activations = %v", acts)
		}
		// Binding again changes nothing: the same object comes back.
		if i == 1 && fmt.Sprint(got) != fmt.Sprint(first) {
			t.Errorf("second PUT = %v, first %v", got, first)
		}
		first = got
	}
	if got := w.get(t, id); fmt.Sprint(got["agentIds"]) != "[agent-1 agent-2]" {
		t.Errorf("agentIds = %v", got["agentIds"])
	}
	if n := len(decodeList(t, w.Do(t, "GET", path("?agentId=agent-2"), w.tokens["editor"], "").Body)); n != 1 {
		t.Errorf("agent-2 lists %d", n)
	}
	for i := range 2 {
		if r := w.Do(t, "DELETE", path("/", id, "/bindings/agent-2"), w.tokens["editor"], ""); r.Status != 204 {
			t.Fatalf("delete %d = %d %s", i, r.Status, r.Body)
		}
	}
	if got := w.get(t, id); fmt.Sprint(got["agentIds"]) != "[agent-1]" {
		t.Errorf("agentIds = %v", got["agentIds"])
	}
	if n := len(w.items(t, store.ParticipantPK(tenant, id))); n != 2 {
		t.Errorf("partition items = %d, want participant + 1 binding", n)
	}
	if r := w.Do(t, "DELETE", path("/", id, "/bindings/agent-1"), w.tokens["editor"], ""); r.Status != 204 {
		t.Fatalf("unbind last = %d", r.Status)
	}
	if _, ok := w.rawParticipant(t, id)["agentIds"]; ok {
		t.Error("an empty agentIds set is still stored")
	}
	if r := w.Do(t, "PUT", path("/", id, "/bindings/bad%20id"), w.tokens["admin"], ""); r.Status != 400 {
		t.Errorf("bad agent id = %d", r.Status)
	}
	if r := w.Do(t, "PUT", path("/", uuid.NewString(), "/bindings/agent-1"), w.tokens["admin"], ""); r.Status != 404 {
		t.Errorf("unknown participant = %d", r.Status)
	}
}

func TestList(t *testing.T) {
	w := newWorld(t, nil)
	var ids []string
	for i := range 5 {
		ids = append(ids, w.create(t, map[string]any{"displayName": fmt.Sprint("P", i),
			"channels": []any{ch(w.conns["TELEGRAM"], fmt.Sprint(100+i))}, "agentIds": []string{"agent-1"}}))
	}
	onAgent2 := w.create(t, map[string]any{"agentIds": []string{"agent-2"}})
	elsewhere := w.create(t, map[string]any{"agentIds": []string{"agent-7"}})
	unbound := w.create(t, map[string]any{})

	// Paging follows Link rel="next"; newest binding first.
	seen, pages := w.listAll(t, path("?agentId=agent-1&pageSize=2"), w.tokens["viewer"])
	want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if fmt.Sprint(seen) != fmt.Sprint(want) || pages != 3 {
		t.Errorf("order %v in %d pages, want %v in 3", seen, pages, want)
	}

	all := append(append([]string{}, want...), onAgent2, elsewhere, unbound)
	tests := []struct {
		name, who, q string
		want         []string // ids in any order; nil with a status other than 200
		status       int
	}{
		{"tenant ADMIN, no filter", "admin", "", all, 200},
		{"editor of agent-1 and agent-2, no filter", "editor", "", append(append([]string{}, want...), onAgent2), 200},
		{"viewer of agent-1, no filter", "viewer", "", want, 200},
		{"role elsewhere only, no filter", "nobody", "", []string{}, 200},
		{"AgentId spelled as documented", "viewer", "?AgentId=agent-1", want, 200},
		{"agentId in other case", "editor", "?AGENTID=agent-2", []string{onAgent2}, 200},
		{"no role on the agent", "nobody", "?agentId=agent-1", nil, 404},
		{"another tenant", "stranger", "", nil, 404},
		{"no token", "", "", nil, 401},
		{"pageSize 0", "viewer", "?agentId=agent-1&pageSize=0", nil, 400},
		{"pageSize 501", "viewer", "?agentId=agent-1&pageSize=501", nil, 400},
		{"bad pageToken", "viewer", "?agentId=agent-1&pageToken=garbage", nil, 400},
		{"unknown parameter", "viewer", "?agentId=agent-1&status=x", nil, 400},
		{"bad agentId", "viewer", "?agentId=a%20b", nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.Do(t, "GET", path(tt.q), w.tokens[tt.who], "")
			if r.Status != tt.status {
				t.Fatalf("= %d %s, want %d", r.Status, r.Body, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if r.Header.Get("Link") != "" {
				t.Errorf("Link %q on a complete list", r.Header.Get("Link"))
			}
			var got []string
			for _, p := range decodeList(t, r.Body) {
				got = append(got, p["id"].(string))
			}
			sort.Strings(got)
			wantSorted := append([]string{}, tt.want...)
			sort.Strings(wantSorted)
			if fmt.Sprint(got) != fmt.Sprint(wantSorted) {
				t.Errorf("ids %v, want %v", got, wantSorted)
			}
		})
	}

	// Without agentId a non-ADMIN's page is filtered: pages may be short,
	// and following Link still yields exactly the visible participants.
	seen, _ = w.listAll(t, path("?pageSize=3"), w.tokens["viewer"])
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("viewer's paged tenant list %v, want %v", seen, want)
	}
}

// listAll follows Link rel="next" from first and returns the ids in order
// and the number of pages.
func (w *world) listAll(t *testing.T, first, token string) (ids []string, pages int) {
	t.Helper()
	next := first
	for next != "" {
		if pages++; pages > 10 {
			t.Fatal("too many pages")
		}
		r := w.Do(t, "GET", next, token, "")
		if r.Status != 200 {
			t.Fatalf("page %d = %d %s", pages, r.Status, r.Body)
		}
		for _, p := range decodeList(t, r.Body) {
			ids = append(ids, p["id"].(string))
			if len(p["channelActivations"].([]any)) != len(p["agentIds"].([]any))*len(p["channels"].([]any)) {
				t.Errorf("list item %v", p)
			}
		}
		next = nextLink(t, r.Header.Get("Link"))
	}
	return ids, pages
}

// DynamoDB round trips of a GET: the partition Query, the roles, the
// channel index items and one read per connector.
func TestGetCallBudget(t *testing.T) {
	w := newWorld(t, nil)
	id := w.create(t, map[string]any{"channels": []any{ch(w.conns["SLACK"], "U0BUDGET"), ch(w.conns["TELEGRAM"], "9")}, "agentIds": []string{"agent-1"}})
	before := w.Table.Counter.Calls()
	if r := w.Do(t, "GET", path("/", id), w.tokens["viewer"], ""); r.Status != 200 {
		t.Fatal(r.Body)
	}
	if n := w.Table.Counter.Calls() - before; n > 5 {
		t.Errorf("GET took %d DynamoDB calls, want <= 5 (query, roles, channel index, 2 connectors)", n)
	}
}
