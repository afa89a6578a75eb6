package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
)

// Tx is a write transaction whose every action has a name, so that a
// cancelled transaction reports its failed conditions by name. Decoding
// them by position broke whenever a caller joined actions of its own.
type Tx struct {
	tx    *dynamo.WriteTx
	table dynamo.Table
	names []string
}

// TxAction joins one or more named writes to a transaction (an outbox
// message, a dedupe marker...). It must name its actions uniquely, e.g.
// after the item it writes.
type TxAction func(tx *Tx)

// Tx starts a named transaction on the table.
func (s *Store) Tx() *Tx {
	return &Tx{tx: s.db.WriteTx(), table: s.table}
}

// Table is the table the transaction writes to, for building actions.
func (t *Tx) Table() dynamo.Table { return t.table }

// Put adds a named put.
func (t *Tx) Put(name string, p *dynamo.Put) *Tx {
	t.names = append(t.names, name)
	t.tx.Put(p)
	return t
}

// Update adds a named update.
func (t *Tx) Update(name string, u *dynamo.Update) *Tx {
	t.names = append(t.names, name)
	t.tx.Update(u)
	return t
}

// Delete adds a named delete.
func (t *Tx) Delete(name string, d *dynamo.Delete) *Tx {
	t.names = append(t.names, name)
	t.tx.Delete(d)
	return t
}

// Check adds a named condition check.
func (t *Tx) Check(name string, c *dynamo.ConditionCheck) *Tx {
	t.names = append(t.names, name)
	t.tx.Check(c)
	return t
}

// Join adds the actions of others.
func (t *Tx) Join(actions ...TxAction) *Tx {
	for _, a := range actions {
		a(t)
	}
	return t
}

// Run commits the transaction. When it is cancelled, the error is a
// *TxError naming the actions whose condition failed.
func (t *Tx) Run(ctx context.Context) error {
	if dup := duplicate(t.names); dup != "" {
		return fmt.Errorf("store: transaction names the action %q twice", dup)
	}
	err := t.tx.Run(ctx)
	if err == nil {
		return nil
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return err
	}
	te := &TxError{Err: err}
	for i, r := range tce.CancellationReasons {
		if r.Code == nil || i >= len(t.names) {
			continue
		}
		switch *r.Code {
		case "ConditionalCheckFailed":
			te.Failed = append(te.Failed, t.names[i])
		case "TransactionConflict":
			te.Conflict = true
		case "None":
		default:
			te.other = true
		}
	}
	return te
}

func duplicate(names []string) string {
	s := slices.Clone(names)
	slices.Sort(s)
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return s[i]
		}
	}
	return ""
}

// TxError is a cancelled transaction.
type TxError struct {
	// Failed names the actions whose condition failed.
	Failed []string
	// Conflict is set when another transaction held one of the items.
	Conflict bool
	Err      error
	other    bool // any other reason (throttling, validation...)
}

func (e *TxError) Error() string {
	if len(e.Failed) > 0 {
		return fmt.Sprintf("store: transaction cancelled, failed conditions %v: %v", e.Failed, e.Err)
	}
	return "store: transaction cancelled: " + e.Err.Error()
}

func (e *TxError) Unwrap() error { return e.Err }

// ConditionFailed reports whether err is a cancelled transaction whose
// action name failed its condition.
func ConditionFailed(err error, name string) bool {
	var te *TxError
	return errors.As(err, &te) && slices.Contains(te.Failed, name)
}

// OnlyConflicts reports a transaction cancelled only because concurrent
// transactions held its items: running it again may succeed.
func OnlyConflicts(err error) bool {
	var te *TxError
	return errors.As(err, &te) && te.Conflict && len(te.Failed) == 0 && !te.other
}
