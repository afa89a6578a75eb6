// Command accessrequests is the AccessRequestsFunction Lambda: access
// requests and the audit trail.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

func main() {
	log.Fatal(lambdahttp.Run(lambdahttp.Join(accessrequests.Routes, audit.Routes)))
}
