package console_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse/gatehouse/pkg/console"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

// Through the Lambda seam, as API Gateway calls ConsoleFunction: the
// stage the browser's path carries reaches the page and config.json.
func TestThroughLambda(t *testing.T) {
	handle := lambdahttp.Handler(console.New(built, cfg))
	event := func(stage, rawPath string) json.RawMessage {
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: rawPath,
			RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: stage, DomainName: "a1.execute-api.eu-west-1.amazonaws.com",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: rawPath}}}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name, stage, path string
		wantStatus        int
		wantBody          string // contained
		wantCache         string
	}{
		{name: "named stage index", stage: "prod", path: "/prod/console/", wantStatus: 200, wantBody: `"/prod/console/assets/index-Bx1.js"`, wantCache: "no-cache"},
		{name: "named stage config", stage: "prod", path: "/prod/console/config.json", wantStatus: 200, wantBody: `"apiBase":"/prod"`, wantCache: "no-cache"},
		{name: "named stage asset", stage: "prod", path: "/prod/console/assets/index-Bx1.js", wantStatus: 200, wantBody: appJS,
			wantCache: "public, max-age=31536000, immutable"},
		{name: "default stage index", stage: "$default", path: "/console/requests/7", wantStatus: 200, wantBody: `"/console/assets/index-Bx1.js"`},
		{name: "named stage missing asset", stage: "prod", path: "/prod/console/assets/gone.js", wantStatus: 404, wantBody: "not-found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := handle(context.Background(), event(tt.stage, tt.path))
			if err != nil {
				t.Fatal(err)
			}
			res, ok := out.(events.APIGatewayV2HTTPResponse)
			if !ok {
				t.Fatalf("response %T, want a v2 response", out)
			}
			body := res.Body
			if res.IsBase64Encoded {
				b, err := base64.StdEncoding.DecodeString(body)
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			if res.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("got %d %q, want %d containing %q", res.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if tt.wantCache != "" && res.Headers["Cache-Control"] != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", res.Headers["Cache-Control"], tt.wantCache)
			}
		})
	}
}
