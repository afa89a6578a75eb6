// Package shares serves SweetConnect's share-documents and documents APIs
// (seed 003 and the docs collected in CONTRACT.md §6): an organization
// uploads documents for its assets (multipart, into S3), shares one with an
// outside e-mail address (a new recipient becomes a disabled Keycloak user
// who first registers, then waits for an admin decision), and an admin of
// the same organization accepts or declines the recipient as a whole.
//
// Routes (one Lambda, SharesFunction):
//
//	POST   /v1/documents/assets/zip/{assetId}          upload a document (multipart) of an asset
//	GET    /v1/documents?assetId=…                     the documents of assets (page, limit, sort, filter)
//	GET    /v1/documents/{fileId}                      one document (staff; recipients with an active grant)
//	PATCH  /v1/documents/{fileId}                      change metadata or replace the file (multipart)
//	DELETE /v1/documents/{fileId}                      delete an unshared document
//	POST   /v1/shares/{fileId}                         share a document: {recipientEmail, assetId, message}
//	GET    /v1/shares/check-recipient/{email}          does the address have an account, in which status
//	GET    /v1/shares/{organizationId}/pending-requests recipients waiting for a decision, with their shares
//	GET    /v1/shares/state/{userId}                   public: the pending documents of a recipient
//	GET    /v1/shares/state/{userId}/{shareId}         public: where one share stands
//	POST   /v1/shares/complete-profile/{userId}        public: {firstname, lastname, language}: the registration step
//	POST   /v1/shares/{userId}/accept                  {marketplaceRole}: enable, UPDATE_PASSWORD, role, two e-mails
//	POST   /v1/shares/{userId}/decline                 delete the Keycloak user, revoke, decline e-mail
//	GET    /v1/shares/{organizationId}/audit-events    the organization's audit trail (extension; JSON Lines export)
//	GET    /v1/shares/{organizationId}/settings        the organization's settings (extension): recipientExpiryDays
//	PUT    /v1/shares/{organizationId}/settings        {"recipientExpiryDays": 0..3650 | null}
//
// In template.yaml (and the route table) the segment after /v1/shares/ is
// named {id} on every route: API Gateway refuses sibling path variables
// with different names. The GET and POST routes below /v1/shares/{id}/
// share one ServeMux registration each (httpapi.Route.MuxPath).
//
// Callers are identified by the bearer token: the organization claim
// names their organization, realm_access.roles their roles (admin,
// producer-admin, producer-user, sales-agent, ...). Success bodies are
// {"data": …}, errors {"errors":[{"errorCode","message","extension"}]};
// see Render.
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
	"github.com/gatehouse/gatehouse/pkg/blob/bucket"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/keycloak"
	"github.com/gatehouse/gatehouse/pkg/platform"
)

// Function is the Lambda (template.yaml logical id) serving these routes.
const Function = "SharesFunction"

// Realm roles, as the docs give them per route.
var (
	// shareRoles may share documents.
	shareRoles = []string{"admin", "producer-admin", "producer-user", "sales-agent"}
	// checkRoles may check a recipient address.
	checkRoles = []string{"admin", "producer-admin", "producer-user"}
	// decideRoles may list pending recipients and accept or decline them.
	decideRoles = []string{"admin", "producer-admin"}
	// documentRoles upload, list, change and delete the organization's documents.
	documentRoles = []string{"admin", "manufacturer-admin", "manufacturer-user", "producer-admin", "producer-user"}
	// staffRoles read one document of the organization (GET
	// /v1/documents/{fileId}): the document roles and those who share.
	staffRoles = []string{"admin", "manufacturer-admin", "manufacturer-user", "producer-admin", "producer-user", "representative", "sales-agent"}
	// adminRoles get the e-mail of a completed registration.
	adminRoles = []string{"admin", "producer-admin"}
)

// MarketplaceRoles are the realm roles an accepted recipient may get.
var MarketplaceRoles = []string{"sweetconnect", "buyer", "seller", "technician"}

// Directory manages recipients in the identity provider (Keycloak; see
// pkg/keycloak for the semantics of each call).
type Directory interface {
	FindUserByEmail(ctx context.Context, email string) (keycloak.User, error)
	CreateDisabledUser(ctx context.Context, email, organizationID string) (string, error)
	EnableWithPasswordReset(ctx context.Context, id string) error
	CompleteProfile(ctx context.Context, id, firstName, lastName, locale string) error
	OrganizationUsersInRoles(ctx context.Context, organizationID string, roles ...string) ([]keycloak.User, error)
	AssignRealmRole(ctx context.Context, id, role string) error
	DeleteUser(ctx context.Context, id string) error
}

// Service handles the routes.
type Service struct {
	store *Store
	dir   Directory      // nil when Keycloak is not configured
	files *bucket.Bucket // document content; nil when no bucket is configured
	log   *slog.Logger
	now   func() time.Time
	// StateBaseURL prefixes the state link of invitation e-mails; empty
	// means no link.
	StateBaseURL string
	// SupportEmail gets the e-mail of a completed registration when the
	// organization has no admin in Keycloak; empty means the senders of
	// the recipient's shares get it.
	SupportEmail string
	// Lease bounds a decision claim: longer than a request can live, so
	// a claim only expires when its holder died.
	Lease time.Duration
	// Wait bounds how long a decision waits for another one in flight.
	Wait time.Duration
}

// New returns a Service. dir may be nil: the routes that need Keycloak
// then fail with 500.
func New(st *Store, dir Directory, files *bucket.Bucket, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: st, dir: dir, files: files, log: log, now: time.Now, Lease: 30 * time.Second, Wait: 10 * time.Second}
}

// Config is the shares API's configuration.
type Config struct {
	// Keycloak is the admin client's; an empty BaseURL means no Keycloak
	// (the routes that need it answer 500).
	Keycloak keycloak.Config
	// StateBaseURL is optional: invitation e-mails link to
	// {StateBaseURL}/v1/shares/state/{userId}/{shareId}.
	StateBaseURL string
	// SupportEmail is optional (see Service.SupportEmail).
	SupportEmail string
	// DocumentBucket holds the uploaded documents; empty means uploads
	// answer 500. S3Endpoint is a local S3 (dev, tests); empty means AWS.
	DocumentBucket string
	S3Endpoint     string
}

// ConfigFromEnv reads KEYCLOAK_URL, KEYCLOAK_REALM, KEYCLOAK_CLIENT_ID,
// KEYCLOAK_CLIENT_SECRET, SHARE_STATE_BASE_URL, SHARE_SUPPORT_EMAIL,
// DOCUMENT_BUCKET and S3_ENDPOINT.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{Keycloak: keycloak.ConfigFromEnv(getenv), StateBaseURL: getenv("SHARE_STATE_BASE_URL"),
		SupportEmail: getenv("SHARE_SUPPORT_EMAIL"), DocumentBucket: getenv("DOCUMENT_BUCKET"), S3Endpoint: getenv("S3_ENDPOINT")}
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
	var files *bucket.Bucket
	if cfg.DocumentBucket != "" {
		files = bucket.New(p.AWS, cfg.S3Endpoint, cfg.DocumentBucket)
	}
	s := New(NewStore(p.Store), dir, files, p.Logger)
	s.StateBaseURL = strings.TrimSuffix(cfg.StateBaseURL, "/")
	s.SupportEmail = cfg.SupportEmail
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

// sharedPath is the one ServeMux registration per method of the routes
// below /v1/shares/{id}/: ServeMux finds neither state/{userId} nor
// {id}/pending-requests (or complete-profile/{userId} nor {id}/accept)
// more specific than the other.
const sharedPath = "/v1/shares/{id}/{part}"

// maxUpload bounds a multipart upload: API Gateway hands Lambda a binary
// body base64-encoded within Lambda's 6 MB request limit.
const maxUpload = 4 << 20

// Routes returns the route table entries of this resource.
func (s *Service) Routes() []httpapi.Route {
	render, renderDocs := Render(s.logger()), RenderDocuments(s.logger())
	rt := func(method, path string, h httpapi.HandlerFunc) httpapi.Route {
		return httpapi.Route{Function: Function, Method: method, Path: path, Handle: h, Render: render}
	}
	doc := func(method, path string, h httpapi.HandlerFunc) httpapi.Route {
		r := rt(method, path, h)
		r.Render = renderDocs
		return r
	}
	multipart := func(r httpapi.Route) httpapi.Route {
		r.Consumes, r.MaxBody = "multipart/form-data", maxUpload
		return r
	}
	shared := func(r httpapi.Route) httpapi.Route {
		r.MuxPath = sharedPath
		return r
	}
	public := func(r httpapi.Route) httpapi.Route {
		r.Public = true
		return r
	}
	return []httpapi.Route{
		multipart(doc(http.MethodPost, "/v1/documents/assets/zip/{assetId}", s.uploadDocument)),
		doc(http.MethodGet, "/v1/documents", s.listDocuments),
		doc(http.MethodGet, "/v1/documents/{fileId}", s.getDocument),
		multipart(doc(http.MethodPatch, "/v1/documents/{fileId}", s.patchDocument)),
		doc(http.MethodDelete, "/v1/documents/{fileId}", s.deleteDocument),
		rt(http.MethodPost, "/v1/shares/{id}", s.invite),
		// In table order: the literal first segments before {id}.
		public(shared(rt(http.MethodGet, "/v1/shares/state/{userId}", s.state))),
		shared(rt(http.MethodGet, "/v1/shares/check-recipient/{email}", s.checkRecipient)),
		shared(rt(http.MethodGet, "/v1/shares/{id}/pending-requests", s.pending)),
		shared(rt(http.MethodGet, "/v1/shares/{id}/audit-events", s.auditEvents)),
		shared(rt(http.MethodGet, "/v1/shares/{id}/settings", s.getSettings)),
		rt(http.MethodPut, "/v1/shares/{id}/settings", s.putSettings),
		public(rt(http.MethodGet, "/v1/shares/state/{userId}/{shareId}", s.shareState)),
		public(shared(rt(http.MethodPost, "/v1/shares/complete-profile/{userId}", s.completeProfile))),
		shared(rt(http.MethodPost, "/v1/shares/{id}/accept", s.accept)),
		shared(rt(http.MethodPost, "/v1/shares/{id}/decline", s.decline)),
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
