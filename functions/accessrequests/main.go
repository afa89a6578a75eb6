// Command accessrequests is the AccessRequestsFunction Lambda.
package main

import (
	"context"
	"log"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	routes, err := accessrequests.Routes(p)
	if err != nil {
		log.Fatal(err)
	}
	lambdahttp.Start(p.Handler(routes))
}
