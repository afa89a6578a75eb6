package devserver

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/openapi"
)

func TestServesOpenAPI(t *testing.T) {
	mux := http.NewServeMux()
	for pattern, h := range Extra {
		mux.Handle(pattern, h)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.yaml", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET /openapi.yaml: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if _, err := openapi.Load(rec.Body.Bytes()); err != nil {
		t.Fatal(err)
	}
}
