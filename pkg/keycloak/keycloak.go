// Package keycloak manages share recipients in Keycloak through its admin
// REST API, authenticated as the service account of a confidential client
// (OAuth 2.0 client-credentials grant).
//
// The service account needs the realm-management client roles manage-users,
// view-users and query-users. The realm must keep the "organization" user
// attribute: declare it in the realm's user profile or allow unmanaged
// attributes (Keycloak 24+ drops undeclared attributes silently otherwise).
//
// Environment (see ConfigFromEnv):
//
//	KEYCLOAK_URL            base URL, e.g. https://sso.example.com (add /auth for Keycloak < 17)
//	KEYCLOAK_REALM          realm holding the recipients and the service client
//	KEYCLOAK_CLIENT_ID      confidential client with service accounts enabled
//	KEYCLOAK_CLIENT_SECRET  its secret
package keycloak

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Nerzal/gocloak/v13"
)

// Sentinel errors; callers test them with errors.Is.
var (
	// ErrNotFound means the user (or, for AssignRealmRole, the role) does not exist.
	ErrNotFound = errors.New("keycloak: not found")
	// ErrConflict means a user with the same username or e-mail already exists.
	ErrConflict = errors.New("keycloak: conflict")
	// ErrUnavailable means Keycloak could not be reached or answered 5xx;
	// nothing is known to have changed and the call may be retried.
	ErrUnavailable = errors.New("keycloak: unavailable")
)

// OrganizationAttribute is the user attribute that carries the organization id.
const OrganizationAttribute = "organization"

const (
	defaultTimeout = 10 * time.Second
	// tokenLeeway renews the service-account token this long before it
	// expires, so a request never leaves with a token about to die in flight.
	tokenLeeway = 30 * time.Second
)

// Config locates Keycloak and the service-account client.
type Config struct {
	BaseURL      string
	Realm        string
	ClientID     string
	ClientSecret string
	// Timeout bounds each HTTP request; zero means 10s.
	Timeout time.Duration
}

// ConfigFromEnv reads KEYCLOAK_URL, KEYCLOAK_REALM, KEYCLOAK_CLIENT_ID and
// KEYCLOAK_CLIENT_SECRET through getenv (os.Getenv in production).
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		BaseURL:      getenv("KEYCLOAK_URL"),
		Realm:        getenv("KEYCLOAK_REALM"),
		ClientID:     getenv("KEYCLOAK_CLIENT_ID"),
		ClientSecret: getenv("KEYCLOAK_CLIENT_SECRET"),
	}
}

// User is the part of a Keycloak user the shares flow needs.
type User struct {
	ID           string
	Email        string
	FirstName    string
	LastName     string
	Organization string
	Locale       string
	Enabled      bool
}

// Client calls the Keycloak admin REST API. It is safe for concurrent use.
type Client struct {
	gc     func() *gocloak.GoCloak // built on first use: not at Lambda init
	cfg    Config
	now    func() time.Time // replaced in tests
	tokens tokenCache
}

type tokenCache struct {
	// lock is a one-slot semaphore rather than a sync.Mutex so that a
	// caller waiting for another caller's token fetch still honours its ctx.
	lock    chan struct{}
	mu      sync.Mutex // guards token and expires
	token   string
	expires time.Time
}

// New returns a client for cfg. It does not touch the network.
func New(cfg Config) (*Client, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"BaseURL", cfg.BaseURL}, {"Realm", cfg.Realm},
		{"ClientID", cfg.ClientID}, {"ClientSecret", cfg.ClientSecret},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("keycloak: config lacks %s", strings.Join(missing, ", "))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	gc := sync.OnceValue(func() *gocloak.GoCloak {
		gc := gocloak.NewClient(cfg.BaseURL)
		gc.RestyClient().SetTimeout(cfg.Timeout)
		return gc
	})
	return &Client{
		gc:     gc,
		cfg:    cfg,
		now:    time.Now,
		tokens: tokenCache{lock: make(chan struct{}, 1)},
	}, nil
}

// CreateDisabledUser creates a disabled user whose username and e-mail are
// email and whose organization attribute is organizationID. It returns
// ErrConflict when the username or e-mail is taken.
func (c *Client) CreateDisabledUser(ctx context.Context, email, organizationID string) (string, error) {
	u := gocloak.User{
		Username:   gocloak.StringP(email),
		Email:      gocloak.StringP(email),
		Enabled:    gocloak.BoolP(false),
		Attributes: &map[string][]string{OrganizationAttribute: {organizationID}},
	}
	var id string
	err := c.do(ctx, "create user", func(token string) error {
		var err error
		id, err = c.gc().CreateUser(ctx, token, c.cfg.Realm, u)
		return err
	})
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("keycloak: create user: no id in Location header")
	}
	return id, nil
}

// FindUserByEmail returns the user whose e-mail is exactly email (Keycloak
// stores e-mails lower-cased, so the match ignores case) or ErrNotFound.
func (c *Client) FindUserByEmail(ctx context.Context, email string) (User, error) {
	params := gocloak.GetUsersParams{
		Email: gocloak.StringP(email),
		Exact: gocloak.BoolP(true),
	}
	var found []*gocloak.User
	err := c.do(ctx, "find user by email", func(token string) error {
		var err error
		found, err = c.gc().GetUsers(ctx, token, c.cfg.Realm, params)
		return err
	})
	if err != nil {
		return User{}, err
	}
	// Older Keycloak versions ignore exact=true; filter again.
	for _, u := range found {
		if strings.EqualFold(gocloak.PString(u.Email), email) {
			return fromGocloak(u), nil
		}
	}
	return User{}, fmt.Errorf("keycloak: user with e-mail %q: %w", email, ErrNotFound)
}

// GetUser returns the user with the given id or ErrNotFound.
func (c *Client) GetUser(ctx context.Context, id string) (User, error) {
	u, err := c.getUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	return fromGocloak(u), nil
}

func (c *Client) getUser(ctx context.Context, id string) (*gocloak.User, error) {
	if !validSegment(id) {
		return nil, fmt.Errorf("keycloak: get user: invalid id %q: %w", id, ErrNotFound)
	}
	var u *gocloak.User
	err := c.do(ctx, "get user", func(token string) error {
		var err error
		u, err = c.gc().GetUserByID(ctx, token, c.cfg.Realm, id)
		return err
	})
	return u, err
}

// EnableWithPasswordReset enables the user and makes them choose a password
// at their first sign-in.
func (c *Client) EnableWithPasswordReset(ctx context.Context, id string) error {
	// PUT the whole representation back: since the declarative user profile
	// (Keycloak 24), a partial PUT can clear e-mail, names and attributes.
	u, err := c.getUser(ctx, id)
	if err != nil {
		return err
	}
	u.Enabled = gocloak.BoolP(true)
	actions := []string{"UPDATE_PASSWORD"}
	if u.RequiredActions != nil {
		for _, a := range *u.RequiredActions {
			if a != "UPDATE_PASSWORD" {
				actions = append(actions, a)
			}
		}
	}
	u.RequiredActions = &actions
	return c.do(ctx, "enable user", func(token string) error {
		return c.gc().UpdateUser(ctx, token, c.cfg.Realm, *u)
	})
}

// LocaleAttribute is the user attribute Keycloak keeps a user's language in.
const LocaleAttribute = "locale"

// CompleteProfile enables the user and sets their names and language
// (locale attribute), the registration step of a share recipient.
func (c *Client) CompleteProfile(ctx context.Context, id, firstName, lastName, locale string) error {
	u, err := c.getUser(ctx, id)
	if err != nil {
		return err
	}
	u.Enabled = gocloak.BoolP(true)
	u.FirstName, u.LastName = gocloak.StringP(firstName), gocloak.StringP(lastName)
	attrs := map[string][]string{}
	if u.Attributes != nil {
		attrs = *u.Attributes
	}
	attrs[LocaleAttribute] = []string{locale}
	u.Attributes = &attrs
	return c.do(ctx, "complete profile", func(token string) error {
		return c.gc().UpdateUser(ctx, token, c.cfg.Realm, *u)
	})
}

// maxRoleMembers bounds the users read per role: notifications go to the
// first ones Keycloak lists.
const maxRoleMembers = 100

// OrganizationUsersInRoles returns the enabled users of organizationID
// that hold one of the realm roles, at most maxRoleMembers per role. Two
// kinds of reads are joined because Keycloak lists a role's users without
// their attributes, and users by attribute without their roles.
func (c *Client) OrganizationUsersInRoles(ctx context.Context, organizationID string, roles ...string) ([]User, error) {
	inRole := map[string]bool{}
	for _, role := range roles {
		if !validSegment(role) {
			return nil, fmt.Errorf("keycloak: role %q: invalid name", role)
		}
		var found []*gocloak.User
		err := c.do(ctx, "users in role "+role, func(token string) error {
			var err error
			found, err = c.gc().GetUsersByRoleName(ctx, token, c.cfg.Realm, role, gocloak.GetUsersByRoleParams{First: gocloak.IntP(0), Max: gocloak.IntP(maxRoleMembers)})
			return err
		})
		if errors.Is(err, ErrNotFound) {
			continue // the realm lacks the role: nobody holds it
		}
		if err != nil {
			return nil, err
		}
		for _, u := range found {
			inRole[gocloak.PString(u.ID)] = true
		}
	}
	if len(inRole) == 0 {
		return nil, nil
	}
	var members []*gocloak.User
	err := c.do(ctx, "users of organization", func(token string) error {
		var err error
		members, err = c.gc().GetUsers(ctx, token, c.cfg.Realm, gocloak.GetUsersParams{
			Q: gocloak.StringP(OrganizationAttribute + ":" + organizationID), Enabled: gocloak.BoolP(true),
			First: gocloak.IntP(0), Max: gocloak.IntP(maxRoleMembers),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []User
	for _, m := range members {
		u := fromGocloak(m)
		// Filter again: older Keycloak versions ignore q and enabled.
		if inRole[u.ID] && u.Enabled && u.Organization == organizationID {
			out = append(out, u)
		}
	}
	return out, nil
}

// AssignRealmRole grants the realm role to the user. Assigning a role the
// user already has is not an error. ErrNotFound means the user or the role
// does not exist.
func (c *Client) AssignRealmRole(ctx context.Context, id, role string) error {
	if !validSegment(id) || !validSegment(role) {
		return fmt.Errorf("keycloak: assign realm role %q to %q: invalid name: %w", role, id, ErrNotFound)
	}
	var r *gocloak.Role
	err := c.do(ctx, "get realm role "+role, func(token string) error {
		var err error
		r, err = c.gc().GetRealmRole(ctx, token, c.cfg.Realm, role)
		return err
	})
	if err != nil {
		return err
	}
	return c.do(ctx, "assign realm role "+role, func(token string) error {
		return c.gc().AddRealmRoleToUser(ctx, token, c.cfg.Realm, id, []gocloak.Role{*r})
	})
}

// DeleteUser deletes the user. A user that is already gone counts as
// deleted, so a retried decline converges.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	// Not ErrNotFound: a malformed id must not pass for "already deleted".
	if !validSegment(id) {
		return fmt.Errorf("keycloak: delete user: invalid id %q", id)
	}
	err := c.do(ctx, "delete user", func(token string) error {
		return c.gc().DeleteUser(ctx, token, c.cfg.Realm, id)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// do runs call with a service-account token, renewing the token and
// retrying once when Keycloak answers 401 (revoked or expired early).
func (c *Client) do(ctx context.Context, op string, call func(token string) error) error {
	token, err := c.token(ctx)
	if err != nil {
		return err
	}
	err = call(token)
	if statusOf(err) == 401 {
		c.dropToken(token)
		if token, err = c.token(ctx); err != nil {
			return err
		}
		err = call(token)
	}
	return c.classify(ctx, op, err)
}

// token returns a cached service-account token, fetching a new one when
// none is cached or the cached one is about to expire.
func (c *Client) token(ctx context.Context) (string, error) {
	if t, ok := c.cachedToken(); ok {
		return t, nil
	}
	select {
	case c.tokens.lock <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("keycloak: token: %w", ctx.Err())
	}
	defer func() { <-c.tokens.lock }()
	// Another caller may have fetched it while we waited.
	if t, ok := c.cachedToken(); ok {
		return t, nil
	}
	jwt, err := c.gc().LoginClient(ctx, c.cfg.ClientID, c.cfg.ClientSecret, c.cfg.Realm)
	if err != nil {
		return "", c.classify(ctx, "token", err)
	}
	if jwt.AccessToken == "" {
		return "", fmt.Errorf("keycloak: token: empty access_token")
	}
	lifetime := time.Duration(jwt.ExpiresIn) * time.Second
	leeway := min(tokenLeeway, lifetime/2)
	c.tokens.mu.Lock()
	c.tokens.token = jwt.AccessToken
	c.tokens.expires = c.now().Add(lifetime - leeway)
	c.tokens.mu.Unlock()
	return jwt.AccessToken, nil
}

func (c *Client) cachedToken() (string, bool) {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	if c.tokens.token == "" || !c.now().Before(c.tokens.expires) {
		return "", false
	}
	return c.tokens.token, true
}

// dropToken forgets token unless another caller has already replaced it.
func (c *Client) dropToken(token string) {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	if c.tokens.token == token {
		c.tokens.token = ""
	}
}

// classify turns a gocloak error into one of the sentinels, wrapped once
// with the operation and Keycloak's message.
func (c *Client) classify(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("keycloak: %s: %w", op, ctxErr)
	}
	status := statusOf(err)
	switch {
	case status == 404:
		return fmt.Errorf("keycloak: %s: %w (%v)", op, ErrNotFound, err)
	case status == 409:
		return fmt.Errorf("keycloak: %s: %w (%v)", op, ErrConflict, err)
	case status == 0 || status >= 500:
		// Status 0 is gocloak's code for a transport error.
		return fmt.Errorf("keycloak: %s: %w (%v)", op, ErrUnavailable, err)
	default:
		return fmt.Errorf("keycloak: %s: %v", op, err)
	}
}

// statusOf returns the HTTP status of a gocloak error, 0 for transport
// errors and -1 for errors that did not come from gocloak's HTTP layer.
func statusOf(err error) int {
	if err == nil {
		return -1
	}
	var apiErr *gocloak.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return -1
}

// validSegment reports whether s can be put into a URL path as one
// segment: gocloak joins ids and role names into paths without escaping,
// so "../" or "?" would reach another endpoint.
func validSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == 0x7f || strings.ContainsRune("/\\?#%", r)
	})
}

func fromGocloak(u *gocloak.User) User {
	out := User{
		ID:        gocloak.PString(u.ID),
		Email:     gocloak.PString(u.Email),
		FirstName: gocloak.PString(u.FirstName),
		LastName:  gocloak.PString(u.LastName),
		Enabled:   gocloak.PBool(u.Enabled),
	}
	if u.Attributes != nil {
		if v := (*u.Attributes)[OrganizationAttribute]; len(v) > 0 {
			out.Organization = v[0]
		}
		if v := (*u.Attributes)[LocaleAttribute]; len(v) > 0 {
			out.Locale = v[0]
		}
	}
	return out
}
