// Command avatars is the AvatarsFunction Lambda: avatar:syncFromChannel,
// the avatar download redirect and the Slack OAuth connection.
package main

import (
	"log"
	"os"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/participants"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	cfg, err := participants.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(lambdahttp.Run(func(p *platform.Platform) ([]httpapi.Route, error) {
		return participants.AvatarRoutes(p, connectors.NewRepo(p.Store), cfg)
	}))
}
