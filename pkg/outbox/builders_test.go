package outbox_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/outbox"
)

func TestHandlersMatchDeclaredKinds(t *testing.T) {
	h := func(context.Context, outbox.Message) error { return nil }
	tests := []struct {
		name    string
		kinds   []string
		sets    []map[string]outbox.Handler
		wantErr string
	}{
		{"exactly the declared kinds", []string{"a", "b"}, []map[string]outbox.Handler{{"a": h}, {"b": h}}, ""},
		{"handled twice", []string{"a"}, []map[string]outbox.Handler{{"a": h}, {"a": h}}, "registered twice"},
		{"not declared", []string{"a"}, []map[string]outbox.Handler{{"a": h, "b": h}}, "not declared"},
		{"no handler", []string{"a", "b"}, []map[string]outbox.Handler{{"a": h}}, "no handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := outbox.Handlers(tt.kinds, tt.sets...)
			if tt.wantErr == "" {
				if err != nil || len(got) != len(tt.kinds) {
					t.Errorf("Handlers = %d handlers, %v; want %d, nil", len(got), err, len(tt.kinds))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Handlers error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
