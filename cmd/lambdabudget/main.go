// Command lambdabudget measures the Lambda budget of DESIGN.md for every
// function in template.yaml (make bench runs it):
//
//   - size: the linux/arm64 binary built as sam build builds it
//     (-tags lambda.norpc -trimpath -ldflags "-s -w"), budget < 10 MiB;
//   - init: the host build started against a fake Lambda Runtime API on
//     127.0.0.1, timed from process start to its first
//     GET /2018-06-01/runtime/invocation/next, against cmd/initbaseline
//     (a bare aws-lambda-go + api-proxy bootstrap creating the same AWS
//     SDK clients) in the same run; budget 1.3x: the median ratio of
//     runs paired with a baseline run just before or after.
//
// It prints Go benchmark lines and exits 1 when a budget is broken.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/pkg/tabledef"
)

const (
	maxSize   = 10 << 20
	maxRatio  = 1.3
	baseline  = "initbaseline"
	buildTags = "lambda.norpc"
)

func main() {
	runs := flag.Int("runs", 41, "init measurements per function (each paired with one of its baseline)")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "lambdabudget:", err)
		os.Exit(1)
	}
}

type function struct {
	logicalID, dir string
	env            map[string]string
	baseline       string   // the host binary of its baseline variant
	missing        []string // services the baseline cannot create
}

func run(runs int) error {
	root, err := tabledef.RepoRoot()
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
	var broken []string
	// Sizes, as deployed.
	arm := filepath.Join(tmp, "arm64")
	if err := build(root, arm, "linux", "arm64", fns); err != nil {
		return err
	}
	for _, f := range fns {
		st, err := os.Stat(filepath.Join(arm, f.dir))
		if err != nil {
			return err
		}
		mib := float64(st.Size()) / (1 << 20)
		fmt.Printf("BenchmarkLambdaSize/%s\t1\t%d bytes\t%.2f MiB\n", f.dir, st.Size(), mib)
		if st.Size() >= maxSize {
			broken = append(broken, fmt.Sprintf("%s: %.2f MiB, budget < 10 MiB", f.logicalID, mib))
		}
	}
	// Init, on this machine, each function against a baseline that creates
	// the same service clients.
	host := filepath.Join(tmp, "host")
	if err := build(root, host, runtime.GOOS, runtime.GOARCH, fns); err != nil {
		return err
	}
	variants, err := baselines(root, host, fns)
	if err != nil {
		return err
	}
	// Each run of a function is paired with a run of its baseline just
	// before or after it (alternately), and the budget applies to the median of the pairs'
	// ratios: drift and other load on the machine hit both alike.
	fnTimes := map[string][]time.Duration{}
	baseTimes := map[string][]time.Duration{}
	ratios := map[string][]float64{}
	baseFn := function{logicalID: baseline, dir: baseline}
	for i := 0; i < runs+1; i++ {
		for _, f := range fns {
			var b, d time.Duration
			var errB, errD error
			if i%2 == 0 { // alternate which goes first
				b, errB = initTime(f.baseline, baseFn)
				d, errD = initTime(filepath.Join(host, f.dir), f)
			} else {
				d, errD = initTime(filepath.Join(host, f.dir), f)
				b, errB = initTime(f.baseline, baseFn)
			}
			if errB != nil {
				return fmt.Errorf("%s: %w", filepath.Base(f.baseline), errB)
			}
			if errD != nil {
				return fmt.Errorf("%s: %w", f.logicalID, errD)
			}
			if i == 0 { // the first round warms the page cache
				continue
			}
			fnTimes[f.dir] = append(fnTimes[f.dir], d)
			baseTimes[f.baseline] = append(baseTimes[f.baseline], b)
			ratios[f.dir] = append(ratios[f.dir], float64(d)/float64(b))
		}
	}
	for _, v := range variants {
		fmt.Printf("BenchmarkLambdaInit/%s\t%d\t%d ns/op\t%d min-ns\n", filepath.Base(v), len(baseTimes[v]), median(baseTimes[v]).Nanoseconds(), slices.Min(baseTimes[v]).Nanoseconds())
	}
	for _, f := range fns {
		m := median(fnTimes[f.dir])
		r := slices.Sorted(slices.Values(ratios[f.dir]))
		ratio := r[len(r)/2]
		fmt.Printf("BenchmarkLambdaInit/%s\t%d\t%d ns/op\t%d min-ns\t%.2f x-baseline\n", f.dir, runs, m.Nanoseconds(), slices.Min(fnTimes[f.dir]).Nanoseconds(), ratio)
		if len(f.missing) > 0 {
			fmt.Printf("# %s: the baseline lacks clients for %v (add cmd/initbaseline/<service>.go)\n", f.dir, f.missing)
		}
		if ratio > maxRatio {
			broken = append(broken, fmt.Sprintf("%s: init %v is %.2fx its baseline (%s, median of paired runs), budget %.1fx", f.logicalID, m, ratio, filepath.Base(f.baseline), maxRatio))
		}
	}
	if len(broken) > 0 {
		return fmt.Errorf("budget broken:\n  %s", strings.Join(broken, "\n  "))
	}
	fmt.Println("PASS")
	return nil
}

// build compiles every function into dir/<functiondir> with the flags of
// the Makefile's build-%Function.
func build(root, dir, goos, goarch string, fns []function) error {
	pkgs := []string{}
	for _, f := range fns {
		pkgs = append(pkgs, "./functions/"+f.dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := append([]string{"build", "-tags", buildTags, "-trimpath", "-ldflags", "-s -w", "-o", dir + string(filepath.Separator)}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s/%s: %w", goos, goarch, err)
	}
	return nil
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

// initTime starts bin against a fresh fake Runtime API and returns the
// time until it asks for its first event.
func initTime(bin string, f function) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	ready := make(chan time.Time, 1)
	initErr := make(chan string, 1)
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next":
			select {
			case ready <- time.Now():
			default:
			}
			select { // hold the poll: no event comes
			case <-release:
			case <-r.Context().Done():
			}
		case strings.HasSuffix(r.URL.Path, "/init/error"):
			b, _ := io.ReadAll(r.Body)
			select {
			case initErr <- string(b):
			default:
			}
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		close(release)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()

	cmd := exec.Command(bin)
	cmd.Env = lambdaEnv(f, ln.Addr().String())
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	exited := make(chan error, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	select {
	case t := <-ready:
		return t.Sub(start), nil
	case msg := <-initErr:
		return 0, fmt.Errorf("init error: %s %s", msg, stderr.String())
	case err := <-exited:
		exited <- err
		return 0, fmt.Errorf("exited before polling for an event (%v): %s", err, stderr.String())
	case <-time.After(10 * time.Second):
		return 0, errors.New("no poll for an event within 10s")
	}
}

// lambdaEnv is what the Lambda service would set, plus the function's
// template variables with placeholder values and dummy credentials.
func lambdaEnv(f function, api string) []string {
	env := map[string]string{
		"PATH":                            os.Getenv("PATH"),
		"AWS_LAMBDA_RUNTIME_API":          api,
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
