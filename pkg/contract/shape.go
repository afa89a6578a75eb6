// Package contract holds the documented response shapes of the products
// gatehouse mirrors (shared/CONTRACT.md), in one place, and checks bodies
// against them. Each family's shapes live in <family>.go; the contract
// tests, table-driven, in <family>_test.go.
package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Shape is a documented JSON value.
type Shape interface {
	check(path string, v any, errs *[]string)
}

type scalar struct {
	name string
	ok   func(any) bool
}

func (s scalar) check(path string, v any, errs *[]string) {
	if !s.ok(v) {
		*errs = append(*errs, fmt.Sprintf("%s: got %s, want %s", path, describe(v), s.name))
	}
}

var isoTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// Scalars.
var (
	String Shape = scalar{"a string", func(v any) bool { _, ok := v.(string); return ok }}
	Bool   Shape = scalar{"a boolean", func(v any) bool { _, ok := v.(bool); return ok }}
	Int    Shape = scalar{"an integer", func(v any) bool {
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	}}
	UUID Shape = scalar{"a UUID", func(v any) bool {
		s, ok := v.(string)
		if !ok || len(s) != 36 {
			return false
		}
		_, err := uuid.Parse(s)
		return err == nil
	}}
	// ISOTime is SweetConnect's time: 2024-01-15T10:30:00.000Z.
	ISOTime Shape = scalar{"an ISO-8601 time like 2024-01-15T10:30:00.000Z", func(v any) bool {
		s, ok := v.(string)
		return ok && isoTime.MatchString(s)
	}}
	// Any accepts every value (a documented field of unstated type).
	Any Shape = scalar{"anything", func(any) bool { return true }}
)

// OneOf is a string enum, spelled exactly.
func OneOf(values ...string) Shape {
	return scalar{"one of " + strings.Join(values, "|"), func(v any) bool {
		s, ok := v.(string)
		if !ok {
			return false
		}
		for _, x := range values {
			if s == x {
				return true
			}
		}
		return false
	}}
}

type nullable struct{ s Shape }

func (n nullable) check(path string, v any, errs *[]string) {
	if v != nil {
		n.s.check(path, v, errs)
	}
}

// Nullable accepts null or s.
func Nullable(s Shape) Shape { return nullable{s} }

type extension struct{ s Shape }

func (e extension) check(path string, v any, errs *[]string) { e.s.check(path, v, errs) }

// Extension marks a field gatehouse adds beyond the docs (README: "Where
// gatehouse goes beyond the docs"): it may be absent.
func Extension(s Shape) Shape { return extension{s} }

// Object is a JSON object with exactly these fields: a missing one and an
// undocumented one both fail (Extension fields may be absent).
type Object map[string]Shape

func (o Object) check(path string, v any, errs *[]string) {
	m, ok := v.(map[string]any)
	if !ok {
		*errs = append(*errs, fmt.Sprintf("%s: got %s, want an object", path, describe(v)))
		return
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fv, present := m[k]
		if !present {
			if _, ext := o[k].(extension); !ext {
				*errs = append(*errs, fmt.Sprintf("%s.%s: missing", path, k))
			}
			continue
		}
		o[k].check(path+"."+k, fv, errs)
	}
	var extra []string
	for k := range m {
		if _, ok := o[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		*errs = append(*errs, fmt.Sprintf("%s.%s: not documented", path, k))
	}
}

type array struct{ s Shape }

func (a array) check(path string, v any, errs *[]string) {
	items, ok := v.([]any)
	if !ok {
		*errs = append(*errs, fmt.Sprintf("%s: got %s, want an array", path, describe(v)))
		return
	}
	for i, it := range items {
		a.s.check(fmt.Sprintf("%s[%d]", path, i), it, errs)
	}
}

// Array is a JSON array of s (the documented bare lists).
func Array(s Shape) Shape { return array{s} }

// Envelope is SweetConnect's success body: {"data": s}.
func Envelope(s Shape) Shape { return Object{"data": s} }

// Errors lists how body departs from s; nil when it matches.
func Errors(body []byte, s Shape) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	var errs []string
	s.check("$", v, &errs)
	return errs
}

// Check fails t when body departs from s.
func Check(t testing.TB, body []byte, s Shape) {
	t.Helper()
	for _, e := range Errors(body, s) {
		t.Error(e)
	}
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + x.String()
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
