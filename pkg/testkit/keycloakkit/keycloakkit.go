// Package keycloakkit is an in-memory stand-in for the parts of Keycloak
// that package keycloak uses: the client-credentials token endpoint and the
// admin REST endpoints for users and realm roles. Tests use it, and the
// local dev server runs it on loopback when no Keycloak is configured.
//
// It follows Keycloak's wire format: 201 with a Location header on create,
// 404 for unknown users and roles, 409 on a duplicate username or e-mail,
// 401 without a bearer token it issued. Usernames and e-mails are stored
// lower-cased, as Keycloak does.
package keycloakkit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Default credentials of the service-account client; override the Server
// fields before the first request.
const (
	DefaultClientID     = "gatehouse"
	DefaultClientSecret = "gatehouse-dev-secret"
)

// DefaultRoles are the realm roles a new Server knows.
var DefaultRoles = []string{"sweetconnect", "buyer", "seller", "technician"}

// User is a user as the stand-in stores it.
type User struct {
	ID               string
	Username         string
	Email            string
	FirstName        string
	LastName         string
	Enabled          bool
	EmailVerified    bool
	RequiredActions  []string
	Attributes       map[string][]string
	RealmRoles       []string
	CreatedTimestamp int64
}

// Server is the stand-in. Configure the exported fields before Start or
// before mounting Handler.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port) once Start has run.
	URL string
	// ClientID and ClientSecret are the only credentials the token endpoint accepts.
	ClientID     string
	ClientSecret string
	// TokenTTL is the lifetime of issued tokens (expires_in).
	TokenTTL time.Duration

	realm string
	logf  func(format string, args ...any)
	mux   *http.ServeMux
	srv   *http.Server
	ln    net.Listener

	mu         sync.Mutex
	users      map[string]*User
	roles      map[string]string // name → id
	tokens     map[string]time.Time
	calls      []call
	failSkip   int
	failCount  int
	failStatus int
}

type call struct{ method, path string }

// NewServer returns a stand-in for realm that knows DefaultRoles. logf
// receives one line per request; nil discards them.
func NewServer(realm string, logf func(format string, args ...any)) *Server {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	s := &Server{
		ClientID:     DefaultClientID,
		ClientSecret: DefaultClientSecret,
		TokenTTL:     5 * time.Minute,
		realm:        realm,
		logf:         logf,
		users:        map[string]*User{},
		roles:        map[string]string{},
		tokens:       map[string]time.Time{},
	}
	for _, r := range DefaultRoles {
		s.AddRole(r)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /realms/{realm}/protocol/openid-connect/token", s.token)
	admin := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.adminOnly(h)) }
	admin("POST /admin/realms/{realm}/users", s.createUser)
	admin("GET /admin/realms/{realm}/users", s.listUsers)
	admin("GET /admin/realms/{realm}/users/{id}", s.getUser)
	admin("PUT /admin/realms/{realm}/users/{id}", s.updateUser)
	admin("DELETE /admin/realms/{realm}/users/{id}", s.deleteUser)
	admin("GET /admin/realms/{realm}/roles/{role}", s.getRole)
	admin("GET /admin/realms/{realm}/roles/{role}/users", s.roleUsers)
	admin("GET /admin/realms/{realm}/users/{id}/role-mappings/realm", s.listRoleMappings)
	admin("POST /admin/realms/{realm}/users/{id}/role-mappings/realm", s.addRoleMappings)
	s.mux = mux
	return s
}

// Handler serves the stand-in's endpoints, for mounting in another server.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Start listens on a free port of 127.0.0.1 and sets URL.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("keycloakkit: listen: %w", err)
	}
	s.ln = ln
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed on Close
	return nil
}

// Close stops a started server.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// AddRole makes a realm role known, as if an admin had created it.
func (s *Server) AddRole(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.roles[name]; !ok {
		s.roles[name] = uuid.NewString()
	}
}

// AddUser stores u as if it had been created through the API and returns
// its id (u.ID when set).
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u = clone(u)
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	u.Username = strings.ToLower(u.Username)
	u.Email = strings.ToLower(u.Email)
	if u.CreatedTimestamp == 0 {
		u.CreatedTimestamp = time.Now().UnixMilli()
	}
	s.users[u.ID] = &u
	return u.ID
}

// User returns a copy of the stored user.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return clone(*u), true
}

// Users returns copies of all stored users, ordered by username.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []User
	for _, u := range s.sortedUsers() {
		out = append(out, clone(*u))
	}
	return out
}

// FailNext makes the next n admin calls answer status without touching state.
func (s *Server) FailNext(n int, status int) { s.FailAfter(0, n, status) }

// FailAfter lets the next skip admin calls through, then fails n as
// FailNext does: a failure in the middle of an operation.
func (s *Server) FailAfter(skip, n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failSkip, s.failCount, s.failStatus = skip, n, status
}

// Failing returns what FailNext has left: calls still to fail and their status.
func (s *Server) Failing() (n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failCount, s.failStatus
}

// ExpireTokens invalidates every issued token, as a Keycloak restart or a
// revoked session would.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// Calls counts the requests received (token and admin, failed ones
// included) with the method and a path starting with pathPrefix. An empty
// method matches any method.
func (s *Server) Calls(method, pathPrefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if (method == "" || c.method == method) && strings.HasPrefix(c.path, pathPrefix) {
			n++
		}
	}
	return n
}

// TokenPath is the token endpoint path, for Calls.
func (s *Server) TokenPath() string {
	return "/realms/" + s.realm + "/protocol/openid-connect/token"
}

// UsersPath is the admin users collection path, for Calls.
func (s *Server) UsersPath() string { return "/admin/realms/" + s.realm + "/users" }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls = append(s.calls, call{r.Method, r.URL.Path})
	s.mu.Unlock()
	s.logf("keycloak stand-in: %s %s", r.Method, r.URL.RequestURI())
	s.mux.ServeHTTP(w, r)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("realm") != s.realm {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Realm does not exist"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.ClientID || secret != s.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"})
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	tok := hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(s.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":       tok,
		"expires_in":         int(s.TokenTTL / time.Second),
		"refresh_expires_in": 0,
		"token_type":         "Bearer",
		"not-before-policy":  0,
		"scope":              "profile email",
	})
}

// adminOnly checks the realm and the bearer token and applies FailNext.
func (s *Server) adminOnly(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("realm") != s.realm {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "Realm not found."})
			return
		}
		s.mu.Lock()
		if s.failSkip > 0 {
			s.failSkip--
		} else if s.failCount > 0 {
			s.failCount--
			status := s.failStatus
			s.mu.Unlock()
			writeJSON(w, status, map[string]string{"error": "unknown_error"})
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		exp, known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known || !time.Now().Before(exp) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "HTTP 401 Unauthorized"})
			return
		}
		h(w, r)
	})
}

// userRep is Keycloak's UserRepresentation; pointers tell "absent" from
// "zero" so PUT changes only the fields it carries.
type userRep struct {
	ID               *string              `json:"id,omitempty"`
	CreatedTimestamp *int64               `json:"createdTimestamp,omitempty"`
	Username         *string              `json:"username,omitempty"`
	Enabled          *bool                `json:"enabled,omitempty"`
	EmailVerified    *bool                `json:"emailVerified,omitempty"`
	FirstName        *string              `json:"firstName,omitempty"`
	LastName         *string              `json:"lastName,omitempty"`
	Email            *string              `json:"email,omitempty"`
	Attributes       *map[string][]string `json:"attributes,omitempty"`
	RequiredActions  *[]string            `json:"requiredActions,omitempty"`
}

type roleRep struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Composite   bool   `json:"composite"`
	ClientRole  bool   `json:"clientRole"`
	ContainerID string `json:"containerId"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var rep userRep
	if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
		writeError(w, http.StatusBadRequest, "unrecognized field or malformed JSON")
		return
	}
	if rep.Username == nil || *rep.Username == "" {
		writeError(w, http.StatusBadRequest, "error-user-attribute-required")
		return
	}
	u := User{ID: uuid.NewString(), CreatedTimestamp: time.Now().UnixMilli(), RequiredActions: []string{}}
	apply(&u, rep)
	s.mu.Lock()
	if msg := s.conflict(u, ""); msg != "" {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, msg)
		return
	}
	s.users[u.ID] = &u
	s.mu.Unlock()
	w.Header().Set("Location", "http://"+r.Host+s.UsersPath()+"/"+u.ID)
	w.WriteHeader(http.StatusCreated)
}

// conflict reports Keycloak's message when u's username or e-mail belongs
// to another user than self. Callers hold s.mu.
func (s *Server) conflict(u User, self string) string {
	for id, o := range s.users {
		if id == self {
			continue
		}
		if o.Username == u.Username {
			return "User exists with same username"
		}
		if u.Email != "" && o.Email == u.Email {
			return "User exists with same email"
		}
	}
	return ""
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	exact := q.Get("exact") == "true"
	match := func(field, want string) bool {
		if want == "" {
			return true
		}
		field, want = strings.ToLower(field), strings.ToLower(want)
		if exact {
			return field == want
		}
		return strings.Contains(field, want)
	}
	first, _ := strconv.Atoi(q.Get("first"))
	maxN, err := strconv.Atoi(q.Get("max"))
	if err != nil || maxN <= 0 {
		maxN = 100
	}
	search := strings.ToLower(strings.Trim(q.Get("search"), "*"))
	attrs := parseQ(q.Get("q"))
	s.mu.Lock()
	var out []map[string]any
	for _, u := range s.sortedUsers() {
		if !match(u.Email, q.Get("email")) || !match(u.Username, q.Get("username")) ||
			!match(u.FirstName, q.Get("firstName")) || !match(u.LastName, q.Get("lastName")) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(u.Username+" "+u.Email+" "+u.FirstName+" "+u.LastName), search) {
			continue
		}
		if e := q.Get("enabled"); e != "" && strconv.FormatBool(u.Enabled) != e {
			continue
		}
		if !hasAttributes(u, attrs) {
			continue
		}
		out = append(out, represent(u))
	}
	s.mu.Unlock()
	first = min(max(first, 0), len(out))
	out = out[first:min(first+maxN, len(out))]
	if out == nil {
		out = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, out)
}

// parseQ reads the q parameter, "key:value key2:value2": users whose
// attributes hold each value (Keycloak 15+).
func parseQ(q string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Fields(q) {
		if k, v, ok := strings.Cut(kv, ":"); ok {
			out[k] = v
		}
	}
	return out
}

func hasAttributes(u *User, want map[string]string) bool {
	for k, v := range want {
		if !slices.Contains(u.Attributes[k], v) {
			return false
		}
	}
	return true
}

// roleUsers lists a role's users in Keycloak's brief representation
// (no attributes), ordered by username.
func (s *Server) roleUsers(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("role")
	q := r.URL.Query()
	first, _ := strconv.Atoi(q.Get("first"))
	maxN, err := strconv.Atoi(q.Get("max"))
	if err != nil || maxN <= 0 {
		maxN = 100
	}
	s.mu.Lock()
	_, known := s.roles[name]
	var out []map[string]any
	for _, u := range s.sortedUsers() {
		if slices.Contains(u.RealmRoles, name) {
			rep := represent(u)
			delete(rep, "attributes")
			out = append(out, rep)
		}
	}
	s.mu.Unlock()
	if !known {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Could not find role"})
		return
	}
	first = min(max(first, 0), len(out))
	out = out[first:min(first+maxN, len(out))]
	if out == nil {
		out = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, out)
}

// sortedUsers orders users by username, as Keycloak lists them. Callers hold s.mu.
func (s *Server) sortedUsers() []*User {
	us := slices.Collect(maps.Values(s.users))
	slices.SortFunc(us, func(a, b *User) int { return strings.Compare(a.Username, b.Username) })
	return us
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u, ok := s.users[r.PathValue("id")]
	var rep map[string]any
	if ok {
		rep = represent(u)
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "User not found"})
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var rep userRep
	if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
		writeError(w, http.StatusBadRequest, "unrecognized field or malformed JSON")
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "User not found"})
		return
	}
	next := clone(*u)
	apply(&next, rep)
	next.ID, next.CreatedTimestamp = u.ID, u.CreatedTimestamp
	if msg := s.conflict(next, id); msg != "" {
		writeError(w, http.StatusConflict, msg)
		return
	}
	*u = next
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	_, ok := s.users[id]
	delete(s.users, id)
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "User not found"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("role")
	s.mu.Lock()
	id, ok := s.roles[name]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Could not find role"})
		return
	}
	writeJSON(w, http.StatusOK, roleRep{ID: id, Name: name, ContainerID: s.realm})
}

func (s *Server) listRoleMappings(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u, ok := s.users[r.PathValue("id")]
	var out []roleRep
	if ok {
		for _, name := range u.RealmRoles {
			out = append(out, roleRep{ID: s.roles[name], Name: name, ContainerID: s.realm})
		}
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "User not found"})
		return
	}
	if out == nil {
		out = []roleRep{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) addRoleMappings(w http.ResponseWriter, r *http.Request) {
	var reps []roleRep
	if err := json.NewDecoder(r.Body).Decode(&reps); err != nil {
		writeError(w, http.StatusBadRequest, "unrecognized field or malformed JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[r.PathValue("id")]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "User not found"})
		return
	}
	for _, rr := range reps {
		// Keycloak looks roles up by name and then insists the id matches.
		if id, ok := s.roles[rr.Name]; !ok || (rr.ID != "" && rr.ID != id) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "Role not found"})
			return
		}
	}
	for _, rr := range reps {
		if !slices.Contains(u.RealmRoles, rr.Name) {
			u.RealmRoles = append(u.RealmRoles, rr.Name)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// apply copies the fields present in rep onto u.
func apply(u *User, rep userRep) {
	if rep.Username != nil {
		u.Username = strings.ToLower(*rep.Username)
	}
	if rep.Email != nil {
		u.Email = strings.ToLower(*rep.Email)
	}
	if rep.FirstName != nil {
		u.FirstName = *rep.FirstName
	}
	if rep.LastName != nil {
		u.LastName = *rep.LastName
	}
	if rep.Enabled != nil {
		u.Enabled = *rep.Enabled
	}
	if rep.EmailVerified != nil {
		u.EmailVerified = *rep.EmailVerified
	}
	if rep.Attributes != nil {
		u.Attributes = clone(User{Attributes: *rep.Attributes}).Attributes
	}
	if rep.RequiredActions != nil {
		u.RequiredActions = slices.Clone(*rep.RequiredActions)
	}
}

func represent(u *User) map[string]any {
	m := map[string]any{
		"id":               u.ID,
		"createdTimestamp": u.CreatedTimestamp,
		"username":         u.Username,
		"enabled":          u.Enabled,
		"totp":             false,
		"emailVerified":    u.EmailVerified,
		"requiredActions":  nonNil(u.RequiredActions),
		"access":           map[string]bool{"manage": true},
	}
	for k, v := range map[string]string{"email": u.Email, "firstName": u.FirstName, "lastName": u.LastName} {
		if v != "" {
			m[k] = v
		}
	}
	if len(u.Attributes) > 0 {
		m["attributes"] = u.Attributes
	}
	return m
}

func clone(u User) User {
	u.RequiredActions = slices.Clone(u.RequiredActions)
	u.RealmRoles = slices.Clone(u.RealmRoles)
	if u.Attributes != nil {
		attrs := make(map[string][]string, len(u.Attributes))
		for k, v := range u.Attributes {
			attrs[k] = slices.Clone(v)
		}
		u.Attributes = attrs
	}
	return u
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"errorMessage": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write means the client went away
}
