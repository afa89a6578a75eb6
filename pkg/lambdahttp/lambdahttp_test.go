package lambdahttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

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
