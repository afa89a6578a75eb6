package accessrequests_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

// A hook's action that fails its condition is a conflict, whatever its
// position in the approval's transaction. When failures were decoded by
// position, a failing hook action behind a BIND_ONLY approval without an
// alias sat where the channel claim sits on other approvals and was read
// as "channel taken" (a lookup of the channel, then a wrong error).
func TestApproveHookFailureIsNotChannelTaken(t *testing.T) {
	tbl := dynamokit.NewTable(t)
	repo, people := accessrequests.NewRepo(tbl.Store), roster.NewRepo(tbl.Store)
	ctx := context.Background()
	const tenant, agent, connector = "acme", "agent-1", "00000000-0000-4000-8000-0000000000c1"
	now := time.Now().UnixMilli()

	failingHook := func(tx *store.Tx) {
		tx.Check("hook:must-exist", tx.Table().Check("PK", "NO#SUCH#ITEM").Range("SK", store.MarkerSK).IfExists())
	}
	okHook := func(tx *store.Tx) {
		tx.Check("hook:absent", tx.Table().Check("PK", "NO#SUCH#ITEM").Range("SK", store.MarkerSK).IfNotExists())
	}
	tests := []struct {
		name       string
		mode       string
		hook       store.TxAction
		wantErr    error
		wantStatus string
	}{
		{"bind only, failing hook", accessrequests.ModeBindOnly, failingHook, store.ErrConflict, accessrequests.StatusPending},
		{"add to existing, failing hook", accessrequests.ModeAddToExisting, failingHook, store.ErrConflict, accessrequests.StatusPending},
		{"bind only, passing hook", accessrequests.ModeBindOnly, okHook, nil, accessrequests.StatusApproved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := uuid.NewString()
			p := roster.Participant{ID: pid, Kind: roster.KindPerson, DisplayName: "Existing", CreatedAt: now, ModifiedAt: now}
			if err := people.CreateParticipant(ctx, tenant, p, nil); err != nil {
				t.Fatal(err)
			}
			ar := accessrequests.AccessRequest{ID: uuid.NewString(), IntegrationConfigID: connector, Provider: "SLACK",
				Address: "U" + uuid.NewString()[:8], AgentID: agent, CreatedAt: now, ModifiedAt: now}
			if err := repo.CreateAccessRequest(ctx, tenant, accessrequests.NewPendingRequest{Request: ar}); err != nil {
				t.Fatal(err)
			}
			cur, err := repo.GetAccessRequest(ctx, tenant, ar.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = repo.Approve(ctx, tenant, cur, accessrequests.Approval{Mode: tt.mode, ParticipantID: pid,
				BindingID: uuid.NewString(), By: "editor", At: now + 1, Extra: []store.TxAction{tt.hook}})
			var taken *roster.ChannelTakenError
			if errors.As(err, &taken) {
				t.Fatalf("Approve error = %v: a hook's failure read as channel taken", err)
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Approve error = %v, want %v", err, tt.wantErr)
			}
			got, err := repo.GetAccessRequest(ctx, tenant, ar.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", got.Status, tt.wantStatus)
			}
		})
	}
}

// An ADD_TO_EXISTING approval whose channel claim fails: when the target
// already owns the channel the approval goes through without claiming it
// again (and without a second copy in channels); when another
// participant owns it, the request stays PENDING.
func TestApproveChannelAlreadyClaimed(t *testing.T) {
	tbl := dynamokit.NewTable(t)
	repo, people := accessrequests.NewRepo(tbl.Store), roster.NewRepo(tbl.Store)
	ctx := context.Background()
	const tenant, agent, connector = "acme", "agent-1", "00000000-0000-4000-8000-0000000000c1"
	now := time.Now().UnixMilli()

	tests := []struct {
		name        string
		targetOwns  bool
		wantTaken   bool
		wantStatus  string
		wantChannel int // channels of the target afterwards
	}{
		{"target owns the channel", true, false, accessrequests.StatusApproved, 1},
		{"another owns the channel", false, true, accessrequests.StatusPending, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := "U" + uuid.NewString()[:8]
			ch := []roster.Channel{{IntegrationConfigID: connector, Address: addr}}
			target := roster.Participant{ID: uuid.NewString(), Kind: roster.KindPerson, DisplayName: "Target", Channels: []roster.Channel{}, CreatedAt: now, ModifiedAt: now}
			other := roster.Participant{ID: uuid.NewString(), Kind: roster.KindPerson, DisplayName: "Other", Channels: []roster.Channel{}, CreatedAt: now, ModifiedAt: now}
			if tt.targetOwns {
				target.Channels = ch
			} else {
				other.Channels = ch
			}
			for _, p := range []roster.Participant{target, other} {
				if err := people.CreateParticipant(ctx, tenant, p, nil); err != nil {
					t.Fatal(err)
				}
			}
			ar := accessrequests.AccessRequest{ID: uuid.NewString(), IntegrationConfigID: connector, Provider: "SLACK",
				Address: addr, AgentID: agent, CreatedAt: now, ModifiedAt: now}
			if err := repo.CreateAccessRequest(ctx, tenant, accessrequests.NewPendingRequest{Request: ar}); err != nil {
				t.Fatal(err)
			}
			cur, err := repo.GetAccessRequest(ctx, tenant, ar.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = repo.Approve(ctx, tenant, cur, accessrequests.Approval{Mode: accessrequests.ModeAddToExisting, ParticipantID: target.ID,
				BindingID: uuid.NewString(), By: "editor", At: now + 1})
			var taken *roster.ChannelTakenError
			if tt.wantTaken != errors.As(err, &taken) || !tt.wantTaken && err != nil {
				t.Fatalf("Approve error = %v, want taken %v", err, tt.wantTaken)
			}
			if tt.wantTaken && taken.ParticipantID != other.ID {
				t.Errorf("taken by %s, want %s", taken.ParticipantID, other.ID)
			}
			got, err := repo.GetAccessRequest(ctx, tenant, ar.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", got.Status, tt.wantStatus)
			}
			rec, err := people.GetParticipantRecord(ctx, tenant, target.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Channels) != tt.wantChannel {
				t.Errorf("target channels = %v, want %d", rec.Channels, tt.wantChannel)
			}
			_, bound := rec.Binding(agent)
			if bound == tt.wantTaken {
				t.Errorf("bound to %s = %v, want %v", agent, bound, !tt.wantTaken)
			}
		})
	}
}
