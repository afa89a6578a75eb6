// Command accessrequests is the AccessRequestsFunction Lambda.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

func main() {
	log.Fatal(lambdahttp.Run(accessrequests.Routes))
}
