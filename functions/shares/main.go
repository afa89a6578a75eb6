// Command shares is the SharesFunction Lambda: documents and shares.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/shares"
)

func main() {
	log.Fatal(lambdahttp.Run(shares.Routes))
}
