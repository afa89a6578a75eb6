// Command shares is the SharesFunction Lambda: documents and shares.
package main

import (
	"context"
	"log"

	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/shares"
)

func main() {
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	routes, err := shares.Routes(p)
	if err != nil {
		log.Fatal(err)
	}
	lambdahttp.Start(p.Handler(routes))
}
