package avatar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// telegramSource uses the Bot API. Every Bot API URL contains the bot token,
// so no error from here names a URL.
type telegramSource struct {
	apiURL string
	api    *http.Client
	dl     *downloader
}

type telegramResponse[T any] struct {
	OK          bool   `json:"ok"`
	Result      T      `json:"result"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
}

type telegramPhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int64  `json:"file_size"`
}

type telegramUserProfilePhotos struct {
	TotalCount int                   `json:"total_count"`
	Photos     [][]telegramPhotoSize `json:"photos"`
}

type telegramFile struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int64  `json:"file_size"`
	FilePath     string `json:"file_path"`
}

// Fetch takes the newest profile photo in its largest size.
func (s *telegramSource) Fetch(ctx context.Context, creds Credentials, address string) (Image, error) {
	token := creds.TelegramBotToken
	if token == "" {
		return Image{}, fmt.Errorf("%w: Telegram connector has no bot token", ErrOAuthNotConnected)
	}
	userID, err := strconv.ParseInt(strings.TrimSpace(address), 10, 64)
	if err != nil || userID <= 0 {
		// Groups and channels have negative ids or @names.
		return Image{}, fmt.Errorf("%w: %q is not a Telegram user id", ErrNoImage, address)
	}

	var photos telegramUserProfilePhotos
	q := url.Values{"user_id": {strconv.FormatInt(userID, 10)}, "limit": {"1"}}
	if err := s.call(ctx, token, "getUserProfilePhotos", q, &photos); err != nil {
		return Image{}, err
	}
	if len(photos.Photos) == 0 || len(photos.Photos[0]) == 0 {
		return Image{}, fmt.Errorf("%w: Telegram user %d shows no profile photo", ErrNoImage, userID)
	}
	largest := largestPhoto(photos.Photos[0])
	if largest.FileSize > s.dl.maxBytes {
		return Image{}, fmt.Errorf("%w: Telegram photo of %d bytes exceeds %d", ErrRefused, largest.FileSize, s.dl.maxBytes)
	}

	var file telegramFile
	if err := s.call(ctx, token, "getFile", url.Values{"file_id": {largest.FileID}}, &file); err != nil {
		return Image{}, err
	}
	path, ok := escapeFilePath(file.FilePath)
	if !ok {
		return Image{}, fmt.Errorf("avatar: Telegram getFile: unusable file_path")
	}
	img, status, err := s.dl.get(ctx, s.apiURL+"/file/bot"+token+"/"+path, nil)
	if err != nil {
		return Image{}, err
	}
	if status != http.StatusOK {
		return Image{}, fmt.Errorf("avatar: Telegram file download: status %d", status)
	}
	return img, nil
}

// largestPhoto picks the largest of one photo's sizes; of equal areas
// the last.
func largestPhoto(sizes []telegramPhotoSize) telegramPhotoSize {
	largest := sizes[0]
	for _, p := range sizes[1:] {
		if p.Width*p.Height >= largest.Width*largest.Height {
			largest = p
		}
	}
	return largest
}

// escapeFilePath escapes each segment of a getFile file_path; one that
// could leave the bot's file directory is refused.
func escapeFilePath(p string) (string, bool) {
	if p == "" || strings.Contains(p, "..") || strings.HasPrefix(p, "/") {
		return "", false
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/"), true
}

// call invokes a Bot API method with GET and decodes result into out.
func (s *telegramSource) call(ctx context.Context, token, method string, q url.Values, out any) error {
	u := s.apiURL + "/bot" + token + "/" + method + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("avatar: Telegram %s: bad API URL", method)
	}
	resp, err := s.api.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // drop the URL and its token
		}
		return fmt.Errorf("avatar: Telegram %s: %v", method, err)
	}
	defer resp.Body.Close()
	body := telegramResponse[json.RawMessage]{}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return fmt.Errorf("avatar: Telegram %s: status %d, undecodable body", method, resp.StatusCode)
	}
	if !body.OK {
		switch body.ErrorCode {
		case http.StatusUnauthorized, http.StatusNotFound:
			// The Bot API answers 404 "Not Found" for an unknown token.
			return fmt.Errorf("%w: Telegram %s: bot token rejected (%s)", ErrOAuthNotConnected, method, body.Description)
		case http.StatusBadRequest, http.StatusForbidden:
			if method != "getUserProfilePhotos" {
				break
			}
			// "user not found", or the bot may not see the user.
			return fmt.Errorf("%w: Telegram %s: %s", ErrNoImage, method, body.Description)
		}
		return fmt.Errorf("avatar: Telegram %s: %d %s", method, body.ErrorCode, body.Description)
	}
	if err := json.Unmarshal(body.Result, out); err != nil {
		return fmt.Errorf("avatar: Telegram %s: undecodable result: %v", method, err)
	}
	return nil
}
