package chatsend

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// validTelegramToken keeps a token from reshaping the request path: tokens
// look like "123456:AA-bb_CC".
func validTelegramToken(tok string) bool {
	for _, r := range tok {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ':' || r == '_' || r == '-') {
			return false
		}
	}
	return tok != ""
}

// sendTelegram calls the Bot API's sendMessage.
func (s *Sender) sendTelegram(ctx context.Context, creds Credentials, m Outbound) error {
	if !validTelegramToken(creds.TelegramBotToken) {
		return permanent(providerTelegram, "missing or malformed bot token")
	}
	// chat_id is "Integer or String"; numeric ids go as numbers, @channel names as strings.
	var chatID any = m.ReplyTo
	if n, err := strconv.ParseInt(m.ReplyTo, 10, 64); err == nil {
		chatID = n
	}
	req, err := newJSONRequest(ctx, s.cfg.TelegramAPIURL+"/bot"+creds.TelegramBotToken+"/sendMessage",
		map[string]any{"chat_id": chatID, "text": m.Text})
	if err != nil {
		return permanent(providerTelegram, "building request: "+err.Error())
	}
	r, err := s.do(req, providerTelegram)
	if err != nil {
		return err
	}
	var res struct {
		OK          bool   `json:"ok"`
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	_ = json.Unmarshal(r.body, &res) // a 5xx from a proxy may not be JSON
	if r.ok() && res.OK {
		return nil
	}
	e := statusError(providerTelegram, r, "", res.Description)
	if res.ErrorCode != 0 {
		e.Code = strconv.Itoa(res.ErrorCode)
	}
	if res.Parameters.RetryAfter > 0 {
		e.RetryAfter = time.Duration(res.Parameters.RetryAfter) * time.Second
	}
	if r.ok() { // 2xx with ok=false: trust error_code
		e.Permanent = permanentStatus(res.ErrorCode)
	}
	return e
}
