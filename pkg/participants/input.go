package participants

import (
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
	maxEmail       = 4000 // the docs' bound; email is a plain string
	maxAddress     = 256
	maxLabel       = 100
	maxPriority    = 1000
)

// kindUnspecified is the docs' zero value of kind: a PERSON.
const kindUnspecified = "UNSPECIFIED"

var kinds = map[string]bool{roster.KindPerson: true, roster.KindGroup: true, roster.KindAIAgent: true}

// channelInput is one element of "channels".
type channelInput struct {
	IntegrationConfigID *string `json:"integrationConfigId"`
	Address             *string `json:"address"`
	Priority            *int    `json:"priority"`
	Label               *string `json:"label"`
	Disabled            *bool   `json:"disabled"`
}

// input is the body of PATCH, and of POST without kind. A nil field was
// absent or null: PATCH leaves it unchanged. PATCH has no kind, so the
// strict decoder answers 400 unknown-field to one, as the docs' closed
// body does.
type input struct {
	DisplayName    *string         `json:"displayName"`
	Email          *string         `json:"email"`
	RelatedAgentID *string         `json:"relatedAgentId"`
	AvatarFileID   *string         `json:"avatarFileId"`
	Channels       *[]channelInput `json:"channels"`
	AgentIDs       *[]string       `json:"agentIds"`

	channels []roster.Channel // validated
	agentIDs []string         // validated, sorted, unique
}

// createInput is the body of POST: input plus kind.
type createInput struct {
	Kind *string `json:"kind"`
	input
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
	if in.DisplayName != nil {
		d, err := displayName(*in.DisplayName)
		if err != nil {
			return err
		}
		in.DisplayName = &d
	}
	if in.Email != nil && !validEmail(*in.Email) {
		return bad("invalid-email", "email must be at most 4000 characters")
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

// validEmail applies the docs' only rule, a length; gatehouse sends no
// e-mail to participants, so the value is not parsed.
func validEmail(e string) bool {
	return utf8.RuneCountInString(e) <= maxEmail && utf8.ValidString(e)
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

// forCreate validates a POST body for tenant and returns the participant
// it names. An absent, null or UNSPECIFIED kind is a PERSON.
func (in *createInput) forCreate(tenant string) (roster.Participant, error) {
	kind := roster.KindPerson
	if in.Kind != nil && *in.Kind != kindUnspecified {
		if !kinds[*in.Kind] {
			return roster.Participant{}, bad("invalid-kind", "kind must be one of UNSPECIFIED (= PERSON), PERSON, GROUP, AI_AGENT")
		}
		kind = *in.Kind
	}
	if err := in.validate(); err != nil {
		return roster.Participant{}, err
	}
	if in.DisplayName == nil {
		return roster.Participant{}, bad("invalid-display-name", "displayName is required (1-150 characters)")
	}
	p := roster.Participant{Kind: kind, DisplayName: *in.DisplayName, Channels: in.channels, AgentIDs: in.agentIDs}
	if p.Channels == nil {
		p.Channels = []roster.Channel{}
	}
	if in.Email != nil {
		p.Email = *in.Email
	}
	if in.RelatedAgentID != nil {
		p.RelatedAgentID = *in.RelatedAgentID
	}
	if in.AvatarFileID != nil && *in.AvatarFileID != "" {
		if !uploadedFile(tenant, *in.AvatarFileID) {
			return roster.Participant{}, errAvatarFileID()
		}
		p.AvatarFileID, p.AvatarSource = *in.AvatarFileID, roster.AvatarUploaded
	}
	return p, nil
}

// avatarKey matches an object the avatar routes stored (blob.AvatarKey):
// avatars/{tenant}/{participant}/{sha256}.{ext}.
var avatarKey = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^avatars/([A-Za-z0-9_-]+)/([0-9a-f-]{36})/[0-9a-f]{64}\.(png|jpg|gif|webp)$`)
})

// uploadedFile reports whether id is an uploaded file id of tenant: the
// key of an avatar object gatehouse stored for any participant of the
// tenant (what avatar:syncFromChannel returns in avatarFileId). Whether
// the object still exists is not checked here (this function has no S3
// access); GET .../avatar answers 404 no-avatar when it does not.
func uploadedFile(tenant, id string) bool {
	m := avatarKey().FindStringSubmatch(id)
	return m != nil && m[1] == tenant
}

func errAvatarFileID() error {
	return bad("invalid-avatar-file-id", "avatarFileId must be \"\" (none) or an uploaded file id of this tenant: avatars/{tenant}/{participantId}/{sha256}.{png|jpg|gif|webp}, as avatar:syncFromChannel returns it")
}

// applyTo returns cur with a validated PATCH body applied.
func (in *input) applyTo(tenant string, cur roster.Participant) (roster.Participant, error) {
	next := cur
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
			if !uploadedFile(tenant, f) {
				return next, errAvatarFileID()
			}
			next.AvatarFileID, next.AvatarSource, next.AvatarSourceConfigID, next.AvatarSourceAddress, next.AvatarSyncedAt = f, roster.AvatarUploaded, "", "", 0
		}
	}
	return next, nil
}
