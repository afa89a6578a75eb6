// Command avatardispatcher is the AvatarDispatcherFunction Lambda: it
// delivers avatar.sync outbox messages (avatars.Kinds) from the table's
// stream. It is apart from DispatcherFunction so neither binary links
// every provider SDK, and so only it may write the avatar bucket.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/outbox/kinds/avatars"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	cfg, err := avatars.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	hs, err := avatars.Handlers(p, connectors.NewRepo(p.Store), cfg)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(outbox.New(p.Store, hs, p.Logger).HandleStream)
}
