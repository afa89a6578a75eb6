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

// TelegramReply is a Bot API answer: ok, its description and the raw body.
type TelegramReply struct {
	OK          bool
	Description string
	Raw         string
}

// TelegramWebhookInfo is getWebhookInfo's WebhookInfo.
type TelegramWebhookInfo struct {
	URL                string `json:"url"`
	PendingUpdateCount int    `json:"pending_update_count"`
	LastErrorDate      int64  `json:"last_error_date"` // Unix seconds; 0 when none
	LastErrorMessage   string `json:"last_error_message"`
}

// SetTelegramWebhook calls setWebhook with url and the secret_token
// Telegram will send back in X-Telegram-Bot-Api-Secret-Token. A refusal
// (ok=false) is a reply, not an error; err is a transport failure or an
// answer that is not the Bot API's.
func (s *Sender) SetTelegramWebhook(ctx context.Context, botToken, url, secretToken string) (TelegramReply, error) {
	var res struct {
		OK          bool   `json:"ok"`
		Description string `json:"description"`
	}
	raw, err := s.telegramCall(ctx, botToken, "setWebhook", map[string]any{"url": url, "secret_token": secretToken}, &res)
	if err != nil {
		return TelegramReply{}, err
	}
	return TelegramReply{OK: res.OK, Description: res.Description, Raw: raw}, nil
}

// TelegramWebhookInfo calls getWebhookInfo. A refusal (ok=false) is an
// *Error carrying Telegram's description.
func (s *Sender) TelegramWebhookInfo(ctx context.Context, botToken string) (TelegramWebhookInfo, error) {
	var res struct {
		OK          bool                `json:"ok"`
		ErrorCode   int                 `json:"error_code"`
		Description string              `json:"description"`
		Result      TelegramWebhookInfo `json:"result"`
	}
	if _, err := s.telegramCall(ctx, botToken, "getWebhookInfo", map[string]any{}, &res); err != nil {
		return TelegramWebhookInfo{}, err
	}
	if !res.OK {
		return TelegramWebhookInfo{}, &Error{Provider: providerTelegram, Code: strconv.Itoa(res.ErrorCode), Detail: res.Description, Permanent: permanentStatus(res.ErrorCode)}
	}
	return res.Result, nil
}

// telegramCall posts a Bot API method and decodes its JSON answer into
// out, whatever the status (the Bot API answers errors in the same
// envelope); the raw body is returned for display.
func (s *Sender) telegramCall(ctx context.Context, botToken, method string, params any, out any) (string, error) {
	if !validTelegramToken(botToken) {
		return "", permanent(providerTelegram, "missing or malformed bot token")
	}
	req, err := newJSONRequest(ctx, s.cfg.TelegramAPIURL+"/bot"+botToken+"/"+method, params)
	if err != nil {
		return "", permanent(providerTelegram, "building request: "+err.Error())
	}
	r, err := s.do(req, providerTelegram)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		return "", statusError(providerTelegram, r, "", "the answer is not Bot API JSON")
	}
	return string(r.body), nil
}
