package routes_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/pkg/console"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
)

// optionalEnv are variables the code reads that production need not set:
// local endpoints and provider base-URL overrides with public defaults.
var optionalEnv = regexp.MustCompile(`^(DYNAMODB_ENDPOINT|S3_ENDPOINT|SES_ENDPOINT|AWS_.*|[A-Z]+_API_URL|.*_BASE_URL|MICROSOFT_LOGIN_URL|BOTFRAMEWORK_.*|AVATAR_ALLOW_LOOPBACK|AVATAR_CA_PEM|KEYCLOAK_.*|MAIL_DIR|JWT_AUDIENCE|SLACK_OAUTH_.*|OPENID_.*|TEAMS_OPENID_.*)$`)

type template struct {
	Globals struct {
		Function map[string]yaml.Node `yaml:"Function"`
	} `yaml:"Globals"`
	Parameters map[string]yaml.Node `yaml:"Parameters"`
	Resources  map[string]struct {
		Type       string    `yaml:"Type"`
		Metadata   yaml.Node `yaml:"Metadata"`
		Properties yaml.Node `yaml:"Properties"`
	} `yaml:"Resources"`
}

type fnProps struct {
	CodeUri       string   `yaml:"CodeUri"`
	Handler       string   `yaml:"Handler"`
	Runtime       string   `yaml:"Runtime"`
	Architectures []string `yaml:"Architectures"`
	Environment   struct {
		Variables map[string]yaml.Node `yaml:"Variables"`
	} `yaml:"Environment"`
	Events map[string]struct {
		Type       string `yaml:"Type"`
		Properties struct {
			Method string `yaml:"Method"`
			Path   string `yaml:"Path"`
		} `yaml:"Properties"`
	} `yaml:"Events"`
}

func load(t *testing.T) (root string, raw []byte, tpl template) {
	t.Helper()
	root, err := tabledef.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err = os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	return root, raw, tpl
}

func functionDir(logicalID string) string {
	return strings.ToLower(strings.TrimSuffix(logicalID, "Function"))
}

func TestTemplateMatchesRouteTable(t *testing.T) {
	root, _, tpl := load(t)
	var global fnProps
	gb, _ := yaml.Marshal(tpl.Globals.Function)
	if err := yaml.Unmarshal(gb, &global); err != nil {
		t.Fatal(err)
	}
	if global.Handler != "bootstrap" || global.Runtime != "provided.al2023" || strings.Join(global.Architectures, ",") != "arm64" {
		t.Errorf("Globals.Function: handler %q runtime %q arch %v", global.Handler, global.Runtime, global.Architectures)
	}

	want := map[string]bool{} // "Function METHOD PATH" from the route table
	all, err := routes.All(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		want[r.Function+" "+r.Method+" "+r.Path] = true
	}
	for _, r := range console.GatewayRoutes {
		want["ConsoleFunction "+r.Method+" "+r.Path] = true
	}
	got := map[string]bool{}
	functions := map[string]bool{}
	for id, res := range tpl.Resources {
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		functions[id] = true
		var p fnProps
		if err := res.Properties.Decode(&p); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var meta struct {
			BuildMethod string `yaml:"BuildMethod"`
		}
		_ = res.Metadata.Decode(&meta)
		if meta.BuildMethod != "makefile" {
			t.Errorf("%s: BuildMethod %q, want makefile", id, meta.BuildMethod)
		}
		if p.Handler != "" && p.Handler != "bootstrap" || p.Runtime != "" && p.Runtime != "provided.al2023" {
			t.Errorf("%s: handler %q runtime %q", id, p.Handler, p.Runtime)
		}
		if _, err := os.Stat(filepath.Join(root, "functions", functionDir(id), "main.go")); err != nil {
			t.Errorf("%s: no functions/%s/main.go", id, functionDir(id))
		}
		for name, ev := range p.Events {
			if ev.Type != "HttpApi" {
				continue
			}
			key := id + " " + ev.Properties.Method + " " + ev.Properties.Path
			if got[key] {
				t.Errorf("%s: event %s duplicates %s", id, name, key)
			}
			got[key] = true
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("route %q has no HttpApi event in template.yaml", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("template.yaml event %q is not in the route table", k)
		}
	}
	// Every functions/ folder is a function in the template.
	dirs, _ := os.ReadDir(filepath.Join(root, "functions"))
	for _, d := range dirs {
		found := false
		for id := range functions {
			if functionDir(id) == d.Name() {
				found = true
			}
		}
		if !found {
			t.Errorf("functions/%s has no AWS::Serverless::Function in template.yaml", d.Name())
		}
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil || !strings.Contains(string(mk), "build-%Function:") {
		t.Errorf("Makefile lacks the build-%%Function pattern target SAM calls")
	}
}

// Every !Ref, !GetAtt and !Sub target exists.
func TestTemplateReferences(t *testing.T) {
	_, raw, tpl := load(t)
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"AWS::Region": true, "AWS::AccountId": true, "AWS::StackName": true, "AWS::Partition": true, "AWS::URLSuffix": true}
	for k := range tpl.Parameters {
		known[k] = true
	}
	for k := range tpl.Resources {
		known[k] = true
	}
	subRef := regexp.MustCompile(`\$\{([A-Za-z0-9:]+)(\.[A-Za-z0-9.]+)?\}`)
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Tag {
		case "!Ref":
			if !known[n.Value] {
				t.Errorf("line %d: !Ref %s names nothing", n.Line, n.Value)
			}
		case "!GetAtt":
			if name := strings.SplitN(n.Value, ".", 2)[0]; !known[name] {
				t.Errorf("line %d: !GetAtt %s names nothing", n.Line, n.Value)
			}
		case "!Sub":
			for _, m := range subRef.FindAllStringSubmatch(n.Value, -1) {
				if !known[m[1]] {
					t.Errorf("line %d: !Sub ${%s} names nothing", n.Line, m[1])
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
}

// Every environment variable a function's code reads is set in the
// template (globally or on the function), unless it is an optional
// local override.
func TestTemplateEnvironment(t *testing.T) {
	t.Parallel()
	root, _, tpl := load(t)
	var global fnProps
	gb, _ := yaml.Marshal(tpl.Globals.Function)
	_ = yaml.Unmarshal(gb, &global)
	read := regexp.MustCompile(`(?:[Gg]etenv|LookupEnv)\("([A-Z0-9_]+)"\)`)
	for id, res := range tpl.Resources {
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		var p fnProps
		_ = res.Properties.Decode(&p)
		set := map[string]bool{}
		for k := range global.Environment.Variables {
			set[k] = true
		}
		for k := range p.Environment.Variables {
			set[k] = true
		}
		cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./functions/"+functionDir(id))
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: go list: %v", id, err)
		}
		var missing []string
		for _, dir := range strings.Fields(string(out)) {
			if !strings.HasPrefix(dir, root) {
				continue
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
			for _, f := range files {
				if strings.HasSuffix(f, "_test.go") {
					continue
				}
				src, _ := os.ReadFile(f)
				for _, m := range read.FindAllStringSubmatch(string(src), -1) {
					if !set[m[1]] && !optionalEnv.MatchString(m[1]) {
						missing = append(missing, m[1])
					}
				}
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s reads %v, not set in template.yaml", id, missing)
		}
	}
}
