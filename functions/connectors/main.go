// Command connectors is the ConnectorsFunction Lambda (integrationConfigs).
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

func main() {
	log.Fatal(lambdahttp.Run(connectors.Routes))
}
