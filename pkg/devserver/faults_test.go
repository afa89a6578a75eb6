package devserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/pkg/mail"
	"github.com/gatehouse/gatehouse/pkg/mail/ses"
	"github.com/gatehouse/gatehouse/pkg/testkit/chatkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/keycloakkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/seskit"
)

// faultStandIns installs fresh stand-ins as make dev's hooks would.
func faultStandIns(t *testing.T) *seskit.Server {
	t.Helper()
	s := seskit.New(nil, nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	chat, err := chatkit.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	oldKC, oldSES := sharesDev.standin, sharesDev.ses
	sharesDev.standin, sharesDev.ses = keycloakkit.NewServer(DemoRealm, nil), s
	connectorsDev.mu.Lock()
	oldChat := connectorsDev.standin
	connectorsDev.standin = chat
	connectorsDev.mu.Unlock()
	t.Cleanup(func() {
		s.Close()
		chat.Close()
		sharesDev.standin, sharesDev.ses = oldKC, oldSES
		connectorsDev.mu.Lock()
		connectorsDev.standin = oldChat
		connectorsDev.mu.Unlock()
	})
	return s
}

func faultsCall(t *testing.T, method, body string) (int, Faults) {
	t.Helper()
	mux := http.NewServeMux()
	for pattern, h := range Extra {
		mux.Handle(pattern, h)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(method, "/dev/faults", strings.NewReader(body)))
	var f Faults
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &f); err != nil {
			t.Fatalf("%s: %v: %s", method, err, rec.Body)
		}
	}
	return rec.Code, f
}

func TestFaultSwitches(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		check  func(f Faults) bool
	}{
		{"keycloak fails next", `{"target":"keycloak","failNext":1,"status":500}`, 200,
			func(f Faults) bool { return *f.Keycloak == FailNext{FailNext: 1, Status: 500} }},
		{"keycloak default status", `{"target":"Keycloak","failNext":2}`, 200,
			func(f Faults) bool { return *f.Keycloak == FailNext{FailNext: 2, Status: 500} }},
		{"mail down", `{"target":"mail","down":true}`, 200,
			func(f Faults) bool { return f.Mail.Down && f.Mail.DownUntil == nil }},
		{"mail down for ten minutes", `{"target":"mail","downFor":"10m"}`, 200,
			func(f Faults) bool { return f.Mail.Down && f.Mail.DownUntil != nil }},
		{"mail up", `{"target":"mail","down":false}`, 200, func(f Faults) bool { return !f.Mail.Down }},
		{"mail throttled", `{"target":"mail","failNext":2,"status":429}`, 200,
			func(f Faults) bool { return f.Mail.FailNext == 2 && f.Mail.FailType == "TooManyRequestsException" }},
		{"telegram fails three", `{"target":"telegram","failNext":3,"status":503}`, 200,
			func(f Faults) bool { return reflect.DeepEqual(f.Chat["telegram"], []int{503, 503, 503}) }},
		{"twilio default status", `{"target":"twilio","failNext":1}`, 200,
			func(f Faults) bool { return reflect.DeepEqual(f.Chat["twilio"], []int{503}) }},
		{"unknown target", `{"target":"fax","failNext":1}`, 400, nil},
		{"down is for mail", `{"target":"slack","down":true}`, 400, nil},
		{"bad duration", `{"target":"mail","downFor":"soon"}`, 400, nil},
		{"not an error status", `{"target":"slack","failNext":1,"status":200}`, 400, nil},
		{"unknown field", `{"target":"mail","down":true,"forever":true}`, 400, nil},
		{"mail without a switch", `{"target":"mail"}`, 400, nil},
	}
	faultStandIns(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, f := faultsCall(t, "POST", tt.body)
			if code != tt.status {
				t.Fatalf("POST %s: %d, want %d", tt.body, code, tt.status)
			}
			if tt.check == nil {
				return
			}
			if !tt.check(f) {
				t.Errorf("POST %s answered %+v", tt.body, f)
			}
			if _, got := faultsCall(t, "GET", ""); !reflect.DeepEqual(got, f) {
				t.Errorf("GET = %+v, want what POST answered %+v", got, f)
			}
		})
	}
	code, f := faultsCall(t, "DELETE", "")
	want := Faults{Keycloak: &FailNext{}, Mail: &seskit.Switches{}, Chat: map[string][]int{"slack": {}, "telegram": {}, "whatsapp": {}, "twilio": {}, "teams": {}}}
	if code != 200 || !reflect.DeepEqual(f, want) {
		t.Errorf("DELETE: %d %+v, want %+v", code, f, want)
	}
}

// The mail switch reaches the e-mail path: the SES client gets a
// retryable error while it is down and delivers once it is up.
func TestMailFaultReachesSES(t *testing.T) {
	s := faultStandIns(t)
	snd := ses.New(s.Client(1), "no-reply@example.org")
	msg := mail.Message{To: "ann@example.com", Subject: "s", Text: "t"}
	if code, _ := faultsCall(t, "POST", `{"target":"mail","down":true}`); code != 200 {
		t.Fatal(code)
	}
	if err := snd.Send(t.Context(), msg); err == nil || strings.Contains(err.Error(), mail.ErrRejected.Error()) {
		t.Errorf("Send while down = %v, want a retryable error", err)
	}
	faultsCall(t, "DELETE", "")
	if err := snd.Send(t.Context(), msg); err != nil {
		t.Errorf("Send after DELETE = %v", err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d accepted, want 1", n)
	}
}
