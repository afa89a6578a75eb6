// Command twiliowebhook is the TwilioWebhookFunction Lambda: the signed
// inbound webhook of Twilio connectors.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/inbound"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

func main() {
	log.Fatal(lambdahttp.Run(inbound.RoutesOf(inbound.TwilioFunction)))
}
