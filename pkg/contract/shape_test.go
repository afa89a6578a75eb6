package contract

import (
	"strings"
	"testing"
)

// The checker itself: each drift it exists to catch is caught.
func TestShapeCatchesDrift(t *testing.T) {
	item := Object{
		"id": UUID, "status": OneOf("PENDING", "APPROVED"), "createdAt": Int,
		"note": Nullable(String), "next": Extension(String),
	}
	tests := []struct {
		name, body string
		shape      Shape
		want       string // substring of the first error; "" = matches
	}{
		{"match", `{"id":"6f1c1c4e-8d7e-4b8a-9a57-3d3c2f1b0a11","status":"PENDING","createdAt":1,"note":null}`, item, ""},
		{"extension present", `{"id":"6f1c1c4e-8d7e-4b8a-9a57-3d3c2f1b0a11","status":"PENDING","createdAt":1,"note":"n","next":"x"}`, item, ""},
		{"enum casing", `{"id":"6f1c1c4e-8d7e-4b8a-9a57-3d3c2f1b0a11","status":"pending","createdAt":1,"note":null}`, item, "$.status: got string \"pending\""},
		{"renamed field", `{"id":"6f1c1c4e-8d7e-4b8a-9a57-3d3c2f1b0a11","state":"PENDING","createdAt":1,"note":null}`, item, "$.state: not documented"},
		{"missing field", `{"id":"6f1c1c4e-8d7e-4b8a-9a57-3d3c2f1b0a11","status":"PENDING","note":null}`, item, "$.createdAt: missing"},
		{"time as string", `{"id":"6f1c1c4e-8d7e-4b8a-9a57-3d3c2f1b0a11","status":"PENDING","createdAt":"2024","note":null}`, item, "$.createdAt: got string"},
		{"float time", `{"id":"6f1c1c4e-8d7e-4b8a-9a57-3d3c2f1b0a11","status":"PENDING","createdAt":1.5,"note":null}`, item, "$.createdAt: got number 1.5"},
		{"wrapped list", `{"items":[]}`, Array(item), "want an array"},
		{"bare list item", `[{"id":"x","status":"PENDING","createdAt":1,"note":null}]`, Array(item), "$[0].id"},
		{"no envelope", `{"x":1}`, Envelope(Object{"x": Int}), "$.data: missing"},
		{"envelope", `{"data":{"at":"2024-01-15T10:30:00.000Z"}}`, Envelope(Object{"at": ISOTime}), ""},
		{"epoch for ISO", `{"data":{"at":1705314600000}}`, Envelope(Object{"at": ISOTime}), "want an ISO-8601"},
	}
	for _, tt := range tests {
		errs := Errors([]byte(tt.body), tt.shape)
		got := strings.Join(errs, "; ")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: errors %q, want them to contain %q", tt.name, got, tt.want)
		}
	}
}
