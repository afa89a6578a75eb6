package accessrequests_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/pkg/accessrequests"
	"github.com/gatehouse/gatehouse/pkg/authz"
	"github.com/gatehouse/gatehouse/pkg/participants/roster"
	"github.com/gatehouse/gatehouse/pkg/routes"
	"github.com/gatehouse/gatehouse/pkg/store"
	"github.com/gatehouse/gatehouse/pkg/tabledef"
	"github.com/gatehouse/gatehouse/pkg/testkit/apikit"
	"github.com/gatehouse/gatehouse/pkg/testkit/dynamokit"
)

// DynamoDB Local (a process of this test's own, data on disk) is killed
// while an approve's transaction is on its way: before it arrives, or
// after it ran but before the answer. After a restart the request is
// either still PENDING with nothing else changed, or APPROVED with its
// participant, binding and channel: never half. A retried approve
// converges to APPROVED. (After the transaction ran, DynamoDB Local may
// still lose it whole: it acknowledges before its write reaches disk, see
// dynamokit.AfterForward; either outcome must be whole.)
func TestApproveSurvivesDynamoDBCrash(t *testing.T) {
	root, err := tabledef.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	proc, err := dynamokit.Start(ctx, dynamokit.Options{Root: root, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Stop)
	proxy := dynamokit.NewCrashProxy(t, proc)

	tests := []struct {
		name     string
		at       dynamokit.CrashPoint
		statuses []string // allowed after the restart
	}{
		{"killed before the transaction arrives", dynamokit.BeforeForward, []string{accessrequests.StatusPending}},
		{"killed after the transaction ran", dynamokit.AfterForward, []string{accessrequests.StatusApproved, accessrequests.StatusPending}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := apikit.NewOn(t, dynamokit.NewTableAt(t, proxy.URL), routes.All, routes.Config{})
			e.OpenAPI = nil // the crashed call's 5xx is checked below
			e.SeedMember(t, tenant, "agent-1", "editor", authz.RoleEditor)
			editor := e.Token(t, "editor", map[string]string{tenant: "MEMBER"})
			ar := e.SeedRequest(t, tenant, accessrequests.AccessRequest{DisplayName: "Dana"})
			before := items(t, e)

			fired := proxy.CrashOn("TransactWriteItems", tt.at)
			got := e.Do(t, "POST", path(ar.ID)+":approve", editor, `{"mode":"CREATE_NEW"}`)
			select {
			case <-fired:
			default:
				t.Fatalf("the approve made no transaction (answered %d %s)", got.Status, got.Body)
			}
			if tt.at == dynamokit.AfterForward {
				if lost := proxy.Lost(); lost.Status != 200 {
					t.Fatalf("the transaction did not run: DynamoDB Local answered %d %s", lost.Status, lost.Body)
				}
			}
			if got.Status < 500 {
				t.Errorf("approve during the crash answered %d %s, want a 5xx", got.Status, got.Body)
			}
			if err := proc.Restart(ctx); err != nil {
				t.Fatal(err)
			}

			cur, err := accessrequests.NewRepo(e.Platform.Store).GetAccessRequest(ctx, tenant, ar.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(tt.statuses, cur.Status) {
				t.Fatalf("after the restart: %s, want one of %v", cur.Status, tt.statuses)
			}
			t.Logf("after the restart: %s", cur.Status)
			switch cur.Status {
			case accessrequests.StatusPending:
				if after := items(t, e); !slices.Equal(after, before) {
					t.Errorf("PENDING, yet the table changed: %d items before, %d after", len(before), len(after))
				}
			case accessrequests.StatusApproved:
				checkApproved(t, e, ar, cur.ApprovedParticipantID)
			}

			// The operator retries: it converges.
			retry := e.Do(t, "POST", path(ar.ID)+":approve", editor, `{"mode":"CREATE_NEW"}`)
			wantRetry := 200
			if cur.Status == accessrequests.StatusApproved {
				wantRetry = 400 // not-pending: the first one went through
			}
			if retry.Status != wantRetry {
				t.Fatalf("retry: %d %s, want %d", retry.Status, retry.Body, wantRetry)
			}
			cur, err = accessrequests.NewRepo(e.Platform.Store).GetAccessRequest(ctx, tenant, ar.ID)
			if err != nil || cur.Status != accessrequests.StatusApproved {
				t.Fatalf("after the retry: %+v %v", cur, err)
			}
			checkApproved(t, e, ar, cur.ApprovedParticipantID)
		})
	}
}

// checkApproved checks that the approval wrote all of itself.
func checkApproved(t *testing.T, e *apikit.Env, ar accessrequests.AccessRequest, pid string) {
	t.Helper()
	ctx := context.Background()
	if pid == "" {
		t.Fatal("APPROVED without approvedParticipantId")
	}
	p, err := roster.NewRepo(e.Platform.Store).GetParticipant(ctx, tenant, pid)
	if err != nil {
		t.Fatalf("participant %s: %v", pid, err)
	}
	if !contains(p.AgentIDs, ar.AgentID) {
		t.Errorf("participant agentIds %v, want %s bound", p.AgentIDs, ar.AgentID)
	}
	if !hasChannel(p, ar.IntegrationConfigID, ar.Address) {
		t.Errorf("participant channels %v lack the sender's", p.Channels)
	}
	owner, err := roster.NewRepo(e.Platform.Store).ChannelOwner(ctx, tenant, ar.IntegrationConfigID, ar.Address)
	if err != nil || owner != pid {
		t.Errorf("channel owner %q, %v; want %s", owner, err, pid)
	}
}

// items is every item of the table as JSON, sorted.
func items(t *testing.T, e *apikit.Env) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var all []map[string]any
	if err := e.Platform.Store.Table().Scan().Consistent(true).All(ctx, &all); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	out := make([]string, 0, len(all))
	for _, it := range all {
		b, _ := json.Marshal(it)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}
