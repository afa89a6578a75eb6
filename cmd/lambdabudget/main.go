// Command lambdabudget measures the Lambda budget of DESIGN.md for every
// function in template.yaml (make bench runs it):
//
//   - size: the linux/arm64 binary built as sam build builds it
//     (-tags lambda.norpc -trimpath -ldflags "-s -w"), budget < 10 MiB;
//   - init: the host build run under AWS's Runtime Interface Emulator
//     (pkg/rie, what sam local runs), whose init duration is Lambda's:
//     bootstrap start to its first request for an event. Against
//     cmd/initbaseline (a bare aws-lambda-go + api-proxy bootstrap
//     creating the same AWS SDK clients) under the same emulator in the
//     same run; budget 1.2x: the median ratio of runs paired with a
//     baseline run just before or after.
//
// It prints Go benchmark lines and exits 1 when a budget is broken.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/pkg/rie"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
)

const (
	maxSize   = 10 << 20
	maxRatio  = 1.2 // DESIGN.md's budget
	baseline  = "initbaseline"
	buildTags = "lambda.norpc"
)

func main() {
	runs := flag.Int("runs", 81, "init measurements per function (each paired with one of its baseline)")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "lambdabudget:", err)
		os.Exit(1)
	}
}

type function struct {
	logicalID, dir string
	stream         bool // triggered by the table's stream, not by HTTP
	env            map[string]string
	baseline       string   // the host binary of its baseline variant
	missing        []string // services the baseline cannot create
}

func run(runs int) error {
	ctx := context.Background()
	root, err := tabledef.RepoRoot()
	if err != nil {
		return err
	}
	emulator, err := rie.Install(ctx, root)
	if err != nil {
		return err
	}
	fns, err := readTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "lambdabudget")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Printf("goos: %s\ngoarch: %s\npkg: github.com/gatehouse/gatehouse/cmd/lambdabudget\n", runtime.GOOS, runtime.GOARCH)
	broken, err := checkSizes(ctx, root, filepath.Join(tmp, "arm64"), fns)
	if err != nil {
		return err
	}
	// Init, on this machine, each function against a baseline that creates
	// the same service clients.
	host := filepath.Join(tmp, "host")
	if err := build(ctx, root, host, runtime.GOOS, runtime.GOARCH, fns); err != nil {
		return err
	}
	variants, err := baselines(root, host, fns)
	if err != nil {
		return err
	}
	samples, err := measureInit(ctx, emulator, host, fns, runs)
	if err != nil {
		return err
	}
	broken = append(broken, samples.report(variants, fns, runs)...)
	if len(broken) > 0 {
		return fmt.Errorf("budget broken:\n  %s", strings.Join(broken, "\n  "))
	}
	fmt.Println("PASS")
	return nil
}

// checkSizes builds the functions as deployed into dir, prints their
// sizes and returns the budget breaches.
func checkSizes(ctx context.Context, root, dir string, fns []function) ([]string, error) {
	if err := build(ctx, root, dir, "linux", "arm64", fns); err != nil {
		return nil, err
	}
	var broken []string
	for _, f := range fns {
		st, err := os.Stat(filepath.Join(dir, f.dir))
		if err != nil {
			return nil, err
		}
		mib := float64(st.Size()) / (1 << 20)
		fmt.Printf("BenchmarkLambdaSize/%s\t1\t%d bytes\t%.2f MiB\n", f.dir, st.Size(), mib)
		if st.Size() >= maxSize {
			broken = append(broken, fmt.Sprintf("%s: %.2f MiB, budget < 10 MiB", f.logicalID, mib))
		}
	}
	return broken, nil
}

// initSamples are init durations of paired runs.
type initSamples struct {
	fn     map[string][]time.Duration // by function dir
	base   map[string][]time.Duration // by baseline binary
	ratios map[string][]float64       // by function dir: fn over its paired base
}

// measureInit runs each function paired with a run of its baseline just
// before or after it (alternately); the budget applies to the median of
// the pairs' ratios, as drift and other load on the machine hit both
// alike. The first round only warms the page cache.
func measureInit(ctx context.Context, emulator, host string, fns []function, runs int) (initSamples, error) {
	s := initSamples{fn: map[string][]time.Duration{}, base: map[string][]time.Duration{}, ratios: map[string][]float64{}}
	for i := 0; i < runs+1; i++ {
		for _, f := range fns {
			d, b, err := pairedInit(ctx, emulator, filepath.Join(host, f.dir), f, i%2 == 0)
			if err != nil {
				return s, err
			}
			if i == 0 {
				continue
			}
			s.fn[f.dir] = append(s.fn[f.dir], d)
			s.base[f.baseline] = append(s.base[f.baseline], b)
			s.ratios[f.dir] = append(s.ratios[f.dir], float64(d)/float64(b))
		}
	}
	return s, nil
}

// pairedInit measures the init of bin (function f) and of f's baseline,
// the baseline first when baseFirst.
func pairedInit(ctx context.Context, emulator, bin string, f function, baseFirst bool) (d, b time.Duration, err error) {
	baseFn := function{logicalID: baseline, dir: baseline}
	var errB, errD error
	if baseFirst {
		b, errB = initTime(ctx, emulator, f.baseline, baseFn)
		d, errD = initTime(ctx, emulator, bin, f)
	} else {
		d, errD = initTime(ctx, emulator, bin, f)
		b, errB = initTime(ctx, emulator, f.baseline, baseFn)
	}
	if errB != nil {
		return 0, 0, fmt.Errorf("%s: %w", filepath.Base(f.baseline), errB)
	}
	if errD != nil {
		return 0, 0, fmt.Errorf("%s: %w", f.logicalID, errD)
	}
	return d, b, nil
}

// report prints the baselines' and functions' init lines and returns
// the budget breaches.
func (s initSamples) report(variants []string, fns []function, runs int) []string {
	for _, v := range variants {
		fmt.Printf("BenchmarkLambdaInit/%s\t%d\t%d ns/op\t%d min-ns\n", filepath.Base(v), len(s.base[v]), median(s.base[v]).Nanoseconds(), slices.Min(s.base[v]).Nanoseconds())
	}
	var broken []string
	for _, f := range fns {
		m := median(s.fn[f.dir])
		r := slices.Sorted(slices.Values(s.ratios[f.dir]))
		ratio := r[len(r)/2]
		fmt.Printf("BenchmarkLambdaInit/%s\t%d\t%d ns/op\t%d min-ns\t%.2f x-baseline\n", f.dir, runs, m.Nanoseconds(), slices.Min(s.fn[f.dir]).Nanoseconds(), ratio)
		if len(f.missing) > 0 {
			fmt.Printf("# %s: the baseline lacks clients for %v (add cmd/initbaseline/<service>.go)\n", f.dir, f.missing)
		}
		if ratio > maxRatio {
			broken = append(broken, fmt.Sprintf("%s: init %v is %.2fx its baseline (%s, median of paired runs), budget %.1fx", f.logicalID, m, ratio, filepath.Base(f.baseline), maxRatio))
		}
	}
	return broken
}

// build compiles every function into dir/<functiondir> with the flags of
// the Makefile's build-%Function.
func build(ctx context.Context, root, dir, goos, goarch string, fns []function) error {
	var pkgs []string
	for _, f := range fns {
		pkgs = append(pkgs, "./functions/"+f.dir)
	}
	return rie.Build(ctx, root, dir, goos, goarch, pkgs...)
}

// configServices are not baseline tags: the baseline always creates
// DynamoDB, and the other four are only config.LoadDefaultConfig's
// credential clients.
var configServices = map[string]bool{"sts": true, "sso": true, "ssooidc": true, "signin": true, "dynamodb": true}

// baselines builds one baseline per set of service clients the functions
// import and sets each function's baseline and missing fields.
func baselines(root, dir string, fns []function) ([]string, error) {
	const sdk = "github.com/aws/aws-sdk-go-v2/service/"
	built := map[string]bool{}
	var out []string
	for i := range fns {
		f := &fns[i]
		cmd := exec.Command("go", "list", "-deps", "-tags", buildTags, "./functions/"+f.dir)
		cmd.Dir = root
		deps, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list %s: %w", f.dir, err)
		}
		var tags []string
		for _, p := range strings.Fields(string(deps)) {
			svc, ok := strings.CutPrefix(p, sdk)
			if !ok || strings.Contains(svc, "/") || configServices[svc] {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, "cmd", baseline, svc+".go")); err != nil {
				f.missing = append(f.missing, svc)
				continue
			}
			tags = append(tags, "baseline_"+svc)
		}
		sort.Strings(tags)
		name := baseline
		if len(tags) > 0 {
			name += "+" + strings.ReplaceAll(strings.Join(tags, "+"), "baseline_", "")
		}
		f.baseline = filepath.Join(dir, name)
		if built[name] {
			continue
		}
		built[name] = true
		args := []string{"build", "-tags", strings.Join(append([]string{buildTags}, tags...), ","), "-trimpath", "-ldflags", "-s -w", "-o", f.baseline, "./cmd/" + baseline}
		b := exec.Command("go", args...)
		b.Dir = root
		b.Env = append(os.Environ(), "CGO_ENABLED=0")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return nil, fmt.Errorf("go build %s: %w", name, err)
		}
		out = append(out, f.baseline)
	}
	return out, nil
}

// initTime starts bin under the Runtime Interface Emulator and returns
// the init duration it reports for the first invoke: bootstrap start to
// its first request for an event, as Lambda's Init Duration.
func initTime(ctx context.Context, emulator, bin string, f function) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p, err := rie.Start(ctx, rie.Options{RIE: emulator, Bootstrap: bin, Env: lambdaEnv(f)})
	if err != nil {
		return 0, err
	}
	defer p.Stop()
	// The emulator starts the bootstrap on the first invoke; the answer
	// does not matter, only that init completes.
	if _, err := p.Invoke(ctx, noopEvent(f)); err != nil {
		return 0, fmt.Errorf("%w\n%s", err, p.Output())
	}
	d, err := p.InitDuration(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w\n%s", err, p.Output())
	}
	return d, nil
}

// noopEvent is an event the function answers without I/O: an empty
// stream batch, or an HTTP API request no route serves.
func noopEvent(f function) []byte {
	if f.stream {
		return []byte(`{"Records":[]}`)
	}
	return []byte(`{"version":"2.0","routeKey":"$default","rawPath":"/lambdabudget","requestContext":{"http":{"method":"GET","path":"/lambdabudget"}}}`)
}

// lambdaEnv is what the Lambda service would set (the emulator adds the
// Runtime API address), plus the function's template variables with
// placeholder values and dummy credentials.
func lambdaEnv(f function) []string {
	env := map[string]string{
		"PATH":                            os.Getenv("PATH"),
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"AWS_ACCESS_KEY_ID":               "AKIDBENCHMARK",
		"AWS_SECRET_ACCESS_KEY":           "benchmark",
		"AWS_SESSION_TOKEN":               "benchmark",
		"AWS_LAMBDA_FUNCTION_NAME":        f.logicalID,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"_HANDLER":                        "bootstrap",
	}
	for k, v := range f.env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// readTemplate lists the template's functions with their environment
// (Globals and the function's own); intrinsic values (!Ref...) become
// placeholders named after their target.
func readTemplate(path string) ([]function, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tpl struct {
		Globals struct {
			Function struct {
				Environment struct {
					Variables map[string]yaml.Node `yaml:"Variables"`
				} `yaml:"Environment"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Environment struct {
					Variables map[string]yaml.Node `yaml:"Variables"`
				} `yaml:"Environment"`
				Events map[string]struct {
					Type string `yaml:"Type"`
				} `yaml:"Events"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	value := func(n yaml.Node) string {
		switch {
		case n.Tag == "!Ref" || n.Tag == "!GetAtt" || n.Tag == "!Sub":
			return placeholder(n.Value)
		case n.Kind == yaml.ScalarNode:
			return n.Value
		}
		return placeholder("value")
	}
	var fns []function
	for id, res := range tpl.Resources {
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		f := function{logicalID: id, dir: strings.ToLower(strings.TrimSuffix(id, "Function")), env: map[string]string{}}
		for k, n := range tpl.Globals.Function.Environment.Variables {
			f.env[k] = value(n)
		}
		for k, n := range res.Properties.Environment.Variables {
			f.env[k] = value(n)
		}
		for _, ev := range res.Properties.Events {
			f.stream = f.stream || ev.Type == "DynamoDB"
		}
		fns = append(fns, f)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].dir < fns[j].dir })
	if len(fns) == 0 {
		return nil, fmt.Errorf("%s: no AWS::Serverless::Function", path)
	}
	return fns, nil
}

// placeholder stands for a value CloudFormation would resolve; URLs point
// at a closed local port so that a stray fetch fails fast instead of
// leaving the machine.
func placeholder(target string) string {
	t := strings.ToLower(target)
	if strings.Contains(t, "url") || strings.Contains(t, "issuer") {
		return "http://127.0.0.1:9/" + target
	}
	return "bench-" + strings.NewReplacer(".", "-", "${", "", "}", "").Replace(target)
}
