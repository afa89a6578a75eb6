// Command avatars is the AvatarsFunction Lambda: avatar:syncFromChannel,
// the avatar download redirect and the Slack OAuth connection.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/participants"
)

func main() {
	log.Fatal(lambdahttp.Run(participants.AvatarRoutes))
}
