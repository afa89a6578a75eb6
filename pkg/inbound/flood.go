package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// EventFloodGuardTripped is the detail-type of the event raised once per
// connector and clock hour when the flood limit is reached.
const EventFloodGuardTripped = "AccessRequestFloodGuardTripped"

const actFloodTripped = "flood-tripped"

// floodTTL keeps a window's items a day past its hour (TTL deletion lags
// anyway; the hour is in the key, so old items are never read).
const floodTTL = 25 * time.Hour

// FloodGuardTripped is the detail of an AccessRequestFloodGuardTripped event.
type FloodGuardTripped struct {
	Tenant              string `json:"tenant"`
	IntegrationConfigID string `json:"integrationConfigId"`
	Provider            string `json:"provider"`
	AgentID             string `json:"agentId"`
	LimitPerHour        int    `json:"limitPerHour"`
	WindowStart         int64  `json:"windowStart"` // epoch ms, the clock hour (UTC)
	WindowEnd           int64  `json:"windowEnd"`
	TrippedAt           int64  `json:"trippedAt"`
}

// floodHour is the flood guard's window: the clock hour of now.
func floodHour(now time.Time) int64 { return now.Unix() / 3600 }

// errFloodLimit means the connector's hour has no request left.
var errFloodLimit = errors.New("inbound: flood limit reached")

// reserveFlood takes one of the hour's new-request slots with a
// conditional counter update. It runs outside the request's transaction:
// single-item writes on the hot counter serialise in DynamoDB, while
// transactions on it would cancel each other (TransactionConflict) under a
// flood. A request that is then not created gives its slot back
// (releaseFlood); a process dying in between loses the slot, so the guard
// errs towards fewer requests, never more.
func (s *Service) reserveFlood(ctx context.Context, tenant, connector string, limit int, now time.Time) error {
	hour := floodHour(now)
	err := s.table.Update("PK", store.FloodPK(tenant, connector, hour)).Range("SK", store.FloodCountSK).
		Add("n", 1).Set("expiresAt", time.Unix((hour+1)*3600, 0).Add(floodTTL).Unix()).
		If("attribute_not_exists($) OR $ < ?", "n", "n", limit).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return errFloodLimit
	}
	if err != nil {
		return fmt.Errorf("inbound: flood counter: %w", err)
	}
	return nil
}

// releaseFlood gives back a slot reserveFlood took in the same hour.
func (s *Service) releaseFlood(ctx context.Context, tenant, connector string, now time.Time) {
	err := s.table.Update("PK", store.FloodPK(tenant, connector, floodHour(now))).Range("SK", store.FloodCountSK).
		Add("n", -1).If("$ > ?", "n", 0).Run(context.WithoutCancel(ctx))
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		s.log.WarnContext(ctx, "flood counter slot not released", "tenant", tenant, "integrationConfigId", connector, "error", err)
	}
}

// definitelyNotCreated reports a CreateAccessRequest error after which no
// request exists: a cancelled transaction or a refused condition, not a
// timeout that may have committed.
func definitelyNotCreated(err error) bool {
	var te *store.TxError
	return errors.As(err, &te) || errors.Is(err, store.ErrConflict) || errors.Is(err, accessrequests.ErrBlocked) ||
		errors.Is(err, errOnboardedMoved)
}

type floodMarker struct {
	PK        string `dynamo:"PK,hash"`
	SK        string `dynamo:"SK,range"`
	Limit     int    `dynamo:"limitPerHour"`
	CreatedAt int64  `dynamo:"createdAt"`
	ExpiresAt int64  `dynamo:"expiresAt"`
}

// tripFlood reports the connector's hour as flooded: the first caller of
// the hour writes the tripped marker and the event in one transaction and
// logs; later ones find the marker and do nothing.
func (s *Service) tripFlood(ctx context.Context, rc connectors.Resolved, limit int, now time.Time) error {
	t, c := rc.Tenant, rc.Connector
	hour := floodHour(now)
	detail, err := json.Marshal(FloodGuardTripped{
		Tenant: t, IntegrationConfigID: c.ID, Provider: c.Provider, AgentID: c.AgentID, LimitPerHour: limit,
		WindowStart: hour * 3600 * 1000, WindowEnd: (hour + 1) * 3600 * 1000, TrippedAt: now.UnixMilli(),
	})
	if err != nil {
		return err
	}
	payload, err := json.Marshal(Event{Source: EventSource, DetailType: EventFloodGuardTripped, Detail: detail})
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(t + "\x00" + c.ID + "\x00" + strconv.FormatInt(hour, 10)))
	ev := outbox.Message{
		// One event per connector and hour, even if the marker vanished.
		ID: "flood-" + base64.RawURLEncoding.EncodeToString(sum[:]), Kind: KindEventPut, Tenant: t,
		Payload: string(payload), CreatedAt: now.UnixMilli(), ModifiedAt: now.UnixMilli(),
	}
	mk := floodMarker{PK: store.FloodPK(t, c.ID, hour), SK: store.FloodTrippedSK, Limit: limit, CreatedAt: now.UnixMilli(),
		ExpiresAt: time.Unix((hour+1)*3600, 0).Add(floodTTL).Unix()}
	err = s.store.Tx().Put(actFloodTripped, s.table.Put(mk).If("attribute_not_exists(PK)")).Join(outbox.Enqueue(ev)).Run(ctx)
	switch {
	case err == nil:
		s.log.WarnContext(ctx, "flood guard tripped: new senders are ignored until the hour ends", "tenant", t, "integrationConfigId", c.ID,
			"provider", c.Provider, "agentId", c.AgentID, "limitPerHour", limit, "windowEnd", time.UnixMilli((hour+1)*3600*1000).UTC())
		return nil
	case store.ConditionFailed(err, actFloodTripped), store.ConditionFailed(err, outbox.ActionName(ev.ID)):
		return nil // reported by another message of this hour
	}
	// A conflict reruns the decision (rerun): the marker is then either
	// there, or this message writes it, so the hour's event is not lost.
	return fmt.Errorf("inbound: flood event: %w", err)
}

// inCooldown reports whether a sender rejected at rejectedAt (epoch ms, 0
// = never) is still in the connector's reject cooldown at now.
func inCooldown(c connectors.Connector, rejectedAt int64, now time.Time) bool {
	return c.RejectCooldownSeconds > 0 && rejectedAt > 0 &&
		now.UnixMilli() < rejectedAt+int64(c.RejectCooldownSeconds)*1000
}
