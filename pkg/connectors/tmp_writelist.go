package connectors

import (
	"net/http"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
)

// writeList stands in for httpapi.WriteList until main has it (TEMPORARY).
func writeList[T any](w http.ResponseWriter, r *http.Request, items []T, next string) error {
	if next != "" {
		u := *r.URL
		q := u.Query()
		q.Set("pageToken", next)
		u.RawQuery = q.Encode()
		w.Header().Set("Link", "<"+httpapi.PublicBaseURL(r)+u.Path+"?"+u.RawQuery+">; rel=\"next\"")
	}
	return httpapi.WriteJSON(w, http.StatusOK, items)
}
