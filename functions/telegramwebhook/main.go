// Command telegramwebhook is the TelegramWebhookFunction Lambda: the signed
// inbound webhook of Telegram connectors.
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
	routes, err := inbound.FunctionRoutes(p, inbound.TelegramFunction)
	if err != nil {
		log.Fatal(err)
	}
	lambdahttp.Start(p.Handler(routes))
}
