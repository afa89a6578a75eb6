package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"
)

// OAuthConnection is a provider OAuth token a connector uses besides its
// own credentials (today: the Slack workspace token avatar sync needs).
// It lives in its own item so the connector item stays its owner's.
// The token is write-only through the API.
type OAuthConnection struct {
	IntegrationConfigID string `dynamo:"integrationConfigId"`
	Provider            string `dynamo:"provider"`
	Token               string `dynamo:"token"`
	TeamID              string `dynamo:"teamId,omitempty"`
	ConnectedBy         string `dynamo:"connectedBy,omitempty"`
	ConnectedAt         int64  `dynamo:"connectedAt"`
}

type oauthItem struct {
	PK     string `dynamo:"PK,hash"`
	SK     string `dynamo:"SK,range"`
	Tenant string `dynamo:"tenant"`
	OAuthConnection
}

// OAuthPK is the partition of a connector's OAuth connections.
func OAuthPK(tenant, connector string) string { return tenantKey(tenant, "OAUTH", connector) }

// PutOAuthConnection stores (or replaces) the connection of c's provider.
func (s *Store) PutOAuthConnection(ctx context.Context, tenant string, c OAuthConnection) error {
	it := oauthItem{PK: OAuthPK(tenant, c.IntegrationConfigID), SK: c.Provider, Tenant: tenant, OAuthConnection: c}
	if err := s.table.Put(it).Run(ctx); err != nil {
		return fmt.Errorf("store: put oauth connection: %w", err)
	}
	return nil
}

// GetOAuthConnection reads a connector's connection to provider, or
// ErrNotFound.
func (s *Store) GetOAuthConnection(ctx context.Context, tenant, connector, provider string) (OAuthConnection, error) {
	var it oauthItem
	err := s.table.Get("PK", OAuthPK(tenant, connector)).Range("SK", dynamo.Equal, provider).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return OAuthConnection{}, ErrNotFound
	}
	if err != nil {
		return OAuthConnection{}, fmt.Errorf("store: get oauth connection: %w", err)
	}
	return it.OAuthConnection, nil
}

// DeleteOAuthConnection forgets a connector's connection to provider;
// deleting none is not an error.
func (s *Store) DeleteOAuthConnection(ctx context.Context, tenant, connector, provider string) error {
	if err := s.table.Delete("PK", OAuthPK(tenant, connector)).Range("SK", provider).Run(ctx); err != nil {
		return fmt.Errorf("store: delete oauth connection: %w", err)
	}
	return nil
}
