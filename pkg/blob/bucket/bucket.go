// Package bucket speaks S3's REST API for one bucket over net/http with
// the SDK's SigV4 signer (which every function links for DynamoDB
// already) instead of the S3 client, whose ~1 MiB did not justify the
// few calls made here. It knows nothing of what is stored: pkg/blob keeps
// avatars with it, pkg/shares documents, and a function that stores
// documents does not link the avatar code.
package bucket

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
)

// ErrNotFound: no object under the key.
var ErrNotFound = errors.New("blob: object not found")

// emptySHA256 is the payload hash of a request without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Bucket puts, heads, deletes and presigns objects of one bucket.
type Bucket struct {
	client *http.Client
	creds  aws.CredentialsProvider
	signer *v4.Signer
	region string
	base   string // URL of the bucket: https://{bucket}.s3.{region}.amazonaws.com or {endpoint}/{bucket}
	now    func() time.Time
}

// New returns a Bucket named bucket with awsCfg's region and credentials.
// An endpoint (a local S3) is addressed path-style; otherwise the
// bucket's virtual-hosted AWS endpoint is used (path-style for dotted
// names, which the wildcard certificate does not cover).
func New(awsCfg aws.Config, endpoint, bucket string) *Bucket {
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
	return &Bucket{client: &http.Client{Timeout: 30 * time.Second}, creds: awsCfg.Credentials,
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		region: awsCfg.Region, base: base, now: time.Now}
}

// ObjectURL is key's URL; every key byte outside S3's unreserved set is
// percent-encoded once, as SigV4 for S3 signs it.
func (b *Bucket) ObjectURL(key string) (*url.URL, error) {
	u, err := url.Parse(b.base)
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
func (b *Bucket) do(ctx context.Context, method, key string, body []byte, header http.Header) (*http.Response, error) {
	u, err := b.ObjectURL(key)
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
	creds, err := b.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("blob: credentials: %w", err)
	}
	if err := b.signer.SignHTTP(ctx, creds, req, hash, "s3", b.region, b.now()); err != nil {
		return nil, fmt.Errorf("blob: sign: %w", err)
	}
	return b.client.Do(req)
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

// Put stores data under key with header (Content-Type and such), always
// with SSE-S3.
func (b *Bucket) Put(ctx context.Context, key string, data []byte, header http.Header) error {
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("X-Amz-Server-Side-Encryption", "AES256")
	if data == nil {
		data = []byte{}
	}
	res, err := b.do(ctx, http.MethodPut, key, data, h)
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return s3Error("put", key, res)
	}
	return nil
}

// Delete removes key; a missing key counts as deleted (S3 answers 204
// either way).
func (b *Bucket) Delete(ctx context.Context, key string) error {
	res, err := b.do(ctx, http.MethodDelete, key, nil, nil)
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK, http.StatusNoContent, http.StatusNotFound:
		return nil
	}
	return s3Error("delete", key, res)
}

// PresignGet returns a GET URL for key valid for ttl, or ErrNotFound.
func (b *Bucket) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := b.Head(ctx, key); err != nil {
		return "", err
	}
	u, err := b.ObjectURL(key)
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
	creds, err := b.creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("blob: credentials: %w", err)
	}
	signed, _, err := b.signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", b.region, b.now())
	if err != nil {
		return "", fmt.Errorf("blob: presign %s: %w", key, err)
	}
	return signed, nil
}

// Head answers nil when key exists. A missing key is 404 only with
// s3:ListBucket on the bucket (403 without it, an error here).
func (b *Bucket) Head(ctx context.Context, key string) error {
	res, err := b.do(ctx, http.MethodHead, key, nil, nil)
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
