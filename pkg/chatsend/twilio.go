package chatsend

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
)

// sendTwilio creates a Message with Twilio's REST API.
func (s *Sender) sendTwilio(ctx context.Context, creds Credentials, m Outbound) error {
	if creds.TwilioAccountSID == "" || creds.TwilioAuthToken == "" || creds.TwilioFromNumber == "" {
		return permanent(providerTwilioSMS, "no account sid, auth token or from number")
	}
	u := s.cfg.TwilioAPIURL + "/2010-04-01/Accounts/" + url.PathEscape(creds.TwilioAccountSID) + "/Messages.json"
	req, err := newFormRequest(ctx, u, url.Values{"To": {m.ReplyTo}, "From": {creds.TwilioFromNumber}, "Body": {m.Text}})
	if err != nil {
		return permanent(providerTwilioSMS, "building request: "+err.Error())
	}
	req.SetBasicAuth(creds.TwilioAccountSID, creds.TwilioAuthToken)
	r, err := s.do(req, providerTwilioSMS)
	if err != nil {
		return err
	}
	if r.ok() {
		return nil
	}
	var res struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(r.body, &res)
	e := statusError(providerTwilioSMS, r, "", res.Message)
	if res.Code != 0 {
		e.Code = strconv.Itoa(res.Code)
	}
	return e
}
