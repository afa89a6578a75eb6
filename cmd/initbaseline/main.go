// Command initbaseline is the bare Lambda bootstrap the functions' init
// time is measured against (DESIGN.md, performance budget): aws-lambda-go
// and the api-proxy adapter serving a trivial handler, after creating the
// same AWS SDK clients the functions create: the default config and a
// DynamoDB client always, plus one client per baseline_<service> build tag
// (files <service>.go; cmd/lambdabudget sets the tags of each function's
// services). It reads no settings of its own and is never deployed.
package main

import (
	"context"
	"log"
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// extra holds the constructors of the clients the build tags add.
var extra []func(aws.Config) any

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		config.WithRetryer(func() aws.Retryer { return retry.NewStandard() }))
	if err != nil {
		log.Fatal(err)
	}
	clients := []any{dynamodb.NewFromConfig(cfg)}
	for _, c := range extra {
		clients = append(clients, c(cfg))
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = clients // keep the clients alive like a real function
		w.WriteHeader(http.StatusNoContent)
	})
	lambda.Start(httpadapter.NewV2(h).ProxyWithContext)
}
