package outbox

import (
	"fmt"

	"github.com/gatehouse/gatehouse/pkg/platform"
)

// Builder returns a feature package's handlers by kind.
type Builder func(p *platform.Platform) (map[string]Handler, error)

// Handlers builds the handlers of builders; kind names must be unique.
func Handlers(p *platform.Platform, builders ...Builder) (map[string]Handler, error) {
	all := map[string]Handler{}
	for _, build := range builders {
		hs, err := build(p)
		if err != nil {
			return nil, err
		}
		for kind, h := range hs {
			if _, dup := all[kind]; dup {
				return nil, fmt.Errorf("outbox: kind %q registered twice", kind)
			}
			all[kind] = h
		}
	}
	return all, nil
}

// FromBuilders returns a Dispatcher over p's table delivering builders' kinds.
func FromBuilders(p *platform.Platform, builders ...Builder) (*Dispatcher, error) {
	hs, err := Handlers(p, builders...)
	if err != nil {
		return nil, err
	}
	return New(p.Store, hs, p.Logger), nil
}
