package lambdahttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/lambdahttp"
)

// The handler sees the route's path whatever stage the API serves it on.
func TestStagePrefix(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.URL.Path))
	})
	h := lambdahttp.Handler(echo)
	tests := []struct {
		name  string
		event string
		want  string
	}{
		{"v2 named stage", `{"version":"2.0","rawPath":"/prod/v1/x","requestContext":{"stage":"prod","http":{"method":"GET","path":"/prod/v1/x"}}}`, "/v1/x"},
		{"v2 $default stage", `{"version":"2.0","rawPath":"/prod/v1/x","requestContext":{"stage":"$default","http":{"method":"GET","path":"/prod/v1/x"}}}`, "/prod/v1/x"},
		{"v2 stage root", `{"version":"2.0","rawPath":"/prod","requestContext":{"stage":"prod","http":{"method":"GET","path":"/prod"}}}`, "/"},
		{"v2 stage name only as a prefix", `{"version":"2.0","rawPath":"/production/x","requestContext":{"stage":"prod","http":{"method":"GET","path":"/production/x"}}}`, "/production/x"},
		{"v1 REST API", `{"httpMethod":"GET","path":"/v1/x","requestContext":{"stage":"v1","path":"/v1/v1/x"}}`, "/v1/x"},
		{"v1 HTTP API payload 1.0", `{"version":"1.0","httpMethod":"GET","path":"/prod/v1/x","requestContext":{"stage":"prod","path":"/prod/v1/x"}}`, "/v1/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h(context.Background(), json.RawMessage(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			var body string
			switch r := out.(type) {
			case events.APIGatewayV2HTTPResponse:
				body = r.Body
			case events.APIGatewayProxyResponse:
				body = r.Body
			default:
				t.Fatalf("response type %T", out)
			}
			if body != tt.want {
				t.Errorf("handler saw %q, want %q", body, tt.want)
			}
		})
	}
}

// Handlers see the base URL the client called: the gateway's domain and
// the stage prefix the path carried, unless PUBLIC_BASE_URL is configured.
func TestPublicBase(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		event      string
		want       string
	}{
		{"v2 named stage", "", `{"version":"2.0","rawPath":"/prod/v1/x","requestContext":{"domainName":"abc.execute-api.eu-west-1.amazonaws.com","stage":"prod","http":{"method":"GET","path":"/prod/v1/x"}}}`, "https://abc.execute-api.eu-west-1.amazonaws.com/prod"},
		{"v2 $default stage", "", `{"version":"2.0","rawPath":"/v1/x","requestContext":{"domainName":"abc.execute-api.eu-west-1.amazonaws.com","stage":"$default","http":{"method":"GET","path":"/v1/x"}}}`, "https://abc.execute-api.eu-west-1.amazonaws.com"},
		{"v2 custom domain", "", `{"version":"2.0","rawPath":"/v1/x","requestContext":{"domainName":"api.example.com","stage":"prod","http":{"method":"GET","path":"/v1/x"}}}`, "https://api.example.com"},
		{"v1 REST API", "", `{"httpMethod":"GET","path":"/v1/x","requestContext":{"domainName":"abc.execute-api.eu-west-1.amazonaws.com","stage":"v1","path":"/v1/v1/x"}}`, "https://abc.execute-api.eu-west-1.amazonaws.com/v1"},
		{"configured wins", "https://hooks.example.com/", `{"version":"2.0","rawPath":"/prod/v1/x","requestContext":{"domainName":"abc.execute-api.eu-west-1.amazonaws.com","stage":"prod","http":{"method":"GET","path":"/prod/v1/x"}}}`, "https://hooks.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &httpapi.Server{PublicBase: tt.configured}
			h := lambdahttp.Handler(s.Handler([]httpapi.Route{{Method: http.MethodGet, Path: "/v1/x", Public: true,
				Handle: func(w http.ResponseWriter, r *http.Request) error {
					_, err := w.Write([]byte(httpapi.PublicBaseURL(r)))
					return err
				}}}))
			out, err := h(context.Background(), json.RawMessage(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			var got string
			switch r := out.(type) {
			case events.APIGatewayV2HTTPResponse:
				got = r.Body
			case events.APIGatewayProxyResponse:
				got = r.Body
			}
			if got != tt.want {
				t.Errorf("PublicBaseURL = %q, want %q", got, tt.want)
			}
		})
	}
}
