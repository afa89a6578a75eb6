package devserver

import (
	"net/http"

	"github.com/gatehouse/gatehouse/pkg/openapi"
)

func init() {
	Extra["GET /openapi.yaml"] = http.HandlerFunc(serveOpenAPI)
}

// serveOpenAPI serves the merged OpenAPI document for Swagger UI, Redoc or
// code generators pointed at the dev server.
func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	doc, err := openapi.Document()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(doc)
}
