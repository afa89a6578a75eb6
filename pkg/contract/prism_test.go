package contract_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/prismkit"
)

// prismed is the whole API behind Stoplight Prism, which checks each
// request and response against the OpenAPI document.
type prismed struct {
	*apikit.Env
	proxy *prismkit.Proxy
}

func newPrismed(t *testing.T) *prismed {
	e := apikit.New(t)
	srv := httptest.NewServer(e.Handler)
	t.Cleanup(srv.Close)
	return &prismed{Env: e, proxy: prismkit.Start(t, srv.URL)}
}

// do sends one request through Prism and fails t on any violation Prism
// reports, naming the request.
func (p *prismed) do(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, p.proxy.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	vs, err := prismkit.Violations(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("%s %s: Prism: %s at %v (%v)", method, path, v.Message, v.Location, v.Severity)
	}
	return res.StatusCode, string(b)
}

// Traffic of every family, checked by Prism against the OpenAPI document.
func TestPrismAccessRequests(t *testing.T) {
	p := newPrismed(t)
	const tenant = "acme"
	p.SeedMember(t, tenant, "agent-1", "carol", "EDITOR")
	carol := p.Token(t, "carol", map[string]string{tenant: "MEMBER"})
	a := p.SeedRequest(t, tenant, accessrequests.AccessRequest{DisplayName: "Fox"})
	b := p.SeedRequest(t, tenant, accessrequests.AccessRequest{})
	base := "/v1/tenants/" + tenant + "/participantAccessRequests"
	tests := []struct {
		method, path, body string
		want               int
	}{
		{"GET", base + "?agentId=agent-1&status=PENDING", "", 200},
		{"GET", base + "/" + a.ID, "", 200},
		{"POST", base + "/" + a.ID + ":reject", `{"note":"not now"}`, 200},
		{"POST", base + "/" + a.ID + ":reject", `{}`, 400},
		{"POST", base + "/" + b.ID + ":approve", `{"mode":"CREATE_NEW","displayName":"Mulder"}`, 200},
		{"GET", base + "/00000000-0000-4000-8000-000000000000", "", 404},
	}
	for _, tt := range tests {
		if got, body := p.do(t, tt.method, tt.path, carol, tt.body); got != tt.want {
			t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, got, body, tt.want)
		}
	}
}
