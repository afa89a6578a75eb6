package devserver

import (
	"net"
	"reflect"
	"testing"
)

// The sign-in page offers every seeded identity with the roles the seed
// gives it.
func TestDemoUsers(t *testing.T) {
	type view struct {
		tenantRole, org string
		agentRoles      []string
		realmRoles      []string
	}
	got := map[string]view{}
	for _, u := range DemoUsers() {
		got[u.Claims.Subject] = view{tenantRole: u.Claims.Tenants[DemoTenant], org: u.Claims.Organization,
			agentRoles: u.AgentRoles, realmRoles: u.Claims.RealmRoles}
	}
	want := map[string]view{
		"alice":  {tenantRole: "ADMIN", agentRoles: []string{"every agent (tenant ADMIN)"}},
		"bob":    {tenantRole: "MEMBER", agentRoles: []string{"support-bot: ADMIN"}},
		"carol":  {tenantRole: "MEMBER", agentRoles: []string{"support-bot: EDITOR"}},
		"dave":   {tenantRole: "MEMBER", agentRoles: []string{"support-bot: VIEWER"}},
		"erin":   {tenantRole: "MEMBER"},
		"olivia": {org: DemoOrg, realmRoles: []string{"admin"}},
		"paul":   {org: DemoOrg, realmRoles: []string{"producer-user"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DemoUsers() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3000}, "http://127.0.0.1:3000"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 3000}, "http://127.0.0.1:3000"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 4000}, "http://127.0.0.1:4000"},
		{&net.TCPAddr{IP: net.ParseIP("192.168.1.5"), Port: 3000}, "http://192.168.1.5:3000"},
	}
	for _, tt := range tests {
		if got := baseURL(tt.addr); got != tt.want {
			t.Errorf("baseURL(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
