package blob_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/gatehouse/gatehouse/pkg/avatar"
	"github.com/gatehouse/gatehouse/pkg/blob"
	"github.com/gatehouse/gatehouse/pkg/testkit/s3kit"
)

func testImage(t *testing.T, w int) avatar.Image {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, 1))); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Bytes())
	return avatar.Image{Data: b.Bytes(), ContentType: "image/png", Ext: "png", SHA256: hex.EncodeToString(sum[:]), Width: w, Height: 1}
}

func TestPutAvatar(t *testing.T) {
	client, endpoint, bucket := s3kit.Start(t)
	store := blob.New(s3kit.Config(), endpoint, bucket)
	img := testImage(t, 3)

	key, err := store.PutAvatar(t.Context(), "tenant-1", "p-1", img)
	if err != nil {
		t.Fatalf("PutAvatar: %v", err)
	}
	if want := "avatars/tenant-1/p-1/" + img.SHA256 + ".png"; key != want {
		t.Errorf("key = %q, want %q", key, want)
	}
	obj, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject(%s): %v", key, err)
	}
	defer obj.Body.Close()
	data, _ := io.ReadAll(obj.Body)
	if !bytes.Equal(data, img.Data) {
		t.Errorf("stored %d bytes, want the %d-byte image", len(data), len(img.Data))
	}
	if got := aws.ToString(obj.ContentType); got != "image/png" {
		t.Errorf("ContentType = %q, want the sniffed image/png", got)
	}
	if obj.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("ServerSideEncryption = %q, want AES256", obj.ServerSideEncryption)
	}
}

func TestPutAvatarDedupes(t *testing.T) {
	client, endpoint, bucket := s3kit.Start(t)
	store := blob.New(s3kit.Config(), endpoint, bucket)
	img, other := testImage(t, 3), testImage(t, 4)

	tests := []struct {
		name      string
		img       avatar.Image
		wantCount int
	}{
		{"first image", img, 1},
		{"same image again", img, 1},
		{"different image", other, 2},
		{"first image a third time", img, 2},
	}
	for _, tt := range tests {
		if _, err := store.PutAvatar(t.Context(), "tenant-1", "p-1", tt.img); err != nil {
			t.Fatalf("%s: PutAvatar: %v", tt.name, err)
		}
		list, err := client.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("avatars/tenant-1/p-1/")})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(list.Contents); got != tt.wantCount {
			t.Errorf("%s: %d objects, want %d", tt.name, got, tt.wantCount)
		}
	}
}

func TestPresignGet(t *testing.T) {
	_, endpoint, bucket := s3kit.Start(t)
	store := blob.New(s3kit.Config(), endpoint, bucket)
	img := testImage(t, 5)
	key, err := store.PutAvatar(t.Context(), "tenant-1", "p-1", img)
	if err != nil {
		t.Fatal(err)
	}

	u, err := store.PresignGet(t.Context(), key, 5*time.Minute)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	resp, err := http.Get(u) // a browser's plain GET, no AWS credentials
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(data, img.Data) {
		t.Errorf("GET presigned URL = %d with %d bytes, want 200 with the %d-byte image", resp.StatusCode, len(data), len(img.Data))
	}
	if got := resp.Header.Get("Content-Type"); got != "image/png" {
		t.Errorf("Content-Type = %q, want image/png", got)
	}

	if _, err := store.PresignGet(t.Context(), "avatars/tenant-1/p-1/missing.png", time.Minute); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("PresignGet(missing) error = %v, want ErrNotFound", err)
	}
}

func TestPutAvatarRejects(t *testing.T) {
	client, endpoint, bucket := s3kit.Start(t)
	store := blob.New(s3kit.Config(), endpoint, bucket)
	good := testImage(t, 2)
	unsniffed := good
	unsniffed.ContentType = ""
	tests := []struct {
		name, tenant, participant string
		img                       avatar.Image
	}{
		{"no sniffed content type", "tenant-1", "p-1", unsniffed},
		{"participant climbing out", "tenant-1", "../tenant-2", good},
		{"tenant with a slash", "tenant-1/p-9", "p-1", good},
		{"empty tenant", "", "p-1", good},
		{"dot participant", "tenant-1", "..", good},
	}
	for _, tt := range tests {
		if key, err := store.PutAvatar(t.Context(), tt.tenant, tt.participant, tt.img); err == nil {
			t.Errorf("%s: PutAvatar stored %q, want an error", tt.name, key)
		}
	}
	list, err := client.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 0 {
		t.Errorf("%d objects stored by rejected calls, want 0", len(list.Contents))
	}
}

func TestServe(t *testing.T) {
	endpoint, shutdown, err := s3kit.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()
	client := s3kit.NewClient(endpoint)
	if err := s3kit.CreateBucket(t.Context(), client, "dev-avatars"); err != nil {
		t.Fatal(err)
	}
	key, err := blob.New(s3kit.Config(), endpoint, "dev-avatars").PutAvatar(t.Context(), "t", "p", testImage(t, 1))
	if err != nil {
		t.Fatalf("PutAvatar on Serve'd fake: %v", err)
	}
	if key == "" {
		t.Error("empty key")
	}
}

// Object URLs: the bucket's virtual-hosted AWS endpoint (path-style for
// dotted names and local endpoints), keys percent-encoded once.
func TestObjectURL(t *testing.T) {
	tests := []struct {
		name, region, endpoint, bucket, key, want string
	}{
		{"virtual-hosted", "eu-central-1", "", "gatehouse-avatarbucket-1x2y", "avatars/t/p/ab.png", "https://gatehouse-avatarbucket-1x2y.s3.eu-central-1.amazonaws.com/avatars/t/p/ab.png"},
		{"dotted bucket", "eu-central-1", "", "avatars.example.com", "avatars/t/p/ab.png", "https://s3.eu-central-1.amazonaws.com/avatars.example.com/avatars/t/p/ab.png"},
		{"china partition", "cn-north-1", "", "b", "k", "https://b.s3.cn-north-1.amazonaws.com.cn/k"},
		{"local endpoint", "us-east-1", "http://127.0.0.1:4569/", "dev-avatars", "avatars/t/p/ab.png", "http://127.0.0.1:4569/dev-avatars/avatars/t/p/ab.png"},
		{"escaped key", "eu-central-1", "", "b", "avatars/t a/p+1/ü:x.png", "https://b.s3.eu-central-1.amazonaws.com/avatars/t%20a/p%2B1/%C3%BC%3Ax.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := blob.New(aws.Config{Region: tt.region}, tt.endpoint, tt.bucket)
			got, err := blob.ObjectURL(s, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("URL = %q, want %q", got, tt.want)
			}
		})
	}
}
