// Package blob stores avatar images in S3, named by content hash.
//
// It speaks S3's REST API over net/http with the SDK's SigV4 signer (which
// every function links for DynamoDB already) instead of the S3 client: the
// three calls it makes (PUT, HEAD, a presigned GET) did not justify the
// client's ~1 MiB, which put AvatarsFunction over the 10 MiB budget.
package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse/gatehouse/pkg/avatar"
)

// ErrNotFound: no object under the key.
var ErrNotFound = errors.New("blob: object not found")

// emptySHA256 is the payload hash of a request without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Store puts and presigns avatar objects in one bucket.
type Store struct {
	client *http.Client
	creds  aws.CredentialsProvider
	signer *v4.Signer
	region string
	base   string // URL of the bucket: https://{bucket}.s3.{region}.amazonaws.com or {endpoint}/{bucket}
	bucket string
	now    func() time.Time
}

// New returns a Store on bucket with awsCfg's region and credentials. An
// endpoint (a local S3) is addressed path-style; otherwise the bucket's
// virtual-hosted AWS endpoint is used (path-style for dotted names, which
// the wildcard certificate does not cover).
func New(awsCfg aws.Config, endpoint, bucket string) *Store {
	base := strings.TrimRight(endpoint, "/") + "/" + bucket
	if endpoint == "" {
		suffix := ".amazonaws.com"
		if strings.HasPrefix(awsCfg.Region, "cn-") {
			suffix = ".amazonaws.com.cn"
		}
		host := "s3." + awsCfg.Region + suffix
		base = "https://" + bucket + "." + host
		if strings.Contains(bucket, ".") {
			base = "https://" + host + "/" + bucket
		}
	}
	return &Store{client: &http.Client{Timeout: 30 * time.Second}, creds: awsCfg.Credentials,
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		region: awsCfg.Region, base: base, bucket: bucket, now: time.Now}
}

// objectURL is key's URL; every key byte outside S3's unreserved set is
// percent-encoded once, as SigV4 for S3 signs it.
func (s *Store) objectURL(key string) (*url.URL, error) {
	u, err := url.Parse(s.base)
	if err != nil {
		return nil, fmt.Errorf("blob: bucket URL: %w", err)
	}
	u.Path += "/" + key
	u.RawPath = escapePath(u.Path)
	return u, nil
}

func escapePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// do signs and sends one request; the body is hashed into the signature.
func (s *Store) do(ctx context.Context, method, key string, body []byte, header http.Header) (*http.Response, error) {
	u, err := s.objectURL(key)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body == nil {
		req.Body, req.GetBody = http.NoBody, nil
	}
	req.ContentLength = int64(len(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	hash := emptySHA256
	if body != nil {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("blob: credentials: %w", err)
	}
	if err := s.signer.SignHTTP(ctx, creds, req, hash, "s3", s.region, s.now()); err != nil {
		return nil, fmt.Errorf("blob: sign: %w", err)
	}
	return s.client.Do(req)
}

// s3Error reads S3's error code from an error response.
func s3Error(op, key string, res *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	code := http.StatusText(res.StatusCode)
	if _, rest, ok := strings.Cut(string(data), "<Code>"); ok {
		code, _, _ = strings.Cut(rest, "</Code>")
	}
	return fmt.Errorf("blob: %s %s: %d %s", op, key, res.StatusCode, code)
}

// AvatarKey is where PutAvatar stores img: the content hash names the object,
// so the same image is one object and no provider-chosen name reaches S3.
func AvatarKey(tenant, participantID string, img avatar.Image) string {
	return "avatars/" + tenant + "/" + participantID + "/" + img.SHA256 + "." + img.Ext
}

// validSegment keeps one caller-supplied key part from reaching into
// another tenant's or participant's prefix.
func validSegment(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\")
}

// PutAvatar stores img at avatars/{tenant}/{participant}/{sha256}.{ext}
// with its sniffed content type and SSE-S3, unless that object exists.
func (s *Store) PutAvatar(ctx context.Context, tenant, participantID string, img avatar.Image) (key string, err error) {
	if !validSegment(tenant) || !validSegment(participantID) || len(img.SHA256) != 64 || !validSegment(img.Ext) || img.ContentType == "" {
		return "", errors.New("blob: a tenant, a participant id and a sniffed image are required")
	}
	key = AvatarKey(tenant, participantID, img)
	switch err := s.head(ctx, key); {
	case err == nil:
		return key, nil // same bytes already stored
	case !errors.Is(err, ErrNotFound):
		return "", err
	}
	res, err := s.do(ctx, http.MethodPut, key, img.Data, http.Header{
		"Content-Type":                 {img.ContentType},
		"Cache-Control":                {"private, max-age=31536000, immutable"},
		"X-Amz-Server-Side-Encryption": {"AES256"},
	})
	if err != nil {
		return "", fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", s3Error("put", key, res)
	}
	return key, nil
}

// PresignGet returns a GET URL for key valid for ttl, or ErrNotFound.
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := s.head(ctx, key); err != nil {
		return "", err
	}
	u, err := s.objectURL(key)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(ttl.Seconds())))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("blob: credentials: %w", err)
	}
	signed, _, err := s.signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", s.region, s.now())
	if err != nil {
		return "", fmt.Errorf("blob: presign %s: %w", key, err)
	}
	return signed, nil
}

// head answers nil when key exists. A missing key is 404 only with
// s3:ListBucket on the bucket (403 without it, an error here).
func (s *Store) head(ctx context.Context, key string) error {
	res, err := s.do(ctx, http.MethodHead, key, nil, nil)
	if err != nil {
		return fmt.Errorf("blob: head %s: %w", key, err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return s3Error("head", key, res)
}
