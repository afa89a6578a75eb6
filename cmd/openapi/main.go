// Command openapi writes the merged OpenAPI document (pkg/openapi) to
// stdout, for linters nobody here wrote (make lint runs Redocly on it).
package main

import (
	"fmt"
	"os"

	"github.com/gatehouse/gatehouse/pkg/openapi"
)

func main() {
	doc, err := openapi.Document()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
	os.Stdout.Write(doc)
}
