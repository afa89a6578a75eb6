package participants

import (
	"context"
	"fmt"
	"regexp"
	"sync"

	"github.com/gatehouse/gatehouse/pkg/participants/roster"
)

// Health reasons: why a channel, or the participant, is not reachable.
const (
	ReasonChannelDisabled   = "CHANNEL_DISABLED"
	ReasonConnectorNotFound = "CONNECTOR_NOT_FOUND"
	ReasonInvalidFormat     = "INVALID_FORMAT" // the address cannot be one of the provider's
	ReasonNoChannels        = "NO_CHANNELS"
)

// Key statuses of a channel's connector webhook key.
const (
	KeyUnspecified = "UNSPECIFIED" // no connector
	KeyActive      = "ACTIVE"
	KeyMissing     = "MISSING"
)

// ScopePerBinding is the documented scope of a channel activation: one
// binding reached through one channel.
const ScopePerBinding = "PER_BINDING"

// View is a participant as the API renders it (the docs' agent-network
// tree: seed 001 plus the avatar source fields and avatarAutoSync).
// Unset optional values are null.
type View struct {
	ID                   string        `json:"id"`
	Kind                 string        `json:"kind"`
	DisplayName          string        `json:"displayName"`
	Email                *string       `json:"email"`
	RelatedAgentID       *string       `json:"relatedAgentId"`
	Channels             []ChannelView `json:"channels"`
	AgentIDs             []string      `json:"agentIds"`
	DisabledAt           *int64        `json:"disabledAt"`
	Health               Health        `json:"health"`
	ChannelActivations   []Activation  `json:"channelActivations"`
	AvatarFileID         *string       `json:"avatarFileId"`
	AvatarSource         *string       `json:"avatarSource"`
	AvatarSourceConfigID *string       `json:"avatarSourceConfigId"`
	AvatarSourceAddress  *string       `json:"avatarSourceAddress"`
	AvatarSyncedAt       *int64        `json:"avatarSyncedAt"`
	AvatarAutoSync       AutoSync      `json:"avatarAutoSync"`
	CreatedAt            int64         `json:"createdAt"`
	ModifiedAt           int64         `json:"modifiedAt"`
}

// AutoSync says whether the avatar follows a channel: synced when it was
// pulled from the provider of that channel (avatar:syncFromChannel, or the
// sync an approval queues, which also refreshes it later). An uploaded or
// absent avatar follows no channel.
type AutoSync struct {
	Synced   bool    `json:"synced"`
	Provider *string `json:"provider"`
	Address  *string `json:"address"`
}

func autoSync(p roster.Participant) AutoSync {
	if p.AvatarFileID == "" || p.AvatarSource == "" || p.AvatarSource == roster.AvatarUploaded {
		return AutoSync{}
	}
	return AutoSync{Synced: true, Provider: str(p.AvatarSource), Address: str(p.AvatarSourceAddress)}
}

// ChannelView is one channel.
type ChannelView struct {
	IntegrationConfigID string  `json:"integrationConfigId"`
	Address             string  `json:"address"`
	Priority            int     `json:"priority"`
	Label               *string `json:"label"`
	Disabled            bool    `json:"disabled"`
}

// Health says whether the participant can be reached. Channels are in
// the order of the participant's channels.
type Health struct {
	Reachable bool            `json:"reachable"`
	Channels  []ChannelHealth `json:"channels"`
	Reason    *string         `json:"reason"`
}

// ChannelHealth is one channel's state; Reason is null when usable.
type ChannelHealth struct {
	Address       string  `json:"address"`
	Reason        *string `json:"reason"`
	KeyStatus     string  `json:"keyStatus"`
	KeyPrefix     *string `json:"keyPrefix"`
	LastMessageAt *int64  `json:"lastMessageAt"`
}

// Activation is one binding reached through one channel.
type Activation struct {
	AgentID             string  `json:"agentId"`
	BindingID           string  `json:"bindingId"`
	IntegrationConfigID string  `json:"integrationConfigId"`
	Provider            *string `json:"provider"`
	Address             string  `json:"address"`
	// WebhookURL is always null: the full URL holds the webhook key, which
	// only the connectors API shows, once (the template and prefix stay).
	WebhookURL         *string `json:"webhookUrl"`
	WebhookURLTemplate *string `json:"webhookUrlTemplate"`
	WebhookKeyPrefix   *string `json:"webhookKeyPrefix"`
	Scope              string  `json:"scope"`
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func num(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// addressFormats are the sender address shapes of each provider (what
// the webhooks record): Slack user ids, Telegram numeric ids, WhatsApp
// wa_id digits, E.164 phone numbers, Teams AAD object ids or Bot
// Framework user ids. Compiled on first use: Lambda init stays cheap.
var addressFormats = sync.OnceValue(func() map[string]*regexp.Regexp {
	return map[string]*regexp.Regexp{
		"SLACK":      regexp.MustCompile(`^[UWB][A-Z0-9]{2,}$`),
		"TELEGRAM":   regexp.MustCompile(`^-?[0-9]{1,20}$`),
		"WHATSAPP":   regexp.MustCompile(`^[0-9]{6,15}$`),
		"TWILIO_SMS": regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`),
		"TEAMS":      regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9]+:.+)$`),
	}
})

// validAddress reports whether address can be one of provider's; an
// unknown provider accepts anything.
func validAddress(provider, address string) bool {
	re := addressFormats()[provider]
	return re == nil || re.MatchString(address)
}

// render builds the view of one participant.
func render(p roster.Participant, bindings []roster.Binding, last map[roster.ChannelKey]int64, conns map[string]Connector) View {
	v := View{
		ID: p.ID, Kind: p.Kind, DisplayName: p.DisplayName, Email: str(p.Email), RelatedAgentID: str(p.RelatedAgentID),
		Channels: make([]ChannelView, 0, len(p.Channels)), AgentIDs: append([]string{}, p.AgentIDs...),
		DisabledAt: num(p.DisabledAt), ChannelActivations: []Activation{},
		AvatarFileID: str(p.AvatarFileID), AvatarSource: str(p.AvatarSource), AvatarSourceConfigID: str(p.AvatarSourceConfigID),
		AvatarSourceAddress: str(p.AvatarSourceAddress), AvatarSyncedAt: num(p.AvatarSyncedAt), AvatarAutoSync: autoSync(p),
		CreatedAt: p.CreatedAt, ModifiedAt: p.ModifiedAt,
		Health: Health{Channels: make([]ChannelHealth, 0, len(p.Channels))},
	}
	for _, c := range p.Channels {
		v.Channels = append(v.Channels, ChannelView{IntegrationConfigID: c.IntegrationConfigID, Address: c.Address,
			Priority: c.Priority, Label: str(c.Label), Disabled: c.Disabled})
		h := ChannelHealth{Address: c.Address, KeyStatus: KeyUnspecified, LastMessageAt: num(last[c.Key()])}
		conn, ok := conns[c.IntegrationConfigID]
		var reason string
		switch {
		case !ok:
			reason = ReasonConnectorNotFound
		case c.Disabled:
			reason = ReasonChannelDisabled
		case !validAddress(conn.Provider, c.Address):
			reason = ReasonInvalidFormat
		}
		if ok {
			h.KeyStatus, h.KeyPrefix = KeyMissing, str(conn.WebhookKeyPrefix)
			if conn.WebhookKeyPrefix != "" {
				h.KeyStatus = KeyActive
			}
		}
		if reason == "" {
			v.Health.Reachable = true
		} else {
			h.Reason = str(reason)
			if v.Health.Reason == nil {
				v.Health.Reason = str(reason)
			}
		}
		v.Health.Channels = append(v.Health.Channels, h)
	}
	switch {
	case v.Health.Reachable:
		v.Health.Reason = nil
	case len(p.Channels) == 0:
		v.Health.Reason = str(ReasonNoChannels)
	}
	for _, b := range bindings {
		v.ChannelActivations = append(v.ChannelActivations, activations(p, b, conns)...)
	}
	return v
}

// activations are binding b reached through each of p's channels.
func activations(p roster.Participant, b roster.Binding, conns map[string]Connector) []Activation {
	out := make([]Activation, 0, len(p.Channels))
	for _, c := range p.Channels {
		a := Activation{AgentID: b.AgentID, BindingID: b.BindingID, IntegrationConfigID: c.IntegrationConfigID,
			Address: c.Address, Scope: ScopePerBinding}
		if conn, ok := conns[c.IntegrationConfigID]; ok {
			a.Provider = str(conn.Provider)
			a.WebhookURLTemplate, a.WebhookKeyPrefix = str(conn.WebhookURLTemplate), str(conn.WebhookKeyPrefix)
		}
		out = append(out, a)
	}
	return out
}

// BindingView is the answer of PUT .../bindings/{binding}: the docs'
// Binding object. tenantId is the path's tenant; a binding never changes,
// so modifiedAt is its createdAt.
type BindingView struct {
	ID                 string       `json:"id"`
	TenantID           string       `json:"tenantId"`
	CreatedAt          int64        `json:"createdAt"`
	ModifiedAt         int64        `json:"modifiedAt"`
	ParticipantID      string       `json:"participantId"`
	AgentID            string       `json:"agentId"`
	ChannelActivations []Activation `json:"channelActivations"`
}

// viewBinding renders binding b of participant p.
func (s *Service) viewBinding(ctx context.Context, tenant string, p roster.Participant, b roster.Binding) (BindingView, error) {
	conns, err := readConnectors(ctx, s.connectors, tenant, channelConnectors(p))
	if err != nil {
		return BindingView{}, fmt.Errorf("participants: connectors: %w", err)
	}
	return BindingView{ID: b.BindingID, TenantID: tenant, CreatedAt: b.CreatedAt, ModifiedAt: b.CreatedAt,
		ParticipantID: p.ID, AgentID: b.AgentID, ChannelActivations: activations(p, b, conns)}, nil
}

// viewOne renders a record read with its bindings.
func (s *Service) viewOne(ctx context.Context, tenant string, rec roster.ParticipantRecord) (View, error) {
	return s.viewWith(ctx, tenant, rec, nil)
}

// viewWith is viewOne with some connectors already read.
func (s *Service) viewWith(ctx context.Context, tenant string, rec roster.ParticipantRecord, known map[string]Connector) (View, error) {
	d, err := s.store.LoadParticipantDetails(ctx, tenant, []roster.Participant{rec.Participant}, false)
	if err != nil {
		return View{}, err
	}
	var ids []string
	for _, id := range channelConnectors(rec.Participant) {
		if _, ok := known[id]; !ok {
			ids = append(ids, id)
		}
	}
	conns, err := readConnectors(ctx, s.connectors, tenant, ids)
	if err != nil {
		return View{}, fmt.Errorf("participants: connectors: %w", err)
	}
	for id, c := range known {
		conns[id] = c
	}
	return render(rec.Participant, rec.Bindings, d.LastMessageAt, conns), nil
}

// viewMany renders a page: one BatchGet for bindings and channel
// activity, one read per distinct connector.
func (s *Service) viewMany(ctx context.Context, tenant string, ps []roster.Participant) ([]View, error) {
	out := make([]View, 0, len(ps))
	if len(ps) == 0 {
		return out, nil
	}
	d, err := s.store.LoadParticipantDetails(ctx, tenant, ps, true)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, p := range ps {
		ids = append(ids, channelConnectors(p)...)
	}
	conns, err := readConnectors(ctx, s.connectors, tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("participants: connectors: %w", err)
	}
	for _, p := range ps {
		out = append(out, render(p, d.Bindings[p.ID], d.LastMessageAt, conns))
	}
	return out, nil
}

func channelConnectors(p roster.Participant) []string {
	ids := make([]string, 0, len(p.Channels))
	for _, c := range p.Channels {
		ids = append(ids, c.IntegrationConfigID)
	}
	return ids
}
