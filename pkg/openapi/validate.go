package openapi

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Validator checks responses against the merged document with kin-openapi.
// It is safe for concurrent use.
type Validator struct {
	doc   *openapi3.T
	paths []pathTemplate
	opts  *openapi3filter.Options
}

type pathTemplate struct {
	path    string
	item    *openapi3.PathItem
	re      *regexp.Regexp
	names   []string
	literal int // characters outside {...}: more is more specific
}

var sharedValidator = sync.OnceValues(func() (*Validator, error) {
	data, err := Document()
	if err != nil {
		return nil, err
	}
	return NewValidator(data)
})

// Shared returns a Validator of the embedded document, built once.
func Shared() (*Validator, error) { return sharedValidator() }

// Load parses and validates a document with kin-openapi.
func Load(data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapi: load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi: invalid document: %w", err)
	}
	return doc, nil
}

var templateVar = regexp.MustCompile(`\{([^{}]+)\}`)

// NewValidator builds a Validator of the document data.
//
// It routes requests itself rather than with kin-openapi's routers, which
// cannot match custom-verb paths such as /things/{id}:approve: a template
// becomes a regexp ({name} matches one path segment, or part of one) and
// the most specific template that has the method wins, so POST
// /x/1:approve finds /x/{id}:approve while GET /x/1:approve finds /x/{id}.
func NewValidator(data []byte) (*Validator, error) {
	doc, err := Load(data)
	if err != nil {
		return nil, err
	}
	v := &Validator{doc: doc, opts: &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
		},
	}}
	for p, item := range doc.Paths.Map() {
		t := pathTemplate{path: p, item: item}
		var re strings.Builder
		re.WriteString("^")
		last := 0
		for _, m := range templateVar.FindAllStringSubmatchIndex(p, -1) {
			re.WriteString(regexp.QuoteMeta(p[last:m[0]]))
			t.literal += m[0] - last
			re.WriteString("([^/]+)")
			t.names = append(t.names, p[m[2]:m[3]])
			last = m[1]
		}
		re.WriteString(regexp.QuoteMeta(p[last:]))
		t.literal += len(p) - last
		re.WriteString("$")
		if t.re, err = regexp.Compile(re.String()); err != nil {
			return nil, fmt.Errorf("openapi: path %s: %w", p, err)
		}
		v.paths = append(v.paths, t)
	}
	sort.Slice(v.paths, func(i, j int) bool {
		a, b := v.paths[i], v.paths[j]
		if a.literal != b.literal {
			return a.literal > b.literal
		}
		return a.path < b.path
	})
	return v, nil
}

// Doc returns the parsed document.
func (v *Validator) Doc() *openapi3.T { return v.doc }

// FindRoute returns the documented operation serving method and the
// (unescaped) URL path, with its path parameters; ok is false when the
// document has none.
func (v *Validator) FindRoute(method, urlPath string) (route *routers.Route, params map[string]string, ok bool) {
	for _, t := range v.paths { // most specific first
		op := t.item.GetOperation(method)
		if op == nil {
			continue
		}
		m := t.re.FindStringSubmatch(urlPath)
		if m == nil {
			continue
		}
		params = make(map[string]string, len(t.names))
		for i, n := range t.names {
			params[n] = m[i+1]
		}
		return &routers.Route{Spec: v.doc, Path: t.path, PathItem: t.item, Method: method, Operation: op}, params, true
	}
	return nil, nil, false
}

// CheckResponse validates one response to req: its status must be
// documented, and its content type, headers and body must match. checked
// is false (and err nil) when the document has no operation for req.
func (v *Validator) CheckResponse(ctx context.Context, req *http.Request, status int, header http.Header, body []byte) (checked bool, err error) {
	route, params, ok := v.FindRoute(req.Method, req.URL.Path)
	if !ok {
		return false, nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                v.opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return true, fmt.Errorf("%s %s (operation %s %s) answered %d: %w", req.Method, req.URL.Path, route.Method, route.Path, status, err)
	}
	// kin-openapi accepts any body when the response documents no content.
	if resp := route.Operation.Responses.Status(status); resp != nil && resp.Value != nil && len(resp.Value.Content) == 0 && len(body) > 0 {
		ct, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
		return true, fmt.Errorf("%s %s (operation %s %s) answered %d with a %q body the document does not describe", req.Method, req.URL.Path, route.Method, route.Path, status, ct)
	}
	return true, nil
}
