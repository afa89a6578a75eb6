// Package s3kit runs an in-process S3 (gofakes3, in memory) for tests and
// the local dev server, and builds real aws-sdk-go-v2 clients pointed at it.
package s3kit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region and static credentials the fake accepts (it checks no signature).
const (
	Region          = "us-east-1"
	AccessKeyID     = "gatehouse-dev"
	SecretAccessKey = "gatehouse-dev-secret"
)

func handler() http.Handler {
	return gofakes3.New(s3mem.New()).Server()
}

// NewServer starts gofakes3 on an httptest server on 127.0.0.1. The caller
// closes it.
func NewServer() *httptest.Server {
	return httptest.NewServer(handler())
}

// Serve runs gofakes3 on addr (e.g. "127.0.0.1:4569"; port 0 picks one)
// until shutdown is called, and returns its endpoint URL.
func Serve(addr string) (endpoint string, shutdown func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("s3kit: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: handler()}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// NewClient returns an S3 client for the fake at endpoint: path-style
// addressing (no bucket subdomains on 127.0.0.1) and static credentials.
func NewClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
	})
}

// CreateBucket creates bucket on the fake.
func CreateBucket(ctx context.Context, client *s3.Client, bucket string) error {
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("s3kit: create bucket %s: %w", bucket, err)
	}
	return nil
}

// Start runs a fake S3 for the test, creates a fresh bucket and returns a
// client, the endpoint and the bucket's name. The server stops when the
// test ends.
func Start(t testing.TB) (client *s3.Client, endpoint, bucket string) {
	t.Helper()
	srv := NewServer()
	t.Cleanup(srv.Close)
	client = NewClient(srv.URL)
	b := make([]byte, 4)
	rand.Read(b)
	bucket = "avatars-" + hex.EncodeToString(b)
	if err := CreateBucket(context.Background(), client, bucket); err != nil {
		t.Fatal(err)
	}
	return client, srv.URL, bucket
}

// Config is an AWS config with the fake's region and credentials.
func Config() aws.Config {
	return aws.Config{Region: Region, Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")}
}
