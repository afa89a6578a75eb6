// Package apikit runs the whole route table in process against a fresh
// DynamoDB Local table, with a dev issuer for tokens. Integration tests of
// every API package use it.
package apikit

import (
	"context"
	"time"

	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/openapi"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// Env is one isolated API under test.
type Env struct {
	Table    *dynamokit.Table
	Issuer   *issuerkit.Issuer
	Platform *platform.Platform
	// Deps are the routes' dependencies: Platform, the one connectors
	// repository and the configuration NewWith was given.
	Deps    *routes.Deps
	Handler http.Handler
	JWKS    *httptest.Server
	// OpenAPI checks every response of Do whose operation the document
	// (pkg/openapi) describes; a mismatch fails the test. Set it to nil
	// to skip the check (e.g. in a benchmark loop).
	OpenAPI *openapi.Validator
}

// New builds an Env serving routes.All with a zero configuration. Use
// NewWith to serve other routes or configure features.
func New(tb testing.TB) *Env {
	return NewWith(tb, routes.All, routes.Config{})
}

// NewWith builds an Env serving the routes build returns, with cfg as
// the features' configuration (stand-in URLs and such).
func NewWith(tb testing.TB, build func(d *routes.Deps) ([]httpapi.Route, error), cfg routes.Config) *Env {
	tb.Helper()
	return NewOn(tb, dynamokit.NewTable(tb), build, cfg)
}

// NewOn is NewWith on a given table (e.g. on a DynamoDB Local of the
// test's own, see dynamokit.NewTableAt).
func NewOn(tb testing.TB, tbl *dynamokit.Table, build func(d *routes.Deps) ([]httpapi.Route, error), cfg routes.Config) *Env {
	tb.Helper()
	iss, err := issuerkit.NewEphemeral()
	if err != nil {
		tb.Fatal(err)
	}
	jwks := httptest.NewServer(iss.JWKSHandler())
	tb.Cleanup(jwks.Close)
	awsCfg, _ := dynamokit.Config()
	// Share the table's counting client so tests can count calls.
	p, err := platform.New(platform.Config{Table: tbl.Name, DynamoDBEndpoint: tbl.Endpoint, JWTIssuer: issuerkit.DefaultIssuer, JWTAudience: issuerkit.DefaultAudience, JWKSURL: jwks.URL, PublicBaseURL: cfg.PublicBaseURL}, awsCfg)
	if err != nil {
		tb.Fatal(err)
	}
	p.DB, p.Store = tbl.DB, tbl.Store
	p.Authz = authz.New(authz.NewTableRoles(tbl.Store))
	v, err := openapi.Shared()
	if err != nil {
		tb.Fatalf("apikit: the OpenAPI document (pkg/openapi/spec) is broken: %v", err)
	}
	e := &Env{Table: tbl, Issuer: iss, Platform: p, Deps: routes.NewDeps(p, cfg), JWKS: jwks, OpenAPI: v}
	rs, err := build(e.Deps)
	if err != nil {
		tb.Fatal(err)
	}
	e.Handler = p.Handler(rs)
	return e
}

// Token mints a token for sub with the given tenant roles.
func (e *Env) Token(tb testing.TB, sub string, tenants map[string]string) string {
	tb.Helper()
	tok, err := e.Issuer.Mint(issuerkit.Claims{Subject: sub, Tenants: tenants})
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// Mint mints a token from explicit claims.
func (e *Env) Mint(tb testing.TB, c issuerkit.Claims) string {
	tb.Helper()
	tok, err := e.Issuer.Mint(c)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// Response is a recorded response.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends one request through the handler. An empty token sends none.
func (e *Env) Do(tb testing.TB, method, path, token, body string) Response {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(context.Background(), method, path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	if e.OpenAPI != nil {
		if _, err := e.OpenAPI.CheckResponse(context.Background(), req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			tb.Errorf("response disagrees with the OpenAPI document (pkg/openapi/spec): %v\nbody: %.2000s", err, rec.Body.String())
		}
	}
	return Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

// Seed helpers shared by API tests.

// SeedRequest writes a PENDING access request and returns it.
func (e *Env) SeedRequest(tb testing.TB, tenant string, ar accessrequests.AccessRequest) accessrequests.AccessRequest {
	tb.Helper()
	if ar.ID == "" {
		ar.ID = uuid.NewString()
	}
	if ar.IntegrationConfigID == "" {
		ar.IntegrationConfigID = uuid.NewString()
	}
	if ar.Provider == "" {
		ar.Provider = "SLACK"
	}
	if ar.Address == "" {
		ar.Address = "U" + strings.ToUpper(ar.ID[:8])
	}
	if ar.AgentID == "" {
		ar.AgentID = "agent-1"
	}
	if ar.CreatedAt == 0 {
		ar.CreatedAt = time.Now().UnixMilli()
	}
	ar.ModifiedAt = ar.CreatedAt
	ar.Status = accessrequests.StatusPending
	if err := accessrequests.NewRepo(e.Platform.Store).CreateAccessRequest(context.Background(), tenant, accessrequests.NewPendingRequest{Request: ar}); err != nil {
		tb.Fatal(err)
	}
	return ar
}

// SeedMember gives subject a role on agent (an ACTIVE collaborator).
func (e *Env) SeedMember(tb testing.TB, tenant, agent, subject, role string) {
	tb.Helper()
	g := collaborators.Grant{AgentID: agent, UserID: subject, Role: role, By: "seed", At: time.Now().UnixMilli()}
	if _, err := collaborators.NewRepo(e.Platform.Store).Grant(context.Background(), tenant, g); err != nil {
		tb.Fatal(err)
	}
}
