package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/alertmsg"
	"github.com/gatehouse/gatehouse/pkg/alertsettings"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/outbox"
	"github.com/gatehouse/gatehouse/pkg/platform"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Recipients of a digest: a collaborator ("U#{subject}") or the agent's
// Slack target.
const (
	userPrefix     = "U#"
	slackRecipient = "SLACK"
)

// digestShards spreads waiting digests over index partitions.
const digestShards = 4

// maxListed bounds the request ids a digest keeps (the alert lists the
// newest maxShown of them); more only count.
const maxListed = 500

// digestItem is one recipient's waiting digest.
type digestItem struct {
	PK        string `dynamo:"PK,hash"`
	SK        string `dynamo:"SK,range"`
	EXPPK     string `dynamo:"EXPPK"`
	EXPSK     string `dynamo:"EXPSK"`
	Tenant    string `dynamo:"tenant"`
	AgentID   string `dynamo:"agentId"`
	Recipient string `dynamo:"recipient"`
	// Requests are SortKey(createdAt, id) of the listed requests.
	Requests []string `dynamo:"requests,set"`
	// More counts requests beyond maxListed.
	More int `dynamo:"more"`
	// Version grows with every change; the sweep deletes only what it read.
	Version int64 `dynamo:"version"`
	FirstAt int64 `dynamo:"firstAt"` // epoch ms: the window's first request seen
	DueAt   int64 `dynamo:"dueAt"`   // epoch ms: when the sweep sends it
}

func digestShard(pk string) int {
	h := fnv.New32a()
	h.Write([]byte(pk))
	return int(h.Sum32() % digestShards)
}

// Handler adds new requests to their recipients' digests (the
// alert.pending kind).
type Handler struct {
	table    dynamo.Table
	collabs  *collaborators.Repo
	settings *alertsettings.SettingsRepo
	cfg      Config
	log      *slog.Logger
	Now      func() time.Time
}

// NewHandler returns the alert.pending handler over st.
func NewHandler(st *store.Store, cfg Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{table: st.Table(), collabs: collaborators.NewRepo(st), settings: alertsettings.NewSettingsRepo(st), cfg: cfg, log: log, Now: time.Now}
}

// OutboxHandlers returns the handler of alertmsg.Kind, for
// DispatcherFunction (pkg/outbox/kinds/messaging).
func OutboxHandlers(p *platform.Platform, cfg Config) map[string]outbox.Handler {
	return map[string]outbox.Handler{alertmsg.Kind: NewHandler(p.Store, cfg, p.Logger).Handle}
}

// Handle adds one request to the digest of every recipient of its agent.
// Redelivered, it adds nothing twice (set semantics).
func (h *Handler) Handle(ctx context.Context, m outbox.Message) error {
	var p alertmsg.Payload
	if err := json.Unmarshal([]byte(m.Payload), &p); err != nil || p.Tenant == "" || p.AgentID == "" || p.RequestID == "" {
		return fmt.Errorf("%w: alert.pending payload: %v", outbox.ErrPermanent, err)
	}
	who, err := h.collabs.AccessRequestAlerted(ctx, p.Tenant, p.AgentID)
	if err != nil {
		return err
	}
	recipients := make([]string, 0, len(who)+1)
	for _, c := range who {
		recipients = append(recipients, userPrefix+c.UserID)
	}
	s, err := h.settings.Get(ctx, p.Tenant, p.AgentID)
	if err != nil {
		return err
	}
	if s.Slack != nil {
		recipients = append(recipients, slackRecipient)
	}
	now := h.Now().UnixMilli()
	for _, r := range recipients {
		if err := h.add(ctx, p, r, now); err != nil {
			return err
		}
	}
	return nil
}

// add puts the request in one recipient's digest with one UpdateItem
// (two when the digest is full: then it only counts).
func (h *Handler) add(ctx context.Context, p alertmsg.Payload, recipient string, now int64) error {
	pk := store.DigestPK(p.Tenant, p.AgentID, recipient)
	due := now + h.cfg.DigestPeriod.Milliseconds()
	entry := store.SortKey(p.CreatedAt, p.RequestID)
	base := func() *dynamo.Update {
		return h.table.Update("PK", pk).Range("SK", store.MarkerSK).
			Set("tenant", p.Tenant).Set("agentId", p.AgentID).Set("recipient", recipient).
			SetIfNotExists("firstAt", now).SetIfNotExists("dueAt", due).
			SetIfNotExists("EXPPK", store.DigestsDuePK(digestShard(pk))).SetIfNotExists("EXPSK", store.SortKey(due, pk)).
			Add("version", 1)
	}
	err := base().AddStringsToSet("requests", entry).
		If("attribute_not_exists(requests) OR size(requests) < ? OR contains(requests, ?)", maxListed, entry).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		// Full: count it. A redelivery counts it again; the footer's
		// "and N more" may be high by the rare redelivery.
		err = base().Add("more", 1).If("NOT contains(requests, ?)", entry).Run(ctx)
		if dynamo.IsCondCheckFailed(err) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("alerts: add to digest: %w", err)
	}
	return nil
}

// errNoDigest means the digest was sent or dropped meanwhile.
var errNoDigest = errors.New("alerts: no digest")
