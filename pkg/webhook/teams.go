package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

const (
	// DefaultTeamsOpenIDMetadataURL is where Bot Framework publishes its jwks_uri.
	DefaultTeamsOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"

	botFrameworkIssuer = "https://api.botframework.com"
	teamsLeeway        = 5 * time.Minute
	// API Gateway gives a Lambda about 29 s; keyfunc's default is a minute.
	teamsFetchTimeout = 5 * time.Second
	maxAuthorization  = 8 << 10
	maxMetadataBytes  = 1 << 20
)

// TeamsConfig configures a TeamsVerifier.
type TeamsConfig struct {
	// OpenIDMetadataURL defaults to DefaultTeamsOpenIDMetadataURL.
	OpenIDMetadataURL string
	// HTTPClient fetches the metadata and the keys; defaults to a client
	// with a 5 s timeout.
	HTTPClient *http.Client
}

// TeamsVerifier checks the Bot Framework bearer token sent with each Teams
// activity. It is safe for concurrent use and meant to live as long as the
// process: the signing keys are fetched on first use and then refreshed
// hourly and on an unknown key id (rate limited) by keyfunc.
type TeamsVerifier struct {
	metadataURL string
	client      *http.Client

	mu   sync.Mutex
	keys keyfunc.Keyfunc // nil until the first successful fetch
	stop context.CancelFunc
}

// NewTeamsVerifier returns a verifier. It makes no network call: the keys are
// fetched by the first Verify, so a cold start stays cheap.
func NewTeamsVerifier(cfg TeamsConfig) *TeamsVerifier {
	v := &TeamsVerifier{metadataURL: cfg.OpenIDMetadataURL, client: cfg.HTTPClient}
	if v.metadataURL == "" {
		v.metadataURL = DefaultTeamsOpenIDMetadataURL
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: teamsFetchTimeout}
	}
	return v
}

// Close stops the background key refresh. Verify must not be called after.
func (v *TeamsVerifier) Close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stop != nil {
		v.stop()
	}
}

type teamsClaims struct {
	jwt.RegisteredClaims
	// Bot Framework names the claim "serviceurl"; encoding/json matches
	// keys case-insensitively, so "serviceUrl" is read too.
	ServiceURL string `json:"serviceurl"`
}

// Verify checks authorization ("Bearer <jwt>") for an activity addressed to
// the bot appID: RS256 only (alg=none and HS256 are refused), signed by a Bot
// Framework key, iss https://api.botframework.com, aud appID, exp present and
// within five minutes of leeway, and the serviceurl claim equal to the
// activity's serviceUrl. A bad token wraps ErrUnauthenticated; a failure to
// fetch the keys does not (answer 5xx so the Bot Framework retries).
//
// Not checked: the JWK "endorsements" list (which channels a key may sign for).
func (v *TeamsVerifier) Verify(ctx context.Context, authorization string, appID string, activityServiceURL string) error {
	if appID == "" {
		return fmt.Errorf("%w: teams app id not configured", ErrUnauthenticated)
	}
	if len(authorization) > maxAuthorization {
		return fmt.Errorf("%w: teams authorization header too long", ErrUnauthenticated)
	}
	scheme, token, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return fmt.Errorf("%w: teams bearer token missing", ErrUnauthenticated)
	}
	keys, err := v.keyfunc(ctx)
	if err != nil {
		return err
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(botFrameworkIssuer),
		jwt.WithAudience(appID),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(teamsLeeway),
	)
	var claims teamsClaims
	if _, err := p.ParseWithClaims(token, &claims, keys.KeyfuncCtx(ctx)); err != nil {
		return fmt.Errorf("%w: teams token: %v", ErrUnauthenticated, err)
	}
	if claims.ServiceURL == "" || claims.ServiceURL != activityServiceURL {
		return fmt.Errorf("%w: teams token serviceurl does not match the activity", ErrUnauthenticated)
	}
	return nil
}

// keyfunc returns the key set, fetching the OpenID metadata and the JWKS on
// first use. A failed fetch is not cached: the next call tries again.
func (v *TeamsVerifier) keyfunc(ctx context.Context) (keyfunc.Keyfunc, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil {
		return v.keys, nil
	}
	jwksURI, err := v.fetchJWKSURI(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: teams openid metadata: %w", err)
	}
	// The refresh goroutine outlives this request, so it gets its own
	// context, ended by Close.
	refreshCtx, stop := context.WithCancel(context.Background())
	store, err := jwkset.NewStorageFromHTTP(jwksURI, jwkset.HTTPClientStorageOptions{
		Client:          v.client,
		Ctx:             refreshCtx,
		HTTPTimeout:     teamsFetchTimeout,
		RefreshInterval: time.Hour,
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("webhook: teams jwks: %w", err)
	}
	client, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs:          map[string]jwkset.Storage{jwksURI: store},
		RateLimitWaitMax:  teamsFetchTimeout,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(5*time.Minute), 1),
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("webhook: teams jwks: %w", err)
	}
	keys, err := keyfunc.New(keyfunc.Options{Ctx: refreshCtx, Storage: client})
	if err != nil {
		stop()
		return nil, fmt.Errorf("webhook: teams keyfunc: %w", err)
	}
	v.keys, v.stop = keys, stop
	return keys, nil
}

func (v *TeamsVerifier) fetchJWKSURI(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, teamsFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.metadataURL, nil)
	if err != nil {
		return "", err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadataBytes)).Decode(&meta); err != nil {
		return "", err
	}
	if meta.JWKSURI == "" {
		return "", errors.New("no jwks_uri")
	}
	return meta.JWKSURI, nil
}

type teamsActivity struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	ServiceURL string `json:"serviceUrl"`
	From       struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		AADObjectID string `json:"aadObjectId"`
	} `json:"from"`
	Conversation struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"conversation"`
	Text string `json:"text"`
}

// TeamsServiceURL returns an activity's serviceUrl, which Verify needs before
// the activity is trusted (and which ignored activity types also carry).
func TeamsServiceURL(body []byte) (string, error) {
	var a struct {
		ServiceURL string `json:"serviceUrl"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return "", fmt.Errorf("%w: teams: %v", ErrMalformed, err)
	}
	return a.ServiceURL, nil
}

// ParseTeams parses a Bot Framework activity. A "message" activity from a
// user yields one Message: activity id as EventID and MessageID, the sender's
// AAD object id as address, the conversation id as reply target and the
// serviceUrl to reply through. Other activity types (conversationUpdate,
// typing, invoke...) and senders without an AAD object id (bots, other
// channels) are ignored.
func ParseTeams(body []byte) (Result, error) {
	var a teamsActivity
	if err := json.Unmarshal(body, &a); err != nil {
		return Result{}, fmt.Errorf("%w: teams: %v", ErrMalformed, err)
	}
	if a.Type == "" {
		return Result{}, fmt.Errorf("%w: teams activity without type", ErrMalformed)
	}
	if a.Type != "message" || a.From.AADObjectID == "" {
		return ignored(), nil
	}
	if a.ID == "" || a.Conversation.ID == "" || a.ServiceURL == "" {
		return Result{}, fmt.Errorf("%w: teams message without id, conversation or serviceUrl", ErrMalformed)
	}
	return Result{Messages: []Message{{
		Provider:         ProviderTeams,
		EventID:          a.ID,
		SenderAddress:    a.From.AADObjectID,
		DisplayName:      a.From.Name,
		ConversationID:   a.Conversation.ID,
		ConversationName: a.Conversation.Name,
		Text:             a.Text,
		MessageID:        a.ID,
		ServiceURL:       a.ServiceURL,
		ReplyTo:          a.Conversation.ID,
	}}}, nil
}
