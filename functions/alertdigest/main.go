// Command alertdigest is the AlertDigestFunction Lambda: on its
// EventBridge schedule it sends the approver alert digests that are due
// (pkg/alerts).
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/gatehouse/gatehouse/pkg/alerts"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	cfg, err := alerts.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(alerts.FromPlatform(p, cfg).Handle)
}
