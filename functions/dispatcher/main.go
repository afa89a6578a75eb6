// Command dispatcher is the DispatcherFunction Lambda: it delivers the
// messaging kinds of outbox messages (chat.send, event.put, mail.send)
// from the table's stream and reports partial batch failures. Its kinds
// mirror kinds.Messaging (pkg/outbox/kinds).
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/gatehouse/gatehouse/pkg/inbound/deliver"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/shares"
)

func main() {
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	d, err := outbox.FromBuilders(p, deliver.OutboxHandlers, shares.OutboxHandlers)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(d.HandleStream)
}
