// Command collaborators is the CollaboratorsFunction Lambda: the agent's
// collaborators and its alert settings (pkg/alertsettings).
package main

import (
	"log"

	"github.com/gatehouse/gatehouse/pkg/alertsettings"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

func main() {
	log.Fatal(lambdahttp.Run(lambdahttp.Join(collaborators.Routes, alertsettings.Routes)))
}
