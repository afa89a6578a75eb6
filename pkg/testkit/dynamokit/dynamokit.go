// Package dynamokit is DynamoDB Local for the dev server and the tests.
//
// Start runs it (the official jar from the pinned npm package in
// .devstack, with the machine's Java); cmd/withdynamo (`make test`) and
// the dev server (`make dev`) use that. Config and Clients build clients
// for it that count their calls. NewTable gives a test a fresh table on
// the instance named by DYNAMODB_ENDPOINT (make test starts one for the
// whole run), or on one it starts for the test binary (Main stops it).
package dynamokit

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
)

var (
	once     sync.Once
	endpoint string
	proc     *Process
	startErr error
	seq      atomic.Int64
)

// Endpoint returns the DynamoDB Local endpoint, starting one if needed.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if e := os.Getenv("DYNAMODB_ENDPOINT"); e != "" {
			endpoint = e
			return
		}
		root, err := tabledef.RepoRoot()
		if err != nil {
			startErr = err
			return
		}
		proc, startErr = Start(context.Background(), Options{Root: root})
		if startErr == nil {
			endpoint = proc.Endpoint
		}
	})
	if startErr != nil {
		tb.Fatalf("DynamoDB Local: %v", startErr)
	}
	return endpoint
}

// Stop ends a DynamoDB Local this package started; call it from TestMain.
func Stop() { proc.Stop() }

// Main runs tests and stops DynamoDB Local afterwards: use it as
// func TestMain(m *testing.M) { dynamokit.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Table is a fresh table for one test.
type Table struct {
	Name     string
	Endpoint string
	DB       *dynamo.DB
	Store    *store.Store
	Counter  *Counter
}

// NewTable creates a uniquely named table from template.yaml.
func NewTable(tb testing.TB) *Table {
	tb.Helper()
	return NewTableAt(tb, Endpoint(tb))
}

// NewTableAt creates the table on the DynamoDB Local at ep (a dedicated
// process, or a proxy in front of one).
func NewTableAt(tb testing.TB, ep string) *Table {
	tb.Helper()
	tpl, err := tabledef.FindTemplate()
	if err != nil {
		tb.Fatal(err)
	}
	def, err := tabledef.Load(tpl)
	if err != nil {
		tb.Fatal(err)
	}
	raw, db, counter := Clients(ep)
	name := fmt.Sprintf("t%d_%d_%s", time.Now().UnixNano(), seq.Add(1), sanitize(tb.Name()))
	if len(name) > 200 {
		name = name[:200]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := def.Ensure(ctx, raw, name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = db.Table(name).DeleteTable().Run(context.Background())
	})
	return &Table{Name: name, Endpoint: ep, DB: db, Store: store.New(db, name), Counter: counter}
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
