package issuerkit

import (
	"reflect"
	"testing"
	"time"
)

func TestClaimsFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Claims
		wantErr bool
	}{
		{
			name: "defaults",
			env:  nil,
			want: Claims{Subject: "alice", Tenants: map[string]string{"demo": "MEMBER"}},
		},
		{
			name: "everything set",
			env: map[string]string{
				"SUB": "bob", "TENANT": "acme", "TENANT_ROLE": "ADMIN", "ORG": "org-1",
				"REALM_ROLES": "admin, producer-admin,,", "NAME": "Bob B", "EMAIL": "bob@example.com", "TTL": "1h",
			},
			want: Claims{
				Subject: "bob", Tenants: map[string]string{"acme": "ADMIN"}, Organization: "org-1",
				RealmRoles: []string{"admin", "producer-admin"}, Name: "Bob B", Email: "bob@example.com", TTL: time.Hour,
			},
		},
		{
			name: "role is case-insensitive, blanks mean default",
			env:  map[string]string{"TENANT_ROLE": "admin", "SUB": "  ", "TENANT": ""},
			want: Claims{Subject: "alice", Tenants: map[string]string{"demo": "ADMIN"}},
		},
		{name: "unknown role", env: map[string]string{"TENANT_ROLE": "OWNER"}, wantErr: true},
		{name: "bad TTL", env: map[string]string{"TTL": "soon"}, wantErr: true},
		{name: "negative TTL", env: map[string]string{"TTL": "-1h"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ClaimsFromEnv(func(k string) string { return tt.env[k] })
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("ClaimsFromEnv() error = %v, want error %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ClaimsFromEnv() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
