// Command participants is the ParticipantsFunction Lambda: participants
// and their bindings.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/participants"
)

func main() {
	log.Fatal(lambdahttp.Run(participants.ParticipantRoutes))
}
