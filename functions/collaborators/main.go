// Command collaborators is the CollaboratorsFunction Lambda.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

func main() {
	log.Fatal(lambdahttp.Run(collaborators.Routes))
}
