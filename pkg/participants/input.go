package participants

import (
	"net/http"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/problem"
)

// Field bounds.
const (
	maxDisplayName = 150
	maxEmail       = 254
	maxAddress     = 256
	maxLabel       = 100
	maxPriority    = 1000
)

var kinds = map[string]bool{roster.KindPerson: true, roster.KindGroup: true, roster.KindAIAgent: true}

// channelInput is one element of "channels".
type channelInput struct {
	IntegrationConfigID *string `json:"integrationConfigId"`
	Address             *string `json:"address"`
	Priority            *int    `json:"priority"`
	Label               *string `json:"label"`
	Disabled            *bool   `json:"disabled"`
}

// input is the body of POST and PATCH. A nil field was absent or null:
// PATCH leaves it unchanged.
type input struct {
	Kind           *string         `json:"kind"`
	DisplayName    *string         `json:"displayName"`
	Email          *string         `json:"email"`
	RelatedAgentID *string         `json:"relatedAgentId"`
	AvatarFileID   *string         `json:"avatarFileId"`
	Channels       *[]channelInput `json:"channels"`
	AgentIDs       *[]string       `json:"agentIds"`

	channels []roster.Channel // validated
	agentIDs []string         // validated, sorted, unique
}

func bad(typ, detail string) error { return problem.BadRequest(typ, detail) }

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// validate checks every present field on its own, in the order of the
// fields, so the first bad one is reported.
func (in *input) validate() error {
	if err := in.validateProfile(); err != nil {
		return err
	}
	return in.validateLists()
}

// validateProfile checks the scalar fields and trims displayName.
func (in *input) validateProfile() error {
	if in.Kind != nil && !kinds[*in.Kind] {
		return bad("invalid-kind", "kind must be one of PERSON, GROUP, AI_AGENT")
	}
	if in.DisplayName != nil {
		d, err := displayName(*in.DisplayName)
		if err != nil {
			return err
		}
		in.DisplayName = &d
	}
	if in.Email != nil && *in.Email != "" && !validEmail(*in.Email) {
		return bad("invalid-email", "email must be a bare e-mail address (name@example.com)")
	}
	if in.RelatedAgentID != nil && *in.RelatedAgentID != "" && !httpapi.ValidAgentID(*in.RelatedAgentID) {
		return bad("invalid-related-agent-id", "relatedAgentId must be 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
	}
	return nil
}

// validateLists checks channels and agentIds into their validated forms.
func (in *input) validateLists() error {
	if in.Channels != nil {
		chs, err := parseChannels(*in.Channels)
		if err != nil {
			return err
		}
		in.channels = chs
	}
	if in.AgentIDs != nil {
		ids, err := parseAgentIDs(*in.AgentIDs)
		if err != nil {
			return err
		}
		in.agentIDs = ids
	}
	return nil
}

// displayName returns d trimmed, or an error when it is empty, too long
// or holds control characters.
func displayName(d string) (string, error) {
	d = strings.TrimSpace(d)
	if d == "" || utf8.RuneCountInString(d) > maxDisplayName || !utf8.ValidString(d) || hasControl(d) {
		return "", bad("invalid-display-name", "displayName must be 1-150 characters")
	}
	return d, nil
}

// validEmail accepts a bare address only: no display name, no comments.
func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return len(e) <= maxEmail && err == nil && a.Address == e
}

// parseChannels validates each channel and rejects repeats.
func parseChannels(in []channelInput) ([]roster.Channel, error) {
	if len(in) > roster.MaxChannels {
		return nil, bad("too-many-channels", "a participant has at most "+strconv.Itoa(roster.MaxChannels)+" channels")
	}
	seen := map[roster.ChannelKey]bool{}
	out := make([]roster.Channel, 0, len(in))
	for i, c := range in {
		ch, err := c.channel(i)
		if err != nil {
			return nil, err
		}
		if seen[ch.Key()] {
			return nil, bad("duplicate-channel", "channels["+strconv.Itoa(i)+"] repeats an earlier channel")
		}
		seen[ch.Key()] = true
		out = append(out, ch)
	}
	return out, nil
}

// parseAgentIDs validates the ids and returns them sorted without
// repeats; the bound applies after repeats are dropped.
func parseAgentIDs(in []string) ([]string, error) {
	seen := map[string]bool{}
	out := []string{}
	for _, a := range in {
		if !httpapi.ValidAgentID(a) {
			return nil, bad("invalid-agent-id", "agentIds must hold 1-128 characters of A-Z, a-z, 0-9, '.', '-' or '_'")
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if len(out) > roster.MaxAgents {
		return nil, bad("too-many-agents", "a participant has at most "+strconv.Itoa(roster.MaxAgents)+" agents")
	}
	sort.Strings(out)
	return out, nil
}

func (c channelInput) channel(i int) (roster.Channel, error) {
	at := "channels[" + strconv.Itoa(i) + "]"
	if c.IntegrationConfigID == nil || c.Address == nil {
		return roster.Channel{}, bad("invalid-channel", at+" needs integrationConfigId and address")
	}
	id, err := httpapi.ParseID(at+".integrationConfigId", *c.IntegrationConfigID)
	if err != nil {
		return roster.Channel{}, err
	}
	a := *c.Address
	if !validChannelAddress(a) {
		return roster.Channel{}, bad("invalid-address", at+".address must be 1-256 characters without surrounding spaces")
	}
	ch := roster.Channel{IntegrationConfigID: id, Address: a}
	if c.Priority != nil {
		if *c.Priority < 0 || *c.Priority > maxPriority {
			return roster.Channel{}, bad("invalid-priority", at+".priority must be 0-1000")
		}
		ch.Priority = *c.Priority
	}
	if c.Label != nil {
		l := strings.TrimSpace(*c.Label)
		if !validLabel(l) {
			return roster.Channel{}, bad("invalid-label", at+".label must be at most 100 characters")
		}
		ch.Label = l
	}
	if c.Disabled != nil {
		ch.Disabled = *c.Disabled
	}
	return ch, nil
}

// validChannelAddress: addresses are compared byte for byte, so surrounding
// spaces are refused rather than trimmed.
func validChannelAddress(a string) bool {
	return a != "" && utf8.RuneCountInString(a) <= maxAddress && utf8.ValidString(a) && !hasControl(a) && strings.TrimSpace(a) == a
}

func validLabel(l string) bool {
	return utf8.RuneCountInString(l) <= maxLabel && utf8.ValidString(l) && !hasControl(l)
}

// forCreate validates a POST body and returns the participant it names.
func (in *input) forCreate() (roster.Participant, error) {
	if err := in.validate(); err != nil {
		return roster.Participant{}, err
	}
	if in.Kind == nil {
		return roster.Participant{}, bad("kind-required", "kind is required: PERSON, GROUP or AI_AGENT")
	}
	if in.DisplayName == nil {
		return roster.Participant{}, bad("invalid-display-name", "displayName is required (1-150 characters)")
	}
	if in.AvatarFileID != nil && *in.AvatarFileID != "" {
		return roster.Participant{}, bad("invalid-avatar-file-id", "a new participant has no avatar yet; use avatar:syncFromChannel once it exists")
	}
	p := roster.Participant{Kind: *in.Kind, DisplayName: *in.DisplayName, Channels: in.channels, AgentIDs: in.agentIDs}
	if p.Channels == nil {
		p.Channels = []roster.Channel{}
	}
	if in.Email != nil {
		p.Email = *in.Email
	}
	if in.RelatedAgentID != nil {
		p.RelatedAgentID = *in.RelatedAgentID
	}
	return p, nil
}

// avatarKey matches an object this service stored for one participant.
var avatarKey = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^avatars/([A-Za-z0-9_-]+)/([0-9a-f-]{36})/[0-9a-f]{64}\.(png|jpg|gif|webp)$`)
})

// applyTo returns cur with a validated PATCH body applied.
func (in *input) applyTo(tenant string, cur roster.Participant) (roster.Participant, error) {
	next := cur
	if in.Kind != nil && *in.Kind != cur.Kind {
		return next, problem.New(http.StatusBadRequest, "kind-immutable", "kind is fixed at creation ("+cur.Kind+")")
	}
	if in.DisplayName != nil {
		next.DisplayName = *in.DisplayName
	}
	if in.Email != nil {
		next.Email = *in.Email
	}
	if in.RelatedAgentID != nil {
		next.RelatedAgentID = *in.RelatedAgentID
	}
	if in.Channels != nil {
		next.Channels = in.channels
	}
	if in.AgentIDs != nil {
		next.AgentIDs = in.agentIDs
	}
	if in.AvatarFileID != nil && *in.AvatarFileID != cur.AvatarFileID {
		switch f := *in.AvatarFileID; {
		case f == "":
			next.AvatarFileID, next.AvatarSource, next.AvatarSourceConfigID, next.AvatarSourceAddress, next.AvatarSyncedAt = "", "", "", "", 0
		default:
			m := avatarKey().FindStringSubmatch(f)
			if m == nil || m[1] != tenant || m[2] != cur.ID {
				return next, bad("invalid-avatar-file-id", "avatarFileId must be \"\" (clear) or an avatar stored for this participant")
			}
			next.AvatarFileID, next.AvatarSource, next.AvatarSourceConfigID, next.AvatarSourceAddress, next.AvatarSyncedAt = f, roster.AvatarUploaded, "", "", 0
		}
	}
	return next, nil
}
