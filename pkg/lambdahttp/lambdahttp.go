// Package lambdahttp is the only seam between API Gateway and net/http:
// it adapts HTTP API (v2) and REST API (v1) proxy events with
// aws-lambda-go-api-proxy.
package lambdahttp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

// Handler returns a Lambda handler that serves h for either event version.
func Handler(h http.Handler) func(ctx context.Context, raw json.RawMessage) (any, error) {
	v2 := httpadapter.NewV2(h)
	v1 := httpadapter.New(h)
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var probe struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, fmt.Errorf("lambdahttp: event is not JSON: %w", err)
		}
		if probe.Version == "2.0" {
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("lambdahttp: v2 event: %w", err)
			}
			raw := ev.RawPath
			ev.RawPath = stripStage(ev.RawPath, ev.RequestContext.Stage)
			ev.RequestContext.HTTP.Path = stripStage(ev.RequestContext.HTTP.Path, ev.RequestContext.Stage)
			ctx = httpapi.WithPublicBase(ctx, publicBase(ev.RequestContext.DomainName, raw, ev.RawPath))
			ctx = httpapi.WithRequestID(ctx, ev.RequestContext.RequestID)
			return v2.ProxyWithContext(ctx, ev)
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("lambdahttp: v1 event: %w", err)
		}
		// A REST API's path lacks the stage that requestContext.path has;
		// an HTTP API's 1.0 payload has it in both.
		if ev.Path == ev.RequestContext.Path {
			ev.Path = stripStage(ev.Path, ev.RequestContext.Stage)
		}
		ctx = httpapi.WithPublicBase(ctx, publicBase(ev.RequestContext.DomainName, ev.RequestContext.Path, ev.Path))
		ctx = httpapi.WithRequestID(ctx, ev.RequestContext.RequestID)
		return v1.ProxyWithContext(ctx, ev)
	}
}

// stripStage removes a named stage's prefix from a request path: an HTTP
// API puts it there (rawPath "/prod/v1/..." on stage "prod"; only the
// $default stage has none), and the routes are registered without it.
func stripStage(path, stage string) string {
	if stage == "" || stage == "$default" {
		return path
	}
	prefix := "/" + stage
	switch {
	case path == prefix:
		return "/"
	case strings.HasPrefix(path, prefix+"/"):
		return path[len(prefix):]
	}
	return path
}

// publicBase is the URL the client called minus the routed path: https, the
// gateway's domain and the stage prefix the path carried ("/prod" on a
// named stage of the execute-api domain; nothing on $default or behind a
// custom domain's mapping).
func publicBase(domain, calledPath, routedPath string) string {
	if domain == "" {
		return ""
	}
	return "https://" + domain + strings.TrimSuffix(calledPath, routedPath)
}

// Start runs h as this Lambda's handler; it never returns.
func Start(h http.Handler) {
	lambda.Start(Handler(h))
}

// Run builds the platform from the environment and serves the routes build
// returns. It returns only when the configuration is wrong; main decides
// what to do then.
func Run(build func(p *platform.Platform) ([]httpapi.Route, error)) error {
	p, err := platform.FromEnv(context.Background())
	if err != nil {
		return err
	}
	routes, err := build(p)
	if err != nil {
		return err
	}
	Start(p.Handler(routes))
	return nil
}

// Join serves the routes of several builders from one function (e.g.
// the access requests and the audit trail).
func Join(builds ...func(p *platform.Platform) ([]httpapi.Route, error)) func(p *platform.Platform) ([]httpapi.Route, error) {
	return func(p *platform.Platform) ([]httpapi.Route, error) {
		var out []httpapi.Route
		for _, build := range builds {
			rs, err := build(p)
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
		return out, nil
	}
}
