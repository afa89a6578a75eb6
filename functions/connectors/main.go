// Command connectors is the ConnectorsFunction Lambda (integration configs).
package main

import (
	"log"
	"os"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

func main() {
	cfg := connectors.ConfigFromEnv(os.Getenv)
	log.Fatal(lambdahttp.Run(func(p *platform.Platform) ([]httpapi.Route, error) {
		return connectors.Routes(p, connectors.NewRepo(p.Store), cfg)
	}))
}
