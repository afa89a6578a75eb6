// Package blob stores avatar images in S3, named by content hash, through
// pkg/blob/bucket (SigV4 REST, no S3 client: the calls made here did not
// justify the client's ~1 MiB, which put AvatarsFunction over the 10 MiB
// budget).
package blob

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gatehouse/gatehouse/pkg/avatar"
	"github.com/gatehouse/gatehouse/pkg/blob/bucket"
)

// ErrNotFound: no object under the key.
var ErrNotFound = bucket.ErrNotFound

// Store puts and presigns avatar objects in one bucket.
type Store struct {
	b *bucket.Bucket
}

// New returns a Store on bucket with awsCfg's region and credentials (see
// bucket.New for the addressing).
func New(awsCfg aws.Config, endpoint, bucketName string) *Store {
	return &Store{b: bucket.New(awsCfg, endpoint, bucketName)}
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
	switch err := s.b.Head(ctx, key); {
	case err == nil:
		return key, nil // same bytes already stored
	case !errors.Is(err, ErrNotFound):
		return "", err
	}
	err = s.b.Put(ctx, key, img.Data, http.Header{
		"Content-Type":  {img.ContentType},
		"Cache-Control": {"private, max-age=31536000, immutable"},
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// PresignGet returns a GET URL for key valid for ttl, or ErrNotFound.
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return s.b.PresignGet(ctx, key, ttl)
}
