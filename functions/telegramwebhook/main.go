// Command telegramwebhook is the TelegramWebhookFunction Lambda: the signed
// inbound webhook of Telegram connectors.
package main

import (
	"log"
	"os"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	cfg := inbound.ConfigFromEnv(os.Getenv)
	log.Fatal(lambdahttp.Run(func(p *platform.Platform) ([]httpapi.Route, error) {
		return inbound.FunctionRoutes(p, connectors.NewRepo(p.Store), cfg, inbound.TelegramFunction)
	}))
}
