package contract_test

import (
	"fmt"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/contract"
)

// checkBody checks a contract row's body against its documented shape;
// a nil shape means the docs give no body (Empty). It reports whether a
// body was expected, so the row goes on to check its members.
func checkBody(t *testing.T, body string, shape contract.Shape) bool {
	t.Helper()
	if shape == nil {
		if body != "" {
			t.Errorf("body %q, want none", body)
		}
		return false
	}
	contract.Check(t, []byte(body), shape)
	return true
}

// checkProblem checks a Fruxon row's problem type (if it names one) and
// the exact values of fields.
func checkProblem(t *testing.T, body, problemType string, fields map[string]any) {
	t.Helper()
	if problemType != "" {
		if typ := arField(t, body, "type"); typ != "https://gatehouse.dev/problems/"+problemType {
			t.Errorf("type = %s, want %s", typ, problemType)
		}
	}
	for k, want := range fields {
		if v := arJSON(t, body)[k]; fmt.Sprint(v) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
}
