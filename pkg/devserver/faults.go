package devserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
	"github.com/gatehouse/gatehouse/pkg/testkit/seskit"
)

// Fault switches of make dev's stand-ins, from outside:
//
//	GET    /dev/faults  the current switches
//	POST   /dev/faults  set one: {"target":"keycloak","failNext":1,"status":500}
//	                    {"target":"mail","down":true} / {"target":"mail","downFor":"10m"} / {"target":"mail","down":false}
//	                    {"target":"mail","failNext":2,"status":429}
//	                    {"target":"slack|telegram|whatsapp|twilio|teams","failNext":3,"status":503}
//	DELETE /dev/faults  clear every switch
//
// Each answers the switches in force afterwards.
func init() {
	Extra["GET /dev/faults"] = http.HandlerFunc(getFaults)
	Extra["POST /dev/faults"] = http.HandlerFunc(setFault)
	Extra["DELETE /dev/faults"] = http.HandlerFunc(clearFaults)
	Welcome = append(Welcome, welcomeFaults)
}

// chatTargets maps a fault target to the chat stand-in's provider name.
var chatTargets = map[string]string{"slack": "SLACK", "telegram": "TELEGRAM", "whatsapp": "WHATSAPP", "twilio": "TWILIO_SMS", "teams": "TEAMS"}

// FaultRequest is POST /dev/faults' body.
type FaultRequest struct {
	Target   string `json:"target"`
	FailNext int    `json:"failNext"`
	Status   int    `json:"status"`
	// Mail only.
	Down      *bool  `json:"down"`
	DownFor   string `json:"downFor"`
	ErrorType string `json:"errorType"`
}

// Faults is the answer of every /dev/faults route.
type Faults struct {
	// Keycloak is nil with a real Keycloak (KEYCLOAK_URL).
	Keycloak *FailNext        `json:"keycloak"`
	Mail     *seskit.Switches `json:"mail"`
	// Chat has one entry per provider: the statuses its next calls answer.
	Chat map[string][]int `json:"chat"`
}

// FailNext is a count of calls to fail and their status.
type FailNext struct {
	FailNext int `json:"failNext"`
	Status   int `json:"status,omitempty"`
}

func currentFaults() Faults {
	f := Faults{Chat: map[string][]int{}}
	if kc := sharesDev.standin; kc != nil {
		n, st := kc.Failing()
		f.Keycloak = &FailNext{FailNext: n}
		if n > 0 {
			f.Keycloak.Status = st
		}
	}
	if s := sharesDev.ses; s != nil {
		sw := s.Switches()
		f.Mail = &sw
	}
	connectorsDev.mu.Lock()
	chat := connectorsDev.standin
	connectorsDev.mu.Unlock()
	failing := map[string][]int{}
	if chat != nil {
		failing = chat.Failing()
	}
	for target, prov := range chatTargets {
		f.Chat[target] = append([]int{}, failing[prov]...)
	}
	return f
}

func writeFaults(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(currentFaults())
}

func getFaults(w http.ResponseWriter, _ *http.Request) { writeFaults(w) }

func clearFaults(w http.ResponseWriter, _ *http.Request) {
	if kc := sharesDev.standin; kc != nil {
		kc.FailNext(0, 0)
	}
	if s := sharesDev.ses; s != nil {
		s.Reset()
	}
	connectorsDev.mu.Lock()
	if c := connectorsDev.standin; c != nil {
		c.ClearFailures()
	}
	connectorsDev.mu.Unlock()
	writeFaults(w)
}

func setFault(w http.ResponseWriter, r *http.Request) {
	var req FaultRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := applyFault(req); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errNoStandIn) {
			status = http.StatusConflict
		}
		http.Error(w, err.Error(), status)
		return
	}
	writeFaults(w)
}

var errNoStandIn = errors.New("that service is not a stand-in here")

// applyFault validates req and sets its switch.
func applyFault(req FaultRequest) error {
	target := strings.ToLower(req.Target)
	mailOnly := req.Down != nil || req.DownFor != "" || req.ErrorType != ""
	if target != "mail" && mailOnly {
		return errors.New("down, downFor and errorType are for target mail")
	}
	if req.FailNext < 0 || req.FailNext > 1000 {
		return errors.New("failNext must be 0..1000")
	}
	if req.Status == 0 {
		req.Status = http.StatusServiceUnavailable
		if target == "keycloak" {
			req.Status = http.StatusInternalServerError
		}
	}
	if req.Status < 400 || req.Status > 599 {
		return errors.New("status must be an HTTP error status (400..599)")
	}
	switch prov, chat := chatTargets[target]; {
	case target == "keycloak":
		kc := sharesDev.standin
		if kc == nil {
			return fmt.Errorf("keycloak: %w (KEYCLOAK_URL is set)", errNoStandIn)
		}
		kc.FailNext(req.FailNext, req.Status)
	case target == "mail":
		return applyMailFault(req)
	case chat:
		connectorsDev.mu.Lock()
		c := connectorsDev.standin
		connectorsDev.mu.Unlock()
		if c == nil {
			return fmt.Errorf("%s: %w", target, errNoStandIn)
		}
		c.FailNext(prov, slices.Repeat([]int{req.Status}, req.FailNext)...)
	default:
		return fmt.Errorf("target %q: want keycloak, mail, slack, telegram, whatsapp, twilio or teams", req.Target)
	}
	return nil
}

func applyMailFault(req FaultRequest) error {
	s := sharesDev.ses
	if s == nil {
		return fmt.Errorf("mail: %w", errNoStandIn)
	}
	switch {
	case req.DownFor != "":
		d, err := time.ParseDuration(req.DownFor)
		if err != nil || d <= 0 || (req.Down != nil && !*req.Down) {
			return errors.New("downFor must be a positive Go duration, e.g. 10m")
		}
		s.SetDown(true, d)
	case req.Down != nil:
		s.SetDown(*req.Down, 0)
	}
	if req.FailNext > 0 {
		errType := req.ErrorType
		if errType == "" {
			errType = sesErrorType(req.Status)
		}
		s.FailNext(req.FailNext, req.Status, errType)
	} else if req.Down == nil && req.DownFor == "" {
		return errors.New("mail: give down, downFor or failNext")
	}
	return nil
}

// sesErrorType is the AWS error type SES answers with status.
func sesErrorType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "TooManyRequestsException"
	case status == http.StatusBadRequest:
		return "MessageRejected"
	case status == http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case status >= 500:
		return "InternalFailure"
	default:
		return "BadRequestException"
	}
}

func welcomeFaults(w io.Writer, base string, _ *issuerkit.Issuer, _ *Demo) {
	fmt.Fprintf(w, `
# Faults: the stand-ins fail on demand (GET shows the switches, DELETE clears them all)
curl -s -X POST %[1]s/dev/faults -d '{"target":"keycloak","failNext":1,"status":500}'   # the next decline answers 502, nothing changes
curl -s -X POST %[1]s/dev/faults -d '{"target":"mail","downFor":"10m"}'                # SES answers 503 for ten minutes; e-mails wait in the outbox
curl -s -X POST %[1]s/dev/faults -d '{"target":"telegram","failNext":3,"status":503}'   # the next three Telegram sends fail and are retried
curl -s %[1]s/dev/faults
curl -s -X DELETE %[1]s/dev/faults
`, base)
}
