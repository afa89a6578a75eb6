// Command shares is the SharesFunction Lambda: documents and shares.
package main

import (
	"log"
	"os"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/shares"
)

func main() {
	cfg := shares.ConfigFromEnv(os.Getenv)
	log.Fatal(lambdahttp.Run(func(p *platform.Platform) ([]httpapi.Route, error) {
		return shares.Routes(p, cfg)
	}))
}
