// Package blob stores avatar images in S3, named by content hash.
package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse/gatehouse/pkg/avatar"
)

// ErrNotFound: no object under the key.
var ErrNotFound = errors.New("blob: object not found")

// Store puts and presigns avatar objects in one bucket.
type Store struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
}

// New returns a Store on bucket.
func New(client *s3.Client, bucket string) *Store {
	return &Store{client: client, presign: s3.NewPresignClient(client), bucket: bucket}
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
	switch _, err := s.head(ctx, key); {
	case err == nil:
		return key, nil // same bytes already stored
	case !errors.Is(err, ErrNotFound):
		return "", err
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(s.bucket),
		Key:                  aws.String(key),
		Body:                 bytes.NewReader(img.Data),
		ContentLength:        aws.Int64(int64(len(img.Data))),
		ContentType:          aws.String(img.ContentType),
		ServerSideEncryption: types.ServerSideEncryptionAes256,
		CacheControl:         aws.String("private, max-age=31536000, immutable"),
	})
	if err != nil {
		return "", fmt.Errorf("blob: put %s: %w", key, err)
	}
	return key, nil
}

// PresignGet returns a GET URL for key valid for ttl, or ErrNotFound.
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if _, err := s.head(ctx, key); err != nil {
		return "", err
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("blob: presign %s: %w", key, err)
	}
	return req.URL, nil
}

func (s *Store) head(ctx context.Context, key string) (*s3.HeadObjectOutput, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return nil, fmt.Errorf("blob: head %s: %w", key, err)
	}
	return out, nil
}

// isNotFound recognises a missing object. HeadObject has no body, so S3
// reports it as the bare code "NotFound".
func isNotFound(err error) bool {
	var nf *types.NotFound
	var nk *types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nk) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey")
}
