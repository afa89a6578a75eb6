// Package kinds is the registry of outbox message kinds: which
// stream-triggered Lambda delivers which kind. In AWS two Lambdas share
// them (DynamoDB streams allow two readers per shard), each in its own
// package so that its binary links only its kinds' SDKs:
//
//	DispatcherFunction        pkg/outbox/kinds/messaging: chat.send, event.put, mail.send, alert.pending
//	AvatarDispatcherFunction  pkg/outbox/kinds/avatars: avatar.sync
//
// The dev server and tests run every kind in one dispatcher (Handlers).
// Adding a kind: add it to one of those packages' Kinds and Handlers, and
// to that function's stream filter in template.yaml (a test compares).
package kinds

import (
	"slices"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/outbox/kinds/avatars"
	"github.com/gatehouse/gatehouse/pkg/outbox/kinds/messaging"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

// Functions maps each stream function to the kinds it delivers.
var Functions = map[string][]string{
	messaging.Function: messaging.Kinds,
	avatars.Function:   avatars.Kinds,
}

// Config is every kind's configuration.
type Config struct {
	Messaging messaging.Config
	Avatars   avatars.Config
}

// Handlers returns the handlers of every kind.
func Handlers(p *platform.Platform, conns *connectors.Repo, cfg Config) (map[string]outbox.Handler, error) {
	m, err := messaging.Handlers(p, conns, cfg.Messaging)
	if err != nil {
		return nil, err
	}
	a, err := avatars.Handlers(p, conns, cfg.Avatars)
	if err != nil {
		return nil, err
	}
	return outbox.Handlers(slices.Concat(messaging.Kinds, avatars.Kinds), m, a)
}
