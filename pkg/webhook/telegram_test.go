package webhook

import (
	"errors"
	"net/http"
	"testing"
)

func TestVerifyTelegram(t *testing.T) {
	const secret = "s3cr3t_Token-1"
	withToken := func(v string) http.Header {
		h := http.Header{}
		h.Set(TelegramSecretHeader, v)
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		secret string
		want   error
	}{
		{"valid", withToken(secret), secret, nil},
		{"missing header", http.Header{}, secret, ErrUnauthenticated},
		{"wrong token", withToken("s3cr3t_Token-2"), secret, ErrUnauthenticated},
		{"prefix of token", withToken("s3cr3t"), secret, ErrUnauthenticated},
		{"no secret configured", withToken(""), "", ErrUnauthenticated},
		{"no secret configured, header sent", withToken("anything"), "", ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyTelegram(tt.header, tt.secret)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifyTelegram() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseTelegram(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Result
		wantErr error
	}{
		{
			name: "private text message",
			body: `{"update_id":10000,"message":{"date":1441645532,"chat":{"last_name":"Test Lastname","id":1111111,"type":"private","first_name":"Test Firstname","username":"Testusername"},"message_id":1365,"from":{"last_name":"Test Lastname","id":1111111,"is_bot":false,"first_name":"Test Firstname","username":"Testusername"},"text":"/start"}}`,
			want: Result{Messages: []Message{{
				Provider: "TELEGRAM", EventID: "10000", SenderAddress: "1111111", DisplayName: "Test Firstname Test Lastname",
				ConversationID: "1111111", ConversationName: "Test Firstname Test Lastname", Text: "/start", MessageID: "1365", ReplyTo: "1111111",
			}}},
		},
		{
			name: "group message, first name only",
			body: `{"update_id":10001,"message":{"message_id":7,"from":{"id":42,"is_bot":false,"first_name":"Ann"},"chat":{"id":-1001234567890,"type":"supergroup","title":"Ops"},"text":"hi"}}`,
			want: Result{Messages: []Message{{
				Provider: "TELEGRAM", EventID: "10001", SenderAddress: "42", DisplayName: "Ann",
				ConversationID: "-1001234567890", ConversationName: "Ops", Text: "hi", MessageID: "7", ReplyTo: "-1001234567890",
			}}},
		},
		{
			name: "photo with caption, username only",
			body: `{"update_id":10002,"message":{"message_id":8,"from":{"id":43,"is_bot":false,"first_name":"","username":"bob"},"chat":{"id":43,"type":"private","username":"bob"},"photo":[{"file_id":"f"}],"caption":"look"}}`,
			want: Result{Messages: []Message{{
				Provider: "TELEGRAM", EventID: "10002", SenderAddress: "43", DisplayName: "bob",
				ConversationID: "43", ConversationName: "bob", Text: "look", MessageID: "8", ReplyTo: "43",
			}}},
		},
		{name: "edited message", body: `{"update_id":10003,"edited_message":{"message_id":1,"from":{"id":1,"is_bot":false,"first_name":"A"},"chat":{"id":1,"type":"private"},"text":"x"}}`, want: Result{Ignored: true}},
		{name: "channel post", body: `{"update_id":10004,"channel_post":{"message_id":1,"chat":{"id":-100,"type":"channel","title":"C"},"text":"x"}}`, want: Result{Ignored: true}},
		{name: "bot sender", body: `{"update_id":10005,"message":{"message_id":1,"from":{"id":9,"is_bot":true,"first_name":"Bot"},"chat":{"id":-5,"type":"group","title":"G"},"text":"x"}}`, want: Result{Ignored: true}},
		{name: "member joined (service message)", body: `{"update_id":10006,"message":{"message_id":1,"from":{"id":1,"is_bot":false,"first_name":"A"},"chat":{"id":-5,"type":"group","title":"G"},"new_chat_members":[{"id":1,"is_bot":false,"first_name":"A"}]}}`, want: Result{Ignored: true}},
		{name: "sender_chat without from", body: `{"update_id":10007,"message":{"message_id":1,"sender_chat":{"id":-100,"type":"channel"},"chat":{"id":-5,"type":"supergroup","title":"G"},"text":"x"}}`, want: Result{Ignored: true}},
		{name: "my_chat_member", body: `{"update_id":10008,"my_chat_member":{"chat":{"id":1,"type":"private"}}}`, want: Result{Ignored: true}},
		{name: "no update_id", body: `{"message":{"message_id":1,"from":{"id":1,"first_name":"A"},"chat":{"id":1,"type":"private"},"text":"x"}}`, wantErr: ErrMalformed},
		{name: "no chat", body: `{"update_id":1,"message":{"message_id":1,"from":{"id":1,"first_name":"A"},"text":"x"}}`, wantErr: ErrMalformed},
		{name: "not json", body: `update_id=1`, wantErr: ErrMalformed},
		{name: "id out of int64 range", body: `{"update_id":1e30}`, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTelegram([]byte(tt.body))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func FuzzVerifyTelegram(f *testing.F) {
	f.Add("tok", "tok")
	f.Add("", "tok")
	f.Fuzz(func(t *testing.T, got, secret string) {
		h := http.Header{}
		h.Set(TelegramSecretHeader, got)
		err := VerifyTelegram(h, secret)
		if err == nil && (secret == "" || got != secret) {
			t.Fatalf("VerifyTelegram accepted %q for secret %q", got, secret)
		}
	})
}

func FuzzParseTelegram(f *testing.F) {
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"from":{"id":1,"is_bot":false,"first_name":"A"},"chat":{"id":1,"type":"private"},"text":"x"}}`))
	f.Add([]byte(`{"update_id":1,"message":null}`))
	f.Add([]byte(`{"update_id":1,"message":{"from":{"id":-1},"chat":{"id":0},"caption":"c"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseTelegram(body)
		checkResultInvariants(t, res, err)
	})
}
