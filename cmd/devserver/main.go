// Command devserver runs gatehouse locally: make dev.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gatehouse/gatehouse/pkg/devserver"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
)

func main() {
	reset := flag.Bool("reset", false, "start from empty data")
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	flag.Parse()
	root, err := tabledef.RepoRoot()
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = devserver.Run(ctx, devserver.Options{Root: root, Addr: *addr, Reset: *reset})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}
