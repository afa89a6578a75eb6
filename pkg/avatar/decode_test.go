package avatar

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

func TestDecodeImage(t *testing.T) {
	tests := []struct {
		name     string
		data     []byte
		wantType string // "" = refused
	}{
		{"png", encodePNG(t, 3, 2), "image/png"},
		{"jpeg", encodeJPEG(t, 3, 2), "image/jpeg"},
		{"gif", encodeGIF(t, 3, 2), "image/gif"},
		{"webp", webp1x1(t), "image/webp"},
		{"png at the pixel bound", pngHeader(5000, 5000), "image/png"},
		{"png above the pixel bound", pngHeader(5000, 5001), ""},
		{"png of zero width", pngHeader(0, 10), ""},
		{"truncated png", encodePNG(t, 3, 2)[:12], ""},
		{"png signature, jpeg body", append([]byte("\x89PNG\r\n\x1a\n"), encodeJPEG(t, 2, 2)...), ""},
		{"html", []byte("<html><body>x</body></html>"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), ""},
		{"bmp", []byte("BM\x00\x00\x00\x00\x00\x00\x00\x00"), ""},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeImage(tt.data, DefaultMaxPixels)
			if tt.wantType == "" {
				if !errors.Is(err, ErrRefused) {
					t.Fatalf("decodeImage = %s, %v; want ErrRefused", got.ContentType, err)
				}
				return
			}
			if err != nil || got.ContentType != tt.wantType {
				t.Fatalf("decodeImage = %q, %v; want %s", got.ContentType, err, tt.wantType)
			}
		})
	}
}

func FuzzDecodeImage(f *testing.F) {
	f.Add(encodePNG(f, 3, 2))
	f.Add(encodeJPEG(f, 3, 2))
	f.Add(encodeGIF(f, 3, 2))
	f.Add(webp1x1(f))
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("<svg/>"))
	const maxPixels = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodeImage(data, maxPixels)
		if err != nil {
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("decodeImage error %v is not ErrRefused", err)
			}
			return
		}
		if _, ok := allowedImageTypes[img.ContentType]; !ok || allowedImageTypes[img.ContentType] != img.Ext {
			t.Fatalf("kept %s (.%s), not an allowed type", img.ContentType, img.Ext)
		}
		if img.Width <= 0 || img.Height <= 0 || img.Width*img.Height > maxPixels {
			t.Fatalf("kept %dx%d, outside the bound", img.Width, img.Height)
		}
		if sum := sha256.Sum256(data); img.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatal("SHA256 does not match the data")
		}
	})
}
