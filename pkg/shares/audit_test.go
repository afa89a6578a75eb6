package shares_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/shares"
)

func (w *world) auditEvents(t testing.TB, token, query string) []shares.AuditEvent {
	t.Helper()
	r := w.Do(t, http.MethodGet, "/v1/shares/"+orgA+"/audit-events"+query, token, "")
	if r.Status != http.StatusOK {
		t.Fatalf("audit-events%s: %d %s", query, r.Status, r.Body)
	}
	return data[[]shares.AuditEvent](t, r.Body)
}

func actions(es []shares.AuditEvent) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Action+":"+e.Actor)
	}
	return strings.Join(out, ",")
}

// Every recipient change is in the organization's trail, newest first,
// with its actor; filters, paging and JSON Lines work as in the tenant
// API; other organizations and non-admins are refused in the shares
// envelope.
func TestShareAuditEvents(t *testing.T) {
	w := newWorld(t)
	start := time.Now()
	acc := w.registered(t, "acc@example.com")
	if r := w.Do(t, "POST", "/v1/shares/"+acc.UserID+"/accept", w.tokens["admin"], `{"marketplaceRole":"buyer"}`); r.Status != http.StatusNoContent {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	dec := w.invited(t, "dec@example.com")
	if r := w.Do(t, "POST", "/v1/shares/"+dec.UserID+"/decline", w.tokens["padmin"], ""); r.Status != http.StatusNoContent {
		t.Fatalf("decline: %d %s", r.Status, r.Body)
	}
	admin := w.tokens["admin"]

	tests := []struct {
		name, query, want string
	}{
		{"accepted recipient", "?recipientId=" + acc.UserID,
			audit.ShareAccepted + ":ada," + audit.ShareRegistered + ":" + acc.UserID + "," + audit.ShareInvited + ":pete"},
		{"declined recipient", "?recipientId=" + dec.UserID, audit.ShareDeclined + ":pia," + audit.ShareInvited + ":pete"},
		{"by actor", "?actor=pete", audit.ShareInvited + ":pete," + audit.ShareInvited + ":pete"},
		{"recipient and actor", "?recipientId=" + acc.UserID + "&actor=ada", audit.ShareAccepted + ":ada"},
		{"time range", "?from=" + url.QueryEscape(start.Add(-time.Minute).UTC().Format(time.RFC3339)) + "&to=" + url.QueryEscape(start.Add(-time.Second).UTC().Format(time.RFC3339)), ""},
		{"all", "", audit.ShareDeclined + ":pia," + audit.ShareInvited + ":pete," + audit.ShareAccepted + ":ada," +
			audit.ShareRegistered + ":" + acc.UserID + "," + audit.ShareInvited + ":pete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := actions(w.auditEvents(t, admin, tt.query)); got != tt.want {
				t.Errorf("entries = %s\nwant      %s", got, tt.want)
			}
		})
	}

	t.Run("states and ISO times", func(t *testing.T) {
		got := w.auditEvents(t, admin, "?recipientId="+dec.UserID)[0]
		if got.TargetType != audit.TargetShareRecipient || got.TargetID != dec.UserID || got.OrganizationID != orgA ||
			got.StatusBefore == nil || *got.StatusBefore != shares.StatusRegistration || got.StatusAfter == nil || *got.StatusAfter != shares.StatusDeclined {
			t.Errorf("decline entry = %+v", got)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", got.CreatedAt); err != nil {
			t.Errorf("createdAt %q: %v", got.CreatedAt, err)
		}
	})

	t.Run("pages and JSON Lines", func(t *testing.T) {
		var all []shares.AuditEvent
		next := "/v1/shares/" + orgA + "/audit-events?pageSize=2&format=jsonl"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("too many pages")
			}
			r := w.Do(t, http.MethodGet, next, admin, "")
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != audit.MediaJSONLines {
				t.Fatalf("%s: %d %q", next, r.Status, r.Header.Get("Content-Type"))
			}
			for _, l := range strings.Split(strings.TrimSuffix(r.Body, "\n"), "\n") {
				var e shares.AuditEvent
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatalf("line %q: %v", l, err)
				}
				all = append(all, e)
			}
			next = ""
			if l := r.Header.Get("Link"); l != "" {
				u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`))
				if err != nil {
					t.Fatal(err)
				}
				next = u.RequestURI()
			}
		}
		if got, want := actions(all), tests[len(tests)-1].want; got != want {
			t.Errorf("paged export = %s, want %s", got, want)
		}
	})

	refusals := []struct {
		name, token, path string
		status            int
		code              string
		ext               map[string]any
	}{
		{"producer-user", "puser", "/v1/shares/" + orgA + "/audit-events", http.StatusForbidden, shares.CodeNoPermission, nil},
		{"another organization's admin", "otheradmin", "/v1/shares/" + orgA + "/audit-events", http.StatusForbidden, shares.CodeNoPermission, nil},
		{"no token", "", "/v1/shares/" + orgA + "/audit-events", http.StatusUnauthorized, shares.CodeUnauthorized, nil},
		{"unknown parameter", "admin", "/v1/shares/" + orgA + "/audit-events?agentId=a1", http.StatusBadRequest, shares.CodeBadRequest, map[string]any{"field": "agentId"}},
		{"bad time", "admin", "/v1/shares/" + orgA + "/audit-events?from=yesterday", http.StatusBadRequest, shares.CodeBadRequest, map[string]any{"field": "from"}},
		{"bad format", "admin", "/v1/shares/" + orgA + "/audit-events?format=xml", http.StatusBadRequest, shares.CodeBadRequest, map[string]any{"field": "format"}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r := w.Do(t, http.MethodGet, tt.path, w.tokens[tt.token], "")
			wantError(t, r, tt.status, tt.code, tt.ext)
		})
	}
}

// recipientExpiryDays is the organization admins' to read and set, each
// change audited; others are refused in the shares envelope.
func TestShareSettings(t *testing.T) {
	w := newWorld(t)
	path := "/v1/shares/" + orgA + "/settings"
	r := w.Do(t, http.MethodGet, path, w.tokens["admin"], "")
	if r.Status != http.StatusOK {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	if got := data[shares.SettingsView](t, r.Body); got.RecipientExpiryDays != nil || got.UpdatedAt != nil || got.OrganizationID != orgA {
		t.Errorf("unset settings = %+v, want the default (null)", got)
	}

	tests := []struct {
		name, token, body string
		status            int
		want              *int // with status 200
		code              string
		ext               map[string]any
	}{
		{"never", "padmin", `{"recipientExpiryDays":0}`, http.StatusOK, ptr(0), "", nil},
		{"one day", "admin", `{"recipientExpiryDays":1}`, http.StatusOK, ptr(1), "", nil},
		{"back to the default", "admin", `{"recipientExpiryDays":null}`, http.StatusOK, nil, "", nil},
		{"ten years", "admin", `{"recipientExpiryDays":3650}`, http.StatusOK, ptr(3650), "", nil},
		{"too long", "admin", `{"recipientExpiryDays":3651}`, http.StatusBadRequest, nil, shares.CodeBadRequest, map[string]any{"field": "recipientExpiryDays"}},
		{"negative", "admin", `{"recipientExpiryDays":-1}`, http.StatusBadRequest, nil, shares.CodeBadRequest, map[string]any{"field": "recipientExpiryDays"}},
		{"fraction", "admin", `{"recipientExpiryDays":1.5}`, http.StatusBadRequest, nil, shares.CodeBadRequest, map[string]any{"field": "recipientExpiryDays"}},
		{"missing", "admin", `{}`, http.StatusBadRequest, nil, shares.CodeBadRequest, map[string]any{"field": "recipientExpiryDays"}},
		{"producer-user", "puser", `{"recipientExpiryDays":5}`, http.StatusForbidden, nil, shares.CodeNoPermission, nil},
		{"another organization's admin", "otheradmin", `{"recipientExpiryDays":5}`, http.StatusForbidden, nil, shares.CodeNoPermission, nil},
	}
	changes := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.Do(t, http.MethodPut, path, w.tokens[tt.token], tt.body)
			if tt.status != http.StatusOK {
				wantError(t, r, tt.status, tt.code, tt.ext)
				return
			}
			changes++
			if r.Status != http.StatusOK {
				t.Fatalf("put: %d %s", r.Status, r.Body)
			}
			got := data[shares.SettingsView](t, w.Do(t, http.MethodGet, path, w.tokens["padmin"], "").Body)
			if !equalDays(got.RecipientExpiryDays, tt.want) || got.UpdatedBy == nil || got.UpdatedAt == nil {
				t.Errorf("settings after = %+v, want recipientExpiryDays %v", got, tt.want)
			}
		})
	}
	es := w.auditEvents(t, w.tokens["admin"], "")
	if len(es) != changes {
		t.Fatalf("%d audit entries, want one per change (%d): %s", len(es), changes, actions(es))
	}
	if e := es[0]; e.Action != audit.ShareSettingsChanged || e.Actor != "ada" || e.TargetType != audit.TargetShareSettings ||
		*e.StatusBefore != "recipientExpiryDays=default" || *e.StatusAfter != "recipientExpiryDays=3650" {
		t.Errorf("latest entry = %+v", e)
	}
}

func ptr(n int) *int { return &n }

func equalDays(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
