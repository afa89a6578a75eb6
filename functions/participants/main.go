// Command participants is the ParticipantsFunction Lambda: participants
// and their bindings.
package main

import (
	"context"
	"log"

	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/participants"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	routes, err := participants.ParticipantRoutes(p)
	if err != nil {
		log.Fatal(err)
	}
	lambdahttp.Start(p.Handler(routes))
}
