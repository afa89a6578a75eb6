package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// TelegramSecretHeader carries the secret_token given to setWebhook.
const TelegramSecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// VerifyTelegram checks the X-Telegram-Bot-Api-Secret-Token header against
// the secret_token the bot registered with setWebhook. Telegram signs nothing
// else, so a connector without a secret token is refused.
func VerifyTelegram(header http.Header, secretToken string) error {
	if secretToken == "" {
		return fmt.Errorf("%w: telegram secret token not configured", ErrUnauthenticated)
	}
	got := header.Get(TelegramSecretHeader)
	if got == "" {
		return fmt.Errorf("%w: telegram secret token header missing", ErrUnauthenticated)
	}
	if !equalSecret(got, secretToken) {
		return fmt.Errorf("%w: telegram secret token mismatch", ErrUnauthenticated)
	}
	return nil
}

type telegramUser struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

func (u telegramUser) displayName() string {
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Username
}

type telegramUpdate struct {
	UpdateID *int64 `json:"update_id"`
	Message  *struct {
		MessageID int64         `json:"message_id"`
		From      *telegramUser `json:"from"`
		Chat      struct {
			ID        int64  `json:"id"`
			Type      string `json:"type"`
			Title     string `json:"title"`
			Username  string `json:"username"`
			FirstName string `json:"first_name"`
			LastName  string `json:"last_name"`
		} `json:"chat"`
		Text    string `json:"text"`
		Caption string `json:"caption"`
	} `json:"message"`
}

// ParseTelegram parses a Bot API Update. Only "message" updates from people
// that carry text (or a media caption) become a Message; edited messages,
// channel posts, service messages (joins, pins...) and bot senders are ignored.
func ParseTelegram(body []byte) (Result, error) {
	var u telegramUpdate
	if err := json.Unmarshal(body, &u); err != nil {
		return Result{}, fmt.Errorf("%w: telegram: %v", ErrMalformed, err)
	}
	if u.UpdateID == nil {
		return Result{}, fmt.Errorf("%w: telegram update without update_id", ErrMalformed)
	}
	m := u.Message
	if m == nil || m.From == nil || m.From.IsBot || m.From.ID == 0 {
		return ignored(), nil
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	if text == "" {
		return ignored(), nil
	}
	if m.Chat.ID == 0 {
		return Result{}, fmt.Errorf("%w: telegram message without chat", ErrMalformed)
	}
	chatID := strconv.FormatInt(m.Chat.ID, 10)
	convName := m.Chat.Title // groups and supergroups
	if convName == "" {
		convName = strings.TrimSpace(m.Chat.FirstName + " " + m.Chat.LastName) // private chats
	}
	if convName == "" {
		convName = m.Chat.Username
	}
	return Result{Messages: []Message{{
		Provider:         ProviderTelegram,
		EventID:          strconv.FormatInt(*u.UpdateID, 10),
		SenderAddress:    strconv.FormatInt(m.From.ID, 10),
		DisplayName:      m.From.displayName(),
		ConversationID:   chatID,
		ConversationName: convName,
		Text:             text,
		MessageID:        strconv.FormatInt(m.MessageID, 10),
		ReplyTo:          chatID,
	}}}, nil
}
