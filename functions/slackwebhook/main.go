// Command slackwebhook is the SlackWebhookFunction Lambda: the signed
// inbound webhook of Slack connectors.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

func main() {
	log.Fatal(lambdahttp.Run(inbound.RoutesOf(inbound.SlackFunction)))
}
