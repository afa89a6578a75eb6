package issuerkit

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// pageData fills the sign-in page.
type pageData struct {
	Error     string // shown instead of the users when the request is unusable
	Notice    string // shown above the users
	SignedOut bool
	Action    string
	Hidden    [][2]string // the authorization request, posted back
	Users     []pageUser
}

type pageUser struct {
	Subject, Name, Email, TenantRoles, AgentRoles, Organization, RealmRoles, Note string
}

func (p *Provider) pageFor(a authRequest, notice string) pageData {
	d := pageData{Notice: notice, Action: p.prefix + "/authorize", Hidden: [][2]string{
		{"client_id", a.clientID}, {"redirect_uri", a.redirectURI}, {"response_type", "code"}, {"state", a.state},
		{"nonce", a.nonce}, {"scope", a.scope}, {"code_challenge", a.challenge}, {"code_challenge_method", "S256"},
	}}
	for _, u := range p.cfg.Users {
		c := u.Claims
		var tenants []string
		for t, role := range c.Tenants {
			tenants = append(tenants, t+": "+role)
		}
		slices.Sort(tenants)
		d.Users = append(d.Users, pageUser{
			Subject: c.Subject, Name: c.Name, Email: c.Email, TenantRoles: orNone(tenants), AgentRoles: orNone(u.AgentRoles),
			Organization: orNone([]string{c.Organization}), RealmRoles: orNone(c.RealmRoles), Note: u.Note,
		})
	}
	return d
}

func orNone(s []string) string {
	s = slices.DeleteFunc(slices.Clone(s), func(v string) bool { return v == "" })
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func (p *Provider) page(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	pageTemplate.Execute(w, d)
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .SignedOut}}Signed out{{else}}Sign in{{end}} · gatehouse dev issuer</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f5f5f4}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
ul{list-style:none;padding:0;display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr))}
li{background:#fff;border:1px solid #d6d3d1;border-radius:.5rem;padding:1rem}
h2{margin:0;font-size:1.15rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.15rem .75rem;margin:.75rem 0}
dt{color:#44403c;font-weight:600}dd{margin:0}
button{font:inherit;padding:.5rem 1rem;border:0;border-radius:.375rem;background:#1d4ed8;color:#fff;cursor:pointer;width:100%}
button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.error,.notice{border-left:4px solid #b91c1c;background:#fff;padding:.75rem 1rem}
.notice{border-color:#1d4ed8}
</style>
</head>
<body>
<main>
{{- if .SignedOut}}
<h1>Signed out</h1>
<p>The dev issuer has forgotten your session.</p>
{{- else if .Error}}
<h1>Sign-in request refused</h1>
<p class="error" role="alert">{{.Error}}</p>
{{- else}}
<h1>Sign in to gatehouse</h1>
<p>This is the dev issuer of <code>make dev</code>: there are no passwords. Pick a demo user; their roles come from the demo data.</p>
{{- with .Notice}}<p class="notice" role="alert">{{.}}</p>{{end}}
<form method="post" action="{{.Action}}">
{{- range .Hidden}}
<input type="hidden" name="{{index . 0}}" value="{{index . 1}}">
{{- end}}
<ul>
{{- range .Users}}
<li>
<h2>{{.Subject}}{{with .Name}} <small>({{.}})</small>{{end}}</h2>
<dl>
<dt>Tenant role</dt><dd>{{.TenantRoles}}</dd>
<dt>Agent roles</dt><dd>{{.AgentRoles}}</dd>
<dt>Organization</dt><dd>{{.Organization}}</dd>
<dt>Realm roles</dt><dd>{{.RealmRoles}}</dd>
{{- with .Email}}<dt>E-mail</dt><dd>{{.}}</dd>{{end}}
</dl>
{{- with .Note}}<p>{{.}}</p>{{end}}
<button type="submit" name="user" value="{{.Subject}}">Sign in as {{.Subject}}</button>
</li>
{{- end}}
</ul>
</form>
{{- end}}
</main>
</body>
</html>
`))
