package routes_test

import (
	"os/exec"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The AWS actions the code base calls at all (README: Least privilege).
// A grant outside this list is unused by every code path (as
// dynamodb:DescribeTable was: only the dev and test table setup calls it).
var usedActions = map[string]bool{
	"dynamodb:GetItem": true, "dynamodb:BatchGetItem": true, "dynamodb:Query": true, "dynamodb:PutItem": true,
	"dynamodb:UpdateItem": true, "dynamodb:DeleteItem": true, "dynamodb:ConditionCheckItem": true,
	"s3:GetObject": true, "s3:PutObject": true, "s3:DeleteObject": true, "s3:ListBucket": true,
	"ses:SendEmail": true, "events:PutEvents": true, "sqs:SendMessage": true,
}

// serviceGrants: a function holds a service's actions exactly when it
// links the package that calls that service.
var serviceGrants = []struct {
	prefix string // action prefix
	pkg    string // the only package calling the service
}{
	{"s3:", "github.com/gatehouse/gatehouse/pkg/blob/bucket"},
	{"ses:", "github.com/aws/aws-sdk-go-v2/service/sesv2"},
	{"events:", "github.com/aws/aws-sdk-go-v2/service/eventbridge"},
}

// importedOnly are functions that import a service's package without
// calling it; each needs no grant. Keep this list short and say why.
var importedOnly = map[string]string{
	// pkg/participants holds both functions' routes; ParticipantRoutes never
	// builds the S3 store, so the linker drops pkg/blob/bucket (go tool nm).
	"ParticipantsFunction s3:": "pkg/blob is dead code here",
	// The expiry sweep declines share recipients through pkg/shares, whose
	// document routes hold the S3 client; it builds the service without a bucket.
	"ExpiryFunction s3:": "declines touch no document content",
}

// noAWS are functions that call no AWS service and so hold no policy.
var noAWS = map[string]string{
	"ConsoleFunction": "serves its embedded files and config.json",
}

type policyStatement struct {
	Action yaml.Node `yaml:"Action"`
}

// grantedActions lists the actions of a function's inline policy statements.
func grantedActions(t *testing.T, props yaml.Node) []string {
	var p struct {
		Policies []struct {
			Statement []policyStatement `yaml:"Statement"`
		} `yaml:"Policies"`
	}
	if err := props.Decode(&p); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, pol := range p.Policies {
		for _, st := range pol.Statement {
			var many []string
			if err := st.Action.Decode(&many); err != nil {
				var one string
				if err := st.Action.Decode(&one); err != nil {
					t.Fatalf("Action: %v", err)
				}
				many = []string{one}
			}
			out = append(out, many...)
		}
	}
	return out
}

// Every function is granted only actions the code calls, and S3, SES and
// EventBridge actions only when it links the code that calls them.
func TestTemplateGrants(t *testing.T) {
	t.Parallel()
	root, _, tpl := load(t)
	for id, res := range tpl.Resources {
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		granted := grantedActions(t, res.Properties)
		if _, none := noAWS[id]; none != (len(granted) == 0) {
			t.Errorf("%s: %d policy statements; want none exactly for %v", id, len(granted), noAWS)
		}
		for _, a := range granted {
			if !usedActions[a] {
				t.Errorf("%s is granted %s, which no code path calls", id, a)
			}
		}
		cmd := exec.Command("go", "list", "-deps", "./functions/"+functionDir(id))
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: go list: %v", id, err)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		for _, sg := range serviceGrants {
			var got []string
			for _, a := range granted {
				if strings.HasPrefix(a, sg.prefix) {
					got = append(got, a)
				}
			}
			sort.Strings(got)
			_, exempt := importedOnly[id+" "+sg.prefix]
			switch {
			case deps[sg.pkg] && len(got) == 0 && !exempt:
				t.Errorf("%s links %s but is granted no %s action", id, sg.pkg, sg.prefix)
			case !deps[sg.pkg] && len(got) > 0:
				t.Errorf("%s is granted %v but does not link %s", id, got, sg.pkg)
			}
		}
	}
}
