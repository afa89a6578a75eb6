// Command dispatcher is the DispatcherFunction Lambda: it delivers outbox
// messages from the table's stream and reports partial batch failures.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	d, err := outbox.FromPlatform(p)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(d.HandleStream)
}
