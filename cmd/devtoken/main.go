// Command devtoken prints one dev bearer token signed with the dev issuer's
// key, so that the local dev server accepts it. See issuerkit.ClaimsFromEnv
// for the environment variables.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

func main() {
	keys := flag.String("keys", ".devstack/data/jwt", "directory of the dev signing key")
	flag.Parse()
	if err := run(*keys); err != nil {
		fmt.Fprintln(os.Stderr, "devtoken:", err)
		os.Exit(1)
	}
}

func run(keys string) error {
	c, err := issuerkit.ClaimsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	iss, err := issuerkit.LoadOrCreate(keys)
	if err != nil {
		return err
	}
	tok, err := iss.Mint(c)
	if err != nil {
		return err
	}
	_, err = fmt.Println(tok)
	return err
}
