package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/collaborators"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/issuerkit"
)

// Demo names the seeded objects.
type Demo struct {
	Tenant, Agent string
	// Connectors maps provider to connector id.
	Connectors  map[string]string
	Pending     []accessrequests.AccessRequest
	Participant string
}

// Demo tenant, agent and subjects.
const (
	DemoTenant = "demo"
	DemoAgent  = "support-bot"
)

// DemoSubjects are the seeded agent collaborators (alice is a tenant ADMIN by token).
var DemoSubjects = map[string]string{"bob": authz.RoleAdmin, "carol": authz.RoleEditor, "dave": authz.RoleViewer}

var ns = uuid.MustParse("6f1c3c56-8a4e-4e59-9a53-0d2f8f3c1a11")

// DemoID is a stable id for a demo object, so restarts find the same data.
func DemoID(name string) string { return uuid.NewSHA1(ns, []byte(name)).String() }

// Providers in the order the demo seeds them.
var Providers = []string{"SLACK", "TEAMS", "TELEGRAM", "WHATSAPP", "TWILIO_SMS"}

// Seeders let other packages add demo data (connectors, documents...).
// Each must be idempotent.
var Seeders []func(ctx context.Context, deps *routes.Deps, d *Demo) error

// Seed writes the demo data once; later runs find it and change nothing.
func Seed(ctx context.Context, deps *routes.Deps) (*Demo, error) {
	p := deps.Platform
	d := &Demo{Tenant: DemoTenant, Agent: DemoAgent, Connectors: map[string]string{}}
	for _, prov := range Providers {
		d.Connectors[prov] = DemoID("connector/" + prov)
	}
	senders := []struct{ provider, address, name, conv string }{
		{"SLACK", "U0DEMODANA", "Dana Scully", "#support"},
		{"TELEGRAM", "424242", "Fox Mulder", "Fox Mulder"},
		{"WHATSAPP", "15551234567", "Monica Reyes", ""},
		{"TWILIO_SMS", "+15557654321", "", ""},
	}
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC).UnixMilli()
	for i, s := range senders {
		d.Pending = append(d.Pending, accessrequests.AccessRequest{
			ID: DemoID("request/" + s.address), IntegrationConfigID: d.Connectors[s.provider], Provider: s.provider,
			Address: s.address, AgentID: DemoAgent, DisplayName: s.name, ConversationName: s.conv,
			CreatedAt: base + int64(i)*60_000, ModifiedAt: base + int64(i)*60_000,
		})
	}
	d.Participant = DemoID("participant/skinner")

	// One marker item says the demo exists.
	err := p.Store.Table().Put(struct {
		PK string `dynamo:"PK"`
		SK string `dynamo:"SK"`
		At int64  `dynamo:"createdAt"`
	}{"DEVSEED", "M", time.Now().UnixMilli()}).If("attribute_not_exists(PK)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return d, runSeeders(ctx, deps, d)
	}
	if err != nil {
		return nil, fmt.Errorf("devserver: seed marker: %w", err)
	}
	now := time.Now().UnixMilli()
	for sub, role := range DemoSubjects {
		if _, err := collaborators.NewRepo(p.Store).Grant(ctx, DemoTenant, collaborators.Grant{AgentID: DemoAgent, UserID: sub, Role: role, By: "seed", At: now}); err != nil {
			return nil, err
		}
		// The profile the users' tokens would bring, so requests e-mail bob.
		if err := collaborators.NewRepo(p.Store).RefreshProfile(ctx, DemoTenant, DemoAgent, sub, demoProfile(sub)); err != nil {
			return nil, err
		}
	}
	// erin asks to be EDITOR (seeded without the e-mail to bob).
	erin := demoCollaboratorRequest(now)
	noMail := func(collaborators.Collaborator) ([]store.TxAction, error) { return nil, nil }
	if _, err := collaborators.NewRepo(p.Store).RequestAccess(ctx, DemoTenant, erin, noMail); err != nil {
		return nil, err
	}
	for _, ar := range d.Pending {
		if err := accessrequests.NewRepo(p.Store).CreateAccessRequest(ctx, DemoTenant, accessrequests.NewPendingRequest{Request: ar}); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("devserver: seed request: %w", err)
		}
	}
	// The participant: a Teams sender approved by carol.
	teams := accessrequests.AccessRequest{ID: DemoID("request/skinner"), IntegrationConfigID: d.Connectors["TEAMS"], Provider: "TEAMS",
		Address: "29:1demo-aad-object-id", AgentID: DemoAgent, DisplayName: "Walter Skinner", ConversationName: "Support",
		CreatedAt: base - 86_400_000, ModifiedAt: base - 86_400_000}
	if err := accessrequests.NewRepo(p.Store).CreateAccessRequest(ctx, DemoTenant, accessrequests.NewPendingRequest{Request: teams}); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, err
	}
	teams.Status = accessrequests.StatusPending
	if _, err := accessrequests.NewRepo(p.Store).Approve(ctx, DemoTenant, teams, accessrequests.Approval{Mode: accessrequests.ModeCreateNew, ParticipantID: d.Participant,
		DisplayName: "Walter Skinner", BindingID: DemoID("binding/skinner"), By: "carol", Note: "demo", At: base - 3_600_000}); err != nil &&
		!errors.Is(err, accessrequests.ErrNotPending) {
		return nil, fmt.Errorf("devserver: seed participant: %w", err)
	}
	return d, runSeeders(ctx, deps, d)
}

// demoCollaboratorRequest is erin's request for a role, made at at.
func demoCollaboratorRequest(at int64) collaborators.Request {
	return collaborators.Request{AgentID: DemoAgent, UserID: "erin", Role: authz.RoleEditor, Profile: demoProfile("erin"), At: at}
}

func runSeeders(ctx context.Context, deps *routes.Deps, d *Demo) error {
	for _, s := range Seeders {
		if err := s(ctx, deps, d); err != nil {
			return err
		}
	}
	return nil
}

func printWelcome(w io.Writer, base string, iss *issuerkit.Issuer, d *Demo) error {
	mint := func(sub, role string) (string, error) {
		return iss.Mint(issuerkit.Claims{Subject: sub, Tenants: map[string]string{DemoTenant: role}})
	}
	alice, err := mint("alice", "ADMIN")
	if err != nil {
		return err
	}
	carol, err := mint("carol", "MEMBER")
	if err != nil {
		return err
	}
	dave, err := mint("dave", "MEMBER")
	if err != nil {
		return err
	}
	api := base + "/v1/tenants/" + DemoTenant
	fmt.Fprintf(w, `
gatehouse dev server on %[1]s  (Ctrl-C stops everything it started)
Console: %[1]s/console/ (sign in as any demo user on the dev issuer's page, %[1]s/dev-issuer)
tenant %[2]q, agent %[3]q; alice = tenant ADMIN, bob = agent ADMIN, carol = EDITOR, dave = VIEWER, erin asks for EDITOR.
More tokens: make token SUB=carol TENANT=demo TENANT_ROLE=MEMBER

export ALICE=%[4]s
export CAROL=%[5]s
export DAVE=%[6]s

# pending requests of the agent (as the viewer; the docs spell the parameters AgentId and Status, any case works)
curl -s -H "Authorization: Bearer $DAVE" '%[7]s/participantAccessRequests?AgentId=%[3]s&Status=pending'
# the same rows in the legacy chat-user model seed 002's panel uses (identifier, userName, connectorId)
curl -s -H "Authorization: Bearer $DAVE" '%[7]s/agents/%[3]s/chatUserAccessRequests?Status=pending'
# one request (seed 000 fields)
curl -s -H "Authorization: Bearer $DAVE" %[7]s/participantAccessRequests/%[8]s
# decision messages (extension): the Slack config tells its senders the outcome (the chat stand-in logs each send)
curl -s -X PATCH -H "Authorization: Bearer $ALICE" -H "Content-Type: application/json" %[7]s/integrations/slack/configs/%[11]s -d '{"approvedMessage":"You are in!","rejectedMessage":"Not now, sorry."}'
# reject it (the seed 000 curl; carol is EDITOR)
curl -s -X POST -H "Authorization: Bearer $CAROL" -H "Content-Type: application/json" %[7]s/participantAccessRequests/%[8]s:reject -d '{}'
# approve another as a new participant
curl -s -X POST -H "Authorization: Bearer $CAROL" -H "Content-Type: application/json" %[7]s/participantAccessRequests/%[9]s:approve -d '{"mode":"CREATE_NEW","note":"welcome"}'
# block a third; lift the block again
curl -s -X POST -H "Authorization: Bearer $CAROL" -H "Content-Type: application/json" %[7]s/participantAccessRequests/%[10]s:block -d '{"note":"spam"}'
curl -s -X DELETE -H "Authorization: Bearer $CAROL" %[7]s/participantAccessRequests/%[10]s:block
# bulk (extension): up to 100 ids, one result each in input order (the first was rejected above: a not-pending problem)
curl -s -X POST -H "Authorization: Bearer $CAROL" -H "Content-Type: application/json" %[7]s/participantAccessRequests:batchReject -d '{"ids":["%[8]s","%[12]s"],"note":"bulk"}'
# agent collaborators and erin's pending request (alice, tenant ADMIN, may change them)
curl -s -H "Authorization: Bearer $ALICE" %[7]s/agents/%[3]s/collaborators
curl -s -X POST -H "Authorization: Bearer $ALICE" %[7]s/agents/%[3]s/collaborators/erin:approve
curl -s -X PUT -H "Authorization: Bearer $ALICE" -H "Content-Type: application/json" %[7]s/agents/%[3]s/collaborators -d '{"userId":"frank","role":"EDITOR"}'
# grace asks for access: bob, the agent's ADMIN, gets the e-mail (MAIL_DIR)
curl -s -X POST -H "Authorization: Bearer $(make -s token SUB=grace EMAIL=grace@demo.example GIVEN_NAME=Grace)" '%[7]s/agents/%[3]s/collaborators:requestAccess?role=VIEWER'
`, base, DemoTenant, DemoAgent, alice, carol, dave, api, d.Pending[0].ID, d.Pending[1].ID, d.Pending[2].ID, d.Connectors["SLACK"], d.Pending[3].ID)
	for _, h := range Welcome {
		h(w, base, iss, d)
	}
	return nil
}

// Welcome lets other packages add curl lines to the start-up banner.
var Welcome []func(w io.Writer, base string, iss *issuerkit.Issuer, d *Demo)
