package roster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

func TestMain(m *testing.M) { dynamokit.Main(m) }

const tenant = "acme"

func names(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%02d", prefix, i))
	}
	return out
}

// ReplaceParticipant against DynamoDB Local: the plan it computes (claims,
// releases, unbinds, binds) must land as items, and each refusal must be
// the documented error.
func TestReplaceParticipant(t *testing.T) {
	tbl := dynamokit.NewTable(t)
	repo := roster.NewRepo(tbl.Store)
	ctx := context.Background()

	tests := []struct {
		name                  string
		startCh, startAg      []string
		stray                 []string // binding items agentIds does not name (a crashed write's leftovers)
		direct                bool     // write start's items directly: it is past the bounds
		otherCh               []string // channels another participant owns
		nextCh, nextAg        []string // nil: unchanged
		stale                 bool     // the stored participant changed after it was read
		wantErr               error
		wantMsg               string
		wantTaken             bool
		wantOwned, wantAgents []string // after a successful replace
	}{
		{name: "fields only", startCh: []string{"U1"}, startAg: []string{"a"},
			wantOwned: []string{"U1"}, wantAgents: []string{"a"}},
		{name: "fields only, stale", startCh: []string{"U1"}, stale: true, wantErr: store.ErrConflict},
		{name: "channels and agents swapped", startCh: []string{"U1", "U2"}, startAg: []string{"a", "b"},
			nextCh: []string{"U2", "U3"}, nextAg: []string{"b", "c"},
			wantOwned: []string{"U2", "U3"}, wantAgents: []string{"b", "c"}},
		{name: "stray binding removed", startAg: []string{"a"}, stray: []string{"z"}, nextAg: []string{"a", "b"},
			wantAgents: []string{"a", "b"}},
		{name: "channel change, stale", startCh: []string{"U1"}, nextCh: []string{"U1", "U2"}, stale: true,
			wantErr: store.ErrConflict},
		{name: "added channel owned by another", startCh: []string{"U1"}, otherCh: []string{"U9"},
			nextCh: []string{"U1", "U9"}, wantTaken: true},
		{name: "duplicate channel", nextCh: []string{"U1", "U1"}, wantMsg: "roster: duplicate channel"},
		{name: "growing past the bound", startAg: names("a", 0, roster.MaxAgents), nextAg: names("a", 0, roster.MaxAgents+1),
			wantErr: roster.ErrTooMany},
		{name: "past the bound, not growing", startAg: names("a", 0, roster.MaxAgents+2), direct: true,
			nextAg: names("a", 1, roster.MaxAgents+2), wantAgents: names("a", 1, roster.MaxAgents+2)},
		{name: "more than 100 writes",
			startCh: names("U", 0, roster.MaxChannels), startAg: names("a", 0, roster.MaxAgents), stray: names("s", 0, 20),
			nextCh: names("U", roster.MaxChannels, 2*roster.MaxChannels), nextAg: names("a", roster.MaxAgents, 2*roster.MaxAgents),
			wantErr: roster.ErrChangeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A connector per case keeps channels apart: they are unique
			// in the tenant.
			conn := uuid.NewString()
			chans := func(addrs []string) []roster.Channel {
				out := []roster.Channel{}
				for _, a := range addrs {
					out = append(out, roster.Channel{IntegrationConfigID: conn, Address: a})
				}
				return out
			}
			if tt.otherCh != nil {
				o := roster.Participant{ID: uuid.NewString(), Kind: roster.KindPerson, DisplayName: "other", Channels: chans(tt.otherCh), CreatedAt: 1, ModifiedAt: 1}
				if err := repo.CreateParticipant(ctx, tenant, o, nil); err != nil {
					t.Fatal(err)
				}
			}
			p := roster.Participant{ID: uuid.NewString(), Kind: roster.KindPerson, DisplayName: "start",
				Channels: chans(tt.startCh), AgentIDs: tt.startAg, CreatedAt: 1, ModifiedAt: 1}
			put := func(item any) {
				t.Helper()
				if err := tbl.DB.Table(tbl.Name).Put(item).Run(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if tt.direct {
				put(roster.NewParticipantItem(tenant, p))
				for _, a := range tt.startAg {
					put(roster.NewBinding(tenant, p.ID, a, "b-"+a, 1))
				}
			} else if err := repo.CreateParticipant(ctx, tenant, p, nil); err != nil {
				t.Fatal(err)
			}
			for _, a := range tt.stray {
				put(roster.NewBinding(tenant, p.ID, a, "stray", 1))
			}
			cur, err := repo.GetParticipantRecord(ctx, tenant, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.stale {
				if _, err := repo.SetDisabled(ctx, tenant, p.ID, true, 2); err != nil {
					t.Fatal(err)
				}
			}
			next := cur.Participant
			next.DisplayName, next.ModifiedAt = "renamed", 3
			if tt.nextCh != nil {
				next.Channels = chans(tt.nextCh)
			}
			if tt.nextAg != nil {
				next.AgentIDs = tt.nextAg
			}
			ids := map[string]string{}
			for _, a := range next.AgentIDs {
				ids[a] = "b-" + a
			}
			err = repo.ReplaceParticipant(ctx, tenant, cur, next, ids)

			var taken *roster.ChannelTakenError
			switch {
			case tt.wantTaken:
				if !errors.As(err, &taken) || !errors.Is(err, store.ErrConflict) {
					t.Fatalf("err = %v, want *ChannelTakenError", err)
				}
				return
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			case tt.wantMsg != "":
				if err == nil || len(err.Error()) < len(tt.wantMsg) || err.Error()[:len(tt.wantMsg)] != tt.wantMsg {
					t.Fatalf("err = %v, want %q...", err, tt.wantMsg)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			got, err := repo.GetParticipantRecord(ctx, tenant, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ModifiedAt != 3 || got.DisplayName != "renamed" || got.CreatedAt != 1 {
				t.Errorf("stored %+v, want the replacement", got.Participant)
			}
			var bound []string
			for _, b := range got.Bindings {
				bound = append(bound, b.AgentID)
			}
			if !slices.Equal(bound, tt.wantAgents) || !slices.Equal(got.AgentIDs, tt.wantAgents) {
				t.Errorf("bindings %v, agentIds %v, want %v", bound, got.AgentIDs, tt.wantAgents)
			}
			for _, a := range append(slices.Clone(tt.startCh), tt.nextCh...) {
				owner, err := repo.ChannelOwner(ctx, tenant, conn, a)
				switch {
				case slices.Contains(tt.wantOwned, a):
					if err != nil || owner != p.ID {
						t.Errorf("channel %s: owner %q, %v; want %s", a, owner, err, p.ID)
					}
				case !errors.Is(err, store.ErrNotFound):
					t.Errorf("channel %s: owner %q, %v; want released", a, owner, err)
				}
			}
		})
	}
}
