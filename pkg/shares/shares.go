// Package shares serves the document-shares API: an organization registers
// document metadata, shares a document with an outside e-mail address
// (the recipient becomes a disabled Keycloak user waiting for an admin
// decision), and an admin of the same organization accepts or declines the
// recipient as a whole (seed 003).
//
// Routes (one Lambda, SharesFunction):
//
//	POST /v1/documents                                 register a document of the caller's organization
//	GET  /v1/documents/{documentId}                    read it (staff of the organization; recipients with an active grant)
//	POST /v1/shares/{fileId}                           share a document: {recipientEmail, assetId, message}
//	GET  /v1/shares/{organizationId}/pending-requests  recipients waiting for a decision, with their documents
//	GET  /v1/shares/state/{userId}                     public: the pending documents of a recipient
//	POST /v1/shares/{userId}/accept                    {marketplaceRole}: enable, UPDATE_PASSWORD, role, welcome e-mail
//	POST /v1/shares/{userId}/decline                   delete the Keycloak user, revoke, decline e-mail; 204
//
// In template.yaml (and the route table) the segment after /v1/shares/ is
// named {id} on every route: API Gateway refuses sibling path variables
// with different names. The state and pending-requests routes share one
// ServeMux registration (httpapi.Route.MuxPath).
//
// Callers are identified by the bearer token: the organization claim
// names their organization, realm_access.roles their roles (admin,
// producer-admin, producer-user, sales-agent, ...). Errors are the
// envelope {"errors":[{"errorCode","message","extension"}]}; see Render.
//
// Configuration: Config, read once by main (ConfigFromEnv). The e-mails
// it enqueues are delivered by pkg/mail/delivery in DispatcherFunction.
package shares

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

// Function is the Lambda (template.yaml logical id) serving these routes.
const Function = "SharesFunction"

// Realm roles.
var (
	// shareRoles may register and share documents.
	shareRoles = []string{"admin", "producer-admin", "producer-user", "sales-agent"}
	// decideRoles may list pending recipients and accept or decline them.
	decideRoles = []string{"admin", "producer-admin"}
	// staffRoles read the organization's documents.
	staffRoles = []string{"admin", "manufacturer-admin", "manufacturer-user", "producer-admin", "producer-user", "representative", "sales-agent"}
)

// MarketplaceRoles are the realm roles an accepted recipient may get.
var MarketplaceRoles = []string{"sweetconnect", "buyer", "seller", "technician"}

// Directory manages recipients in the identity provider (Keycloak; see
// pkg/keycloak for the semantics of each call).
type Directory interface {
	FindUserByEmail(ctx context.Context, email string) (keycloak.User, error)
	CreateDisabledUser(ctx context.Context, email, organizationID string) (string, error)
	EnableWithPasswordReset(ctx context.Context, id string) error
	AssignRealmRole(ctx context.Context, id, role string) error
	DeleteUser(ctx context.Context, id string) error
}

// Service handles the routes.
type Service struct {
	store *Store
	dir   Directory // nil when Keycloak is not configured
	log   *slog.Logger
	now   func() time.Time
	// StateBaseURL prefixes the state link of invitation e-mails; empty
	// means no link.
	StateBaseURL string
	// Lease bounds a decision claim: longer than a request can live, so
	// a claim only expires when its holder died.
	Lease time.Duration
	// Wait bounds how long a decision waits for another one in flight.
	Wait time.Duration
}

// New returns a Service. dir may be nil: the routes that need Keycloak
// then fail with 500.
func New(st *Store, dir Directory, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: st, dir: dir, log: log, now: time.Now, Lease: 30 * time.Second, Wait: 10 * time.Second}
}

// Config is the shares API's configuration.
type Config struct {
	// Keycloak is the admin client's; an empty BaseURL means no Keycloak
	// (the routes that need it answer 500).
	Keycloak keycloak.Config
	// StateBaseURL is optional: invitation e-mails link to
	// {StateBaseURL}/v1/shares/state/{userId}.
	StateBaseURL string
}

// ConfigFromEnv reads KEYCLOAK_URL, KEYCLOAK_REALM, KEYCLOAK_CLIENT_ID,
// KEYCLOAK_CLIENT_SECRET and SHARE_STATE_BASE_URL.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{Keycloak: keycloak.ConfigFromEnv(getenv), StateBaseURL: getenv("SHARE_STATE_BASE_URL")}
}

// FromPlatform builds the Service from p and cfg: the Keycloak client
// when configured (keycloak.New does not touch the network) and the
// state link.
func FromPlatform(p *platform.Platform, cfg Config) (*Service, error) {
	var dir Directory
	if cfg.Keycloak.BaseURL != "" {
		kc, err := keycloak.New(cfg.Keycloak)
		if err != nil {
			return nil, fmt.Errorf("shares: %w", err)
		}
		dir = kc
	}
	s := New(NewStore(p.Store), dir, p.Logger)
	s.StateBaseURL = strings.TrimSuffix(cfg.StateBaseURL, "/")
	return s, nil
}

// Routes builds the service from p and cfg and returns its routes; a nil
// p gives metadata-only routes.
func Routes(p *platform.Platform, cfg Config) ([]httpapi.Route, error) {
	if p == nil {
		return (*Service)(nil).Routes(), nil
	}
	s, err := FromPlatform(p, cfg)
	if err != nil {
		return nil, err
	}
	return s.Routes(), nil
}

// sharedGET is the one ServeMux registration of the two GET routes below
// /v1/shares/{id}/: ServeMux finds neither state/{userId} nor
// {id}/pending-requests more specific than the other.
const sharedGET = "/v1/shares/{id}/{part}"

// Routes returns the route table entries of this resource.
func (s *Service) Routes() []httpapi.Route {
	render := Render(s.logger())
	rt := func(method, path string, h httpapi.HandlerFunc) httpapi.Route {
		return httpapi.Route{Function: Function, Method: method, Path: path, Handle: h, Render: render}
	}
	state := rt(http.MethodGet, "/v1/shares/state/{userId}", s.state)
	state.Public, state.MuxPath = true, sharedGET
	pending := rt(http.MethodGet, "/v1/shares/{id}/pending-requests", s.pending)
	pending.MuxPath = sharedGET
	return []httpapi.Route{
		rt(http.MethodPost, "/v1/documents", s.createDocument),
		rt(http.MethodGet, "/v1/documents/{documentId}", s.getDocument),
		rt(http.MethodPost, "/v1/shares/{id}", s.invite),
		state, // before pending: /v1/shares/state/x is a state request
		pending,
		rt(http.MethodPost, "/v1/shares/{id}/accept", s.accept),
		rt(http.MethodPost, "/v1/shares/{id}/decline", s.decline),
	}
}

func (s *Service) logger() *slog.Logger {
	if s == nil || s.log == nil {
		return slog.Default()
	}
	return s.log
}

// caller returns the verified caller if they belong to an organization
// and hold one of roles.
func caller(r *http.Request, roles ...string) (auth.Principal, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return p, fail(CodeUnauthorized)
	}
	if !validOrg(p.Organization) || !p.HasRealmRole(roles...) {
		return p, fail(CodeNoPermission)
	}
	return p, nil
}

func (s *Service) directory() (Directory, error) {
	if s.dir == nil {
		return nil, failWith(fmt.Errorf("shares: Keycloak is not configured (KEYCLOAK_URL)"), CodeInternal)
	}
	return s.dir, nil
}

func (s *Service) nowMillis() int64 { return s.now().UnixMilli() }
