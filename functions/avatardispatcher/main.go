// Command avatardispatcher is the AvatarDispatcherFunction Lambda: it
// delivers avatar.sync outbox messages from the table's stream. It is
// apart from DispatcherFunction so neither binary links every provider
// SDK, and so only it may write the avatar bucket.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/participants"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	d, err := outbox.FromBuilders(p, participants.OutboxHandlers)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(d.HandleStream)
}
