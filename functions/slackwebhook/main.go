// Command slackwebhook is the SlackWebhookFunction Lambda: the signed
// inbound webhook of Slack connectors.
package main

import (
	"context"
	"log"

	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	routes, err := inbound.FunctionRoutes(p, inbound.SlackFunction)
	if err != nil {
		log.Fatal(err)
	}
	lambdahttp.Start(p.Handler(routes))
}
