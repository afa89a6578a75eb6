// Package platform builds what every Lambda shares from its environment:
// the AWS config, the table, the authorizer and the token verifier. It
// makes no network call and reads no file, so cold starts stay cheap.
// Features have their own typed Config, read once by main.
package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/auth"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Config is read from the environment.
//
//	TABLE_NAME         DynamoDB table (required)
//	JWT_ISSUER         expected iss of bearer tokens (required)
//	JWT_AUDIENCE       expected aud (default "gatehouse")
//	JWKS_URL           issuer's JWKS (required)
//	DYNAMODB_ENDPOINT  override, for DynamoDB Local
//	PUBLIC_BASE_URL    optional public base URL (else each request's; httpapi.PublicBaseURL)
//	AWS_REGION         as usual (Lambda sets it)
type Config struct {
	Table            string
	JWTIssuer        string
	JWTAudience      string
	JWKSURL          string
	DynamoDBEndpoint string
	// PublicBaseURL, when set, is the base of every URL the API shows or
	// checks (webhook URLs, Twilio signatures, the OAuth redirect);
	// empty means each request's own (httpapi.PublicBaseURL).
	PublicBaseURL string
	// AuditRetention is how long audit entries are kept
	// (AUDIT_RETENTION_DAYS, default 400).
	AuditRetention time.Duration
}

// ConfigFromEnv reads Config.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Table:            getenv("TABLE_NAME"),
		JWTIssuer:        getenv("JWT_ISSUER"),
		JWTAudience:      getenv("JWT_AUDIENCE"),
		JWKSURL:          getenv("JWKS_URL"),
		DynamoDBEndpoint: getenv("DYNAMODB_ENDPOINT"),
		PublicBaseURL:    getenv("PUBLIC_BASE_URL"),
		AuditRetention:   400 * 24 * time.Hour,
	}
	if v := getenv("AUDIT_RETENTION_DAYS"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 || days > 3650 {
			return c, fmt.Errorf("platform: AUDIT_RETENTION_DAYS must be a number of days from 1 to 3650, got %q", v)
		}
		c.AuditRetention = time.Duration(days) * 24 * time.Hour
	}
	if c.JWTAudience == "" {
		c.JWTAudience = "gatehouse"
	}
	var missing []error
	for name, v := range map[string]string{"TABLE_NAME": c.Table, "JWT_ISSUER": c.JWTIssuer, "JWKS_URL": c.JWKSURL} {
		if v == "" {
			missing = append(missing, fmt.Errorf("%s is not set", name))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return c, fmt.Errorf("platform: %w", err)
	}
	return c, nil
}

// Platform holds the shared clients.
type Platform struct {
	Config   Config
	AWS      aws.Config
	DB       *dynamo.DB
	Store    *store.Store
	Authz    *authz.Authorizer
	Verifier *auth.Verifier
	Logger   *slog.Logger
}

// FromEnv builds a Platform from the process environment.
func FromEnv(ctx context.Context) (*Platform, error) {
	c, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	return New(c, AWSConfigFromEnv(os.Getenv))
}

// AWSConfigFromEnv builds the AWS config from the variables Lambda sets
// (AWS_REGION and the execution role's AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, valid for the life of the
// execution environment). Unlike config.LoadDefaultConfig it links no
// STS/SSO/IMDS clients and reads no file, which keeps every function
// binary small and its init cheap.
func AWSConfigFromEnv(getenv func(string) string) aws.Config {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	return aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))),
		HTTPClient: awshttp.NewBuildableClient(),
		Retryer:    Retryer,
	}
}

// Retryer is the SDK's standard retryer that also retries DynamoDB
// TransactionConflict (concurrent transactions on one item: copies of one
// webhook, racing operators), with waits of at most 200 ms: the default
// backoff (a random wait of up to 1 s, then 2 s, 4 s) held a conflicting
// webhook longer than the work itself and than Slack waits (3 s). No
// client-side retry quota: conflicts under load would exhaust it and turn
// retryable conflicts into errors.
func Retryer() aws.Retryer {
	return retry.NewStandard(dynamo.RetryTxConflicts, func(o *retry.StandardOptions) {
		o.MaxAttempts = 10
		o.MaxBackoff = 200 * time.Millisecond
		o.RateLimiter = ratelimit.None
	})
}

// New builds a Platform from explicit configuration.
func New(c Config, awsCfg aws.Config) (*Platform, error) {
	v, err := auth.NewVerifier(auth.Config{Issuer: c.JWTIssuer, Audience: c.JWTAudience, JWKSURL: c.JWKSURL,
		Leeway: 30 * time.Second, HTTPTimeout: 3 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("platform: %w", err)
	}
	db := dynamo.New(awsCfg, DynamoDBEndpoint(c.DynamoDBEndpoint))
	st := store.New(db, c.Table)
	return &Platform{
		Config: c, AWS: awsCfg, DB: db, Store: st, Authz: authz.New(authz.NewTableRoles(st)), Verifier: v,
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil)),
	}, nil
}

// Handler serves routes with this platform's authentication.
func (p *Platform) Handler(routes []httpapi.Route) http.Handler {
	s := &httpapi.Server{Auth: p.Verifier, Logger: p.Logger, PublicBase: p.Config.PublicBaseURL, AuditRetention: p.Config.AuditRetention}
	return s.Handler(routes)
}

// DynamoDBEndpoint points a DynamoDB (or DynamoDB Streams) client at
// endpoint when it is set. The endpoint is applied per client, never to
// the shared aws.Config, so S3, SES and EventBridge keep their own.
func DynamoDBEndpoint(endpoint string) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}
}
