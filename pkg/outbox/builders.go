package outbox

import (
	"fmt"
	"slices"
)

// Handlers merges feature packages' handler sets into one dispatcher's
// map and checks it against kinds, the function's declared list (see
// pkg/outbox/kinds): a kind handled twice, not handled or not declared is
// an error at init rather than a message nobody delivers.
func Handlers(kinds []string, sets ...map[string]Handler) (map[string]Handler, error) {
	all := map[string]Handler{}
	for _, hs := range sets {
		for kind, h := range hs {
			if _, dup := all[kind]; dup {
				return nil, fmt.Errorf("outbox: kind %q registered twice", kind)
			}
			if !slices.Contains(kinds, kind) {
				return nil, fmt.Errorf("outbox: kind %q is handled but not declared", kind)
			}
			all[kind] = h
		}
	}
	for _, kind := range kinds {
		if all[kind] == nil {
			return nil, fmt.Errorf("outbox: kind %q is declared but has no handler", kind)
		}
	}
	return all, nil
}
