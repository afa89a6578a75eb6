// Command members is the MembersFunction Lambda.
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
	"github.com/gatehouse/gatehouse/pkg/members"
)

func main() {
	log.Fatal(lambdahttp.Run(members.Routes))
}
