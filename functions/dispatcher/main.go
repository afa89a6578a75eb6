// Command dispatcher is the DispatcherFunction Lambda: it delivers the
// messaging kinds of outbox messages (messaging.Kinds: chat.send,
// event.put, mail.send, alert.pending) from the table's stream and reports partial batch
// failures.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/outbox/kinds/messaging"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	cfg, err := messaging.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	hs, err := messaging.Handlers(p, connectors.NewRepo(p.Store), cfg)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(outbox.New(p.Store, hs, p.Logger).HandleStream)
}
