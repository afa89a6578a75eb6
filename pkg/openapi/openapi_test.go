package openapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/openapi"
	"github.com/gatehouse/gatehouse/pkg/routes"
)

func TestDocumentIsValid(t *testing.T) {
	data, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
}

// Each fragment needs nothing but base.yaml: features can be added or
// removed independently.
func TestFragmentsStandaloneWithBase(t *testing.T) {
	frags, err := openapi.Fragments()
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) == 0 || frags[0].Name != openapi.BaseFragment {
		t.Fatalf("fragments %v: base.yaml must come first", frags)
	}
	for _, f := range frags[1:] {
		t.Run(f.Name, func(t *testing.T) {
			data, err := openapi.Merge([]openapi.Fragment{frags[0], f})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := openapi.Load(data); err != nil {
				t.Fatalf("%s with base.yaml alone: %v", f.Name, err)
			}
		})
	}
}

const baseFrag = `openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Problem: {type: object}
`

func frag(paths, schemas string) string {
	s := "openapi: 3.1.0\ninfo: {title: f, version: \"1\"}\npaths:\n" + paths
	if schemas != "" {
		s += "components:\n  schemas:\n" + schemas
	}
	return s
}

const okPath = "  /a:\n    get:\n      responses: {\"204\": {description: ok}}\n"

func TestMerge(t *testing.T) {
	tests := []struct {
		name     string
		frags    []string
		conflict bool   // want ErrConflict
		wantErr  string // else want an error containing this
	}{
		{name: "union", frags: []string{frag(okPath, "    A: {type: string}\n"), frag("  /b:\n    get:\n      responses: {\"204\": {description: ok}}\n", "    B: {type: string}\n")}},
		{name: "identical component", frags: []string{frag(okPath, "    Problem: {type: object}\n")}},
		{name: "duplicate path", frags: []string{frag(okPath, ""), frag(okPath, "")}, conflict: true},
		{name: "conflicting component", frags: []string{frag(okPath, "    Problem: {type: string}\n")}, conflict: true},
		{name: "conflicting between fragments", frags: []string{frag(okPath, "    A: {type: string}\n"), frag("  /b: {}\n", "    A: {type: integer}\n")}, conflict: true},
		{name: "servers outside base", frags: []string{frag(okPath, "") + "servers: [{url: /}]\n"}, wantErr: "belongs in base.yaml"},
		{name: "no info", frags: []string{"openapi: 3.1.0\npaths: {}\n"}, wantErr: `missing "info"`},
		{name: "other version", frags: []string{strings.Replace(frag(okPath, ""), "3.1.0", "3.0.3", 1)}, wantErr: "openapi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []openapi.Fragment{{Name: openapi.BaseFragment, Data: []byte(baseFrag)}}
			for i, f := range tt.frags {
				fs = append(fs, openapi.Fragment{Name: string(rune('a'+i)) + ".yaml", Data: []byte(f)})
			}
			data, err := openapi.Merge(fs)
			switch {
			case tt.conflict:
				if !errors.Is(err, openapi.ErrConflict) {
					t.Fatalf("err = %v, want ErrConflict", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if _, err := openapi.Load(data); err != nil {
					t.Fatalf("merged document: %v\n%s", err, data)
				}
			}
		})
	}
}

// fragmentFor names the fragment that documents a function's routes.
func fragmentFor(function string) string {
	return "pkg/openapi/spec/" + strings.ToLower(strings.TrimSuffix(function, "Function")) + ".yaml"
}

// matches reports whether a route pattern (API Gateway / ServeMux syntax,
// where custom verbs hide in one {idverb} segment) serves a documented
// path: literal segments are equal, and a wildcard segment stands for a
// templated one such as {id} or {id}:approve, or a literal custom-verb
// segment such as webhook:rotate.
func matches(routePath, docPath string) bool {
	rs, ds := strings.Split(routePath, "/"), strings.Split(docPath, "/")
	if len(rs) != len(ds) {
		return false
	}
	for i := range rs {
		wild := strings.HasPrefix(rs[i], "{") && strings.HasSuffix(rs[i], "}")
		switch {
		case wild && !strings.HasPrefix(ds[i], "{") && !strings.Contains(ds[i], ":"):
			return false // a wildcard also serves a literal verb segment (webhook:rotate)
		case !wild && rs[i] != ds[i]:
			return false
		}
	}
	return true
}

func TestEveryRouteDocumented(t *testing.T) {
	v, err := openapi.Shared()
	if err != nil {
		t.Fatal(err)
	}
	all, err := routes.All(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		found := false
		for p, item := range v.Doc().Paths.Map() {
			if item.GetOperation(r.Method) != nil && matches(r.Path, p) {
				found = true
			}
		}
		if !found {
			t.Errorf("route %s %s (%s) has no operation in the OpenAPI document: describe it in %s (see pkg/openapi/README.md)",
				r.Method, r.Path, r.Function, fragmentFor(r.Function))
		}
	}
}

// The document describes nothing the route table lacks.
func TestEveryOperationIsARoute(t *testing.T) {
	v, err := openapi.Shared()
	if err != nil {
		t.Fatal(err)
	}
	all, err := routes.All(nil)
	if err != nil {
		t.Fatal(err)
	}
	var ghosts []string
	for p, item := range v.Doc().Paths.Map() {
		for method := range item.Operations() {
			found := false
			for _, r := range all {
				if r.Method == method && matches(r.Path, p) {
					found = true
				}
			}
			if !found {
				ghosts = append(ghosts, method+" "+p)
			}
		}
	}
	sort.Strings(ghosts)
	if len(ghosts) > 0 {
		t.Errorf("documented operations no route serves: %v", ghosts)
	}
}

func TestFindRoute(t *testing.T) {
	v, err := openapi.Shared()
	if err != nil {
		t.Fatal(err)
	}
	const base = "/v1/tenants/acme/participantAccessRequests"
	const id = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
	tests := []struct {
		method, path string
		wantPath     string // "" = not documented
		wantID       string
	}{
		{"GET", base, "/v1/tenants/{tenant}/participantAccessRequests", ""},
		{"GET", base + "/" + id, "/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}", id},
		{"GET", base + "/" + id + ":approve", "/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}", id + ":approve"},
		{"POST", base + "/" + id + ":approve", "/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}:approve", id},
		{"POST", base + "/" + id + ":reject", "/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}:reject", id},
		{"DELETE", base + "/" + id + ":block", "/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}:block", id},
		{"POST", base + "/" + id + ":explode", "", ""},
		{"POST", base + "/" + id, "", ""},
		{"PATCH", base + "/" + id, "", ""},
		{"GET", "/nowhere", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			route, params, ok := v.FindRoute(tt.method, tt.path)
			if tt.wantPath == "" {
				if ok {
					t.Fatalf("found %s, want none", route.Path)
				}
				return
			}
			if !ok || route.Path != tt.wantPath {
				t.Fatalf("found %v, want %s", route, tt.wantPath)
			}
			if params["tenant"] != "acme" || params["participantAccessRequest"] != tt.wantID {
				t.Errorf("params = %v", params)
			}
		})
	}
}

func TestCheckResponse(t *testing.T) {
	v, err := openapi.Shared()
	if err != nil {
		t.Fatal(err)
	}
	const id = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
	row := `{"id":"` + id + `","integrationConfigId":"` + id + `","provider":"SLACK","address":"U1","agentId":"a",
		"matchedParticipantId":null,"displayName":null,"conversationName":null,"status":"PENDING","processedBy":null,
		"processedAt":null,"processingNote":null,"approvedParticipantId":null,"createdAt":1,"modifiedAt":1}`
	problem := `{"type":"https://gatehouse.dev/problems/not-found","title":"Not Found","status":404,"detail":"x","instance":"/p","extra":1}`
	json, pj := "application/json", "application/problem+json"
	tests := []struct {
		name        string
		method, url string
		status      int
		ctype, body string
		wantChecked bool
		wantErr     bool
	}{
		{"row", "GET", "/v1/tenants/a/participantAccessRequests/" + id, 200, json, row, true, false},
		{"row with extra field", "GET", "/v1/tenants/a/participantAccessRequests/" + id, 200, json, strings.Replace(row, `"id"`, `"x":1,"id"`, 1), true, true},
		{"row missing a null field", "GET", "/v1/tenants/a/participantAccessRequests/" + id, 200, json, strings.Replace(row, `"processedBy":null,`, "", 1), true, true},
		{"id not a uuid", "GET", "/v1/tenants/a/participantAccessRequests/" + id, 200, json, strings.Replace(row, `"id":"`+id, `"id":"nope`, 1), true, true},
		{"null where a number is required", "GET", "/v1/tenants/a/participantAccessRequests/" + id, 200, json, strings.Replace(row, `"createdAt":1`, `"createdAt":null`, 1), true, true},
		{"status not an enum value", "GET", "/v1/tenants/a/participantAccessRequests/" + id, 200, json, strings.Replace(row, "PENDING", "MAYBE", 1), true, true},
		{"problem with extension", "GET", "/v1/tenants/a/participantAccessRequests/" + id, 404, pj, problem, true, false},
		{"problem as plain json", "GET", "/v1/tenants/a/participantAccessRequests/" + id, 404, json, problem, true, true},
		{"undocumented status", "GET", "/v1/tenants/a/participantAccessRequests/" + id, 418, pj, problem, true, true},
		{"no content", "DELETE", "/v1/tenants/a/participantAccessRequests/" + id + ":block", 204, "", "", true, false},
		{"body on 204", "DELETE", "/v1/tenants/a/participantAccessRequests/" + id + ":block", 204, json, "{}", true, true},
		{"undocumented operation", "GET", "/elsewhere", 200, "text/plain", "hi", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.url, nil)
			h := http.Header{}
			if tt.ctype != "" {
				h.Set("Content-Type", tt.ctype)
			}
			checked, err := v.CheckResponse(context.Background(), req, tt.status, h, []byte(tt.body))
			if checked != tt.wantChecked || (err != nil) != tt.wantErr {
				t.Fatalf("checked = %v, err = %v; want checked %v, error %v", checked, err, tt.wantChecked, tt.wantErr)
			}
		})
	}
}
