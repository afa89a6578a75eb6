// Command whatsappwebhook is the WhatsAppWebhookFunction Lambda: the signed
// inbound webhook of WhatsApp connectors.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

func main() {
	log.Fatal(lambdahttp.Run(inbound.RoutesOf(inbound.WhatsAppFunction)))
}
