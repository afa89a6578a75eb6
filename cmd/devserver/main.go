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
	addr := flag.String("addr", "127.0.0.1:3000", "listen address (port 0 picks a free one)")
	data := flag.String("data", "", "data directory (default <repo>/.devstack/data)")
	dynamoPort := flag.Int("dynamo-port", 8000, "DynamoDB Local port on 127.0.0.1 (0 picks a free one)")
	flag.Parse()
	root, err := tabledef.RepoRoot()
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = devserver.Run(ctx, devserver.Options{Root: root, Addr: *addr, Data: *data, Reset: *reset, DynamoPort: *dynamoPort})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}
