package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// WhatsAppSignatureHeader carries "sha256=" + hex HMAC-SHA256(app secret, raw body).
const WhatsAppSignatureHeader = "X-Hub-Signature-256"

// VerifyWhatsApp checks Meta's X-Hub-Signature-256 over the raw body bytes;
// the body must be exactly what arrived, never re-serialised JSON.
func VerifyWhatsApp(header http.Header, body []byte, appSecret string) error {
	if appSecret == "" {
		return fmt.Errorf("%w: whatsapp app secret not configured", ErrUnauthenticated)
	}
	sig := header.Get(WhatsAppSignatureHeader)
	if sig == "" {
		return fmt.Errorf("%w: whatsapp signature header missing", ErrUnauthenticated)
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	if !ok || !equalHMACHex([]byte(appSecret), hexSig, body) {
		return fmt.Errorf("%w: whatsapp signature mismatch", ErrUnauthenticated)
	}
	return nil
}

// VerifyWhatsAppSubscribe answers Meta's setup GET: it returns hub.challenge,
// to be written back as the 200 body, only when hub.mode is "subscribe" and
// hub.verify_token matches; otherwise an error wrapping ErrForbidden.
func VerifyWhatsAppSubscribe(query url.Values, verifyToken string) (challenge string, err error) {
	if verifyToken == "" {
		return "", fmt.Errorf("%w: whatsapp verify token not configured", ErrForbidden)
	}
	if query.Get("hub.mode") != "subscribe" || !equalSecret(query.Get("hub.verify_token"), verifyToken) {
		return "", fmt.Errorf("%w: whatsapp subscription mode or verify token mismatch", ErrForbidden)
	}
	challenge = query.Get("hub.challenge")
	if challenge == "" {
		return "", fmt.Errorf("%w: whatsapp subscription without hub.challenge", ErrMalformed)
	}
	return challenge, nil
}

type whatsAppPayload struct {
	Object string `json:"object"`
	Entry  []struct {
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				Contacts []struct {
					WaID    string `json:"wa_id"`
					Profile struct {
						Name string `json:"name"`
					} `json:"profile"`
				} `json:"contacts"`
				Messages []whatsAppMessage `json:"messages"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type whatsAppMessage struct {
	From   string `json:"from"`
	ID     string `json:"id"`
	Type   string `json:"type"`
	Text   struct{ Body string }
	Button struct{ Text string }
	// Interactive replies carry the tapped option's title.
	Interactive struct {
		ButtonReply struct{ Title string } `json:"button_reply"`
		ListReply   struct{ Title string } `json:"list_reply"`
	}
	Image    struct{ Caption string }
	Video    struct{ Caption string }
	Document struct{ Caption string }
}

func (m whatsAppMessage) text() string {
	for _, s := range []string{
		m.Text.Body, m.Button.Text, m.Interactive.ButtonReply.Title, m.Interactive.ListReply.Title,
		m.Image.Caption, m.Video.Caption, m.Document.Caption,
	} {
		if s != "" {
			return s
		}
	}
	return ""
}

// whatsAppIgnoredTypes are message types that are not something a person
// wrote to the business: number-change notices and reactions to old messages.
var whatsAppIgnoredTypes = map[string]bool{"system": true, "reaction": true}

// ParseWhatsApp parses a Cloud API "messages" webhook. Every entry[].changes[]
// .value.messages[] from a user becomes a Message (messages[].id is both
// EventID and MessageID, the sender's wa_id is the address and the reply
// target); the display name comes from the matching contacts[] entry. Status
// updates and other fields are ignored. Media without a caption yields a
// Message with empty Text: the sender still wrote.
func ParseWhatsApp(body []byte) (Result, error) {
	var p whatsAppPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return Result{}, fmt.Errorf("%w: whatsapp: %v", ErrMalformed, err)
	}
	if p.Object != "whatsapp_business_account" {
		return Result{}, fmt.Errorf("%w: whatsapp object %q", ErrMalformed, p.Object)
	}
	var msgs []Message
	for _, e := range p.Entry {
		for _, c := range e.Changes {
			if c.Field != "messages" {
				continue
			}
			names := make(map[string]string, len(c.Value.Contacts))
			for _, ct := range c.Value.Contacts {
				names[ct.WaID] = ct.Profile.Name
			}
			for _, m := range c.Value.Messages {
				if whatsAppIgnoredTypes[m.Type] {
					continue
				}
				if m.ID == "" || m.From == "" {
					return Result{}, fmt.Errorf("%w: whatsapp message without id or from", ErrMalformed)
				}
				msgs = append(msgs, Message{
					Provider:       ProviderWhatsApp,
					EventID:        m.ID,
					SenderAddress:  m.From,
					DisplayName:    names[m.From],
					ConversationID: m.From,
					Text:           m.text(),
					MessageID:      m.ID,
					ReplyTo:        m.From,
				})
			}
		}
	}
	if len(msgs) == 0 {
		return ignored(), nil
	}
	return Result{Messages: msgs}, nil
}
