// Package avatars is AvatarDispatcherFunction's outbox kinds: avatar.sync
// (pkg/participants). It links only the avatar sources and S3.
package avatars

import (
	"github.com/gatehouse/gatehouse/pkg/avatarsync"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/participants"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

// Function is the Lambda (template.yaml logical id) delivering Kinds.
const Function = "AvatarDispatcherFunction"

// Kinds are the kinds Function delivers: its stream filter in
// template.yaml lists exactly these (tested in pkg/outbox/kinds).
var Kinds = []string{avatarsync.Kind}

// Config is the configuration of Kinds' handlers.
type Config = participants.Config

// ConfigFromEnv reads participants' settings (bucket, avatar sources).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	return participants.ConfigFromEnv(getenv)
}

// Handlers returns the handlers of Kinds.
func Handlers(p *platform.Platform, conns *connectors.Repo, cfg Config) (map[string]outbox.Handler, error) {
	hs, err := participants.OutboxHandlers(p, conns, cfg)
	if err != nil {
		return nil, err
	}
	return outbox.Handlers(Kinds, hs)
}
