// Package kinds is the registry of outbox message kinds: which feature
// package delivers which kind. The dev server and tests run every kind
// in one dispatcher; in AWS two stream-triggered Lambdas share them
// (DynamoDB streams allow two readers per shard), and each names its own
// builders in functions/<name>/main.go so it links only their SDKs:
//
//	DispatcherFunction        Messaging: chat.send, event.put (pkg/inbound/deliver), mail.send (pkg/shares)
//	AvatarDispatcherFunction  Avatars: avatar.sync (pkg/participants)
//
// Adding a kind: add its builder here and to one of those two mains, and
// its kind to that function's stream filter in template.yaml.
package kinds

import (
	"github.com/gatehouse/gatehouse/pkg/inbound/deliver"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/participants"
	"github.com/gatehouse/gatehouse/pkg/shares"
)

// Messaging are DispatcherFunction's kinds.
var Messaging = []outbox.Builder{deliver.OutboxHandlers, shares.OutboxHandlers}

// Avatars are AvatarDispatcherFunction's kinds.
var Avatars = []outbox.Builder{participants.OutboxHandlers}

// All is every kind.
func All() []outbox.Builder { return append(append([]outbox.Builder{}, Messaging...), Avatars...) }
