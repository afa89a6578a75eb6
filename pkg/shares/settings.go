package shares

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// MaxRecipientExpiryDays bounds recipientExpiryDays (ten years).
const MaxRecipientExpiryDays = 3650

// Settings are an organization's shares settings.
type Settings struct {
	OrganizationID string `dynamo:"organizationId"`
	// RecipientExpiryDays is how long a recipient may wait for
	// registration and a decision after the first share (0 = never); nil
	// means the deployment's SHARE_EXPIRY_DAYS.
	RecipientExpiryDays *int   `dynamo:"recipientExpiryDays"`
	UpdatedBy           string `dynamo:"updatedBy,omitempty"`
	UpdatedAt           int64  `dynamo:"updatedAt,omitempty"`
	// Version guards read-modify-write (0: never written).
	Version int `dynamo:"version"`
}

type settingsItem struct {
	PK string `dynamo:"PK,hash"`
	SK string `dynamo:"SK,range"`
	Settings
}

const actSettings = "settings"

// GetSettings reads org's settings; an organization that never set any
// gets zero Settings (every setting at its default).
func (s *Store) GetSettings(ctx context.Context, org string) (Settings, error) {
	var it settingsItem
	err := s.table.Get("PK", store.OrgSettingsPK(org)).Range("SK", dynamo.Equal, store.OrgSettingsSK).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Settings{OrganizationID: org}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("shares: get settings: %w", err)
	}
	return it.Settings, nil
}

// PutSettings replaces cur (as read) by next with a ShareSettingsChanged
// audit entry in one transaction; store.ErrConflict when someone changed
// the settings since cur was read.
func (s *Store) PutSettings(ctx context.Context, cur, next Settings) error {
	next.OrganizationID, next.Version = cur.OrganizationID, cur.Version+1
	put := s.table.Put(settingsItem{PK: store.OrgSettingsPK(cur.OrganizationID), SK: store.OrgSettingsSK, Settings: next})
	if cur.Version == 0 {
		put.If("attribute_not_exists(PK)")
	} else {
		put.If("version = ?", cur.Version)
	}
	entry := audit.Record(ctx, audit.Change{Scope: store.OrgScope(cur.OrganizationID), Action: audit.ShareSettingsChanged,
		TargetType: audit.TargetShareSettings, TargetID: cur.OrganizationID,
		StatusBefore: "recipientExpiryDays=" + daysText(cur.RecipientExpiryDays),
		StatusAfter:  "recipientExpiryDays=" + daysText(next.RecipientExpiryDays), At: next.UpdatedAt})
	err := s.st.Tx().Put(actSettings, put).Join(entry).Run(ctx)
	if store.ConditionFailed(err, actSettings) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("shares: put settings: %w", err)
	}
	return nil
}

// daysText is a setting in the audit trail: "default" when unset.
func daysText(d *int) string {
	if d == nil {
		return "default"
	}
	return strconv.Itoa(*d)
}

// SettingsView is GET/PUT /v1/shares/{organizationId}/settings' data.
type SettingsView struct {
	OrganizationID string `json:"organizationId"`
	// RecipientExpiryDays: null means the deployment's default
	// (SHARE_EXPIRY_DAYS, 30 unless set); 0 never.
	RecipientExpiryDays *int    `json:"recipientExpiryDays"`
	UpdatedBy           *string `json:"updatedBy"`
	UpdatedAt           *string `json:"updatedAt"`
}

func viewSettings(st Settings) SettingsView {
	v := SettingsView{OrganizationID: st.OrganizationID, RecipientExpiryDays: st.RecipientExpiryDays, UpdatedBy: nullable(st.UpdatedBy)}
	if st.UpdatedAt != 0 {
		t := isoTime(st.UpdatedAt)
		v.UpdatedAt = &t
	}
	return v
}

// getSettings serves GET /v1/shares/{organizationId}/settings (the
// organization's admins).
func (s *Service) getSettings(w http.ResponseWriter, r *http.Request) error {
	org, err := ownOrganization(r)
	if err != nil {
		return err
	}
	for k := range r.URL.Query() {
		if !knownParam(k, nil) {
			return badField(k)
		}
	}
	st, err := s.store.GetSettings(r.Context(), org)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, viewSettings(st))
}

type settingsBody struct {
	// RecipientExpiryDays is required: a number of days, or null for the
	// deployment's default.
	RecipientExpiryDays json.RawMessage `json:"recipientExpiryDays"`
}

// days parses the body's recipientExpiryDays.
func (b settingsBody) days() (*int, error) {
	raw := bytes.TrimSpace(b.RecipientExpiryDays)
	if len(raw) == 0 {
		return nil, badField("recipientExpiryDays")
	}
	if bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var d int
	if err := json.Unmarshal(raw, &d); err != nil || d < 0 || d > MaxRecipientExpiryDays {
		return nil, badField("recipientExpiryDays")
	}
	return &d, nil
}

// putSettings serves PUT /v1/shares/{organizationId}/settings:
// {"recipientExpiryDays": 0..3650 | null} for the organization's admins;
// the expiry sweep applies it from its next run, to recipients already
// waiting too.
func (s *Service) putSettings(w http.ResponseWriter, r *http.Request) error {
	org, err := ownOrganization(r)
	if err != nil {
		return err
	}
	var b settingsBody
	if err := httpapi.DecodeJSON(r, &b); err != nil {
		return err
	}
	days, err := b.days()
	if err != nil {
		return err
	}
	cur, err := s.store.GetSettings(r.Context(), org)
	if err != nil {
		return err
	}
	p, _ := caller(r, decideRoles...)
	next := cur
	next.RecipientExpiryDays, next.UpdatedBy, next.UpdatedAt = days, p.Subject, s.nowMillis()
	if err := s.store.PutSettings(r.Context(), cur, next); errors.Is(err, store.ErrConflict) {
		return failWith(err, CodeConflict, "reason", "ConcurrentUpdate")
	} else if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, viewSettings(next))
}
