// Command expiry is the ExpiryFunction Lambda: on its EventBridge schedule
// it expires PENDING access requests and waiting share recipients
// (pkg/expiry).
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/gatehouse/gatehouse/pkg/expiry"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/shares"
)

func main() {
	cfg, err := expiry.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	s, err := expiry.FromPlatform(p, cfg, shares.ConfigFromEnv(os.Getenv))
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(s.Handle)
}
