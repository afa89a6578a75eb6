// Command initbaseline is the bare Lambda bootstrap the functions' init
// time is measured against (DESIGN.md, performance budget): aws-lambda-go
// and the api-proxy adapter serving a trivial handler, after creating the
// same AWS SDK clients the functions create: the config built from
// Lambda's environment and a DynamoDB client always, plus one client per
// baseline_<service> build tag (files <service>.go; cmd/lambdabudget sets
// the tags of each function's services). It is never deployed.
package main

import (
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// extra holds the constructors of the clients the build tags add.
var extra []func(aws.Config) any

func main() {
	// The same construction as platform.AWSConfigFromEnv (the functions'
	// config), without importing the platform and its dependencies.
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))),
		HTTPClient: awshttp.NewBuildableClient(),
		Retryer:    func() aws.Retryer { return retry.NewStandard() },
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
