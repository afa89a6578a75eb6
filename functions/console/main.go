// Command console is the ConsoleFunction Lambda: the operator console's
// built assets, embedded in the binary, and its config.json.
package main

import (
	"log"
	"os"

	"github.com/gatehouse/gatehouse/pkg/console"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

func main() {
	cfg, err := console.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	lambdahttp.Start(console.New(console.Assets(), cfg))
}
