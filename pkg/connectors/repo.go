package connectors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/store"
)

// Keys (see the schema table in pkg/store):
//
//	connector    T#t#CFG#{id}   CFG   GSI1 T#t#AG#{agent}#CFG, GSI4 T#t#CFG
//	webhook key  HOOK#{key}     M     (global: the URL names no tenant)
func connectorPK(tenant, id string) string  { return "T#" + tenant + "#CFG#" + id }
func byAgentPK(tenant, agent string) string { return "T#" + tenant + "#AG#" + agent + "#CFG" }
func byTenantPK(tenant string) string       { return "T#" + tenant + "#CFG" }

// HookPK is the partition of a webhook key's lookup item.
func HookPK(key string) string { return "HOOK#" + key }

const connectorSK = "CFG"

type item struct {
	store.Keys
	Tenant string `dynamo:"tenant"`
	Connector
}

func newItem(tenant string, c Connector) item {
	it := item{Tenant: tenant, Connector: c}
	sk := store.SortKey(c.CreatedAt, c.ID)
	it.PK, it.SK = connectorPK(tenant, c.ID), connectorSK
	it.GSI1PK, it.GSI1SK = byAgentPK(tenant, c.AgentID), sk
	it.GSI4PK, it.GSI4SK = byTenantPK(tenant), sk
	return it
}

// hookItem maps a webhook key to its connector.
type hookItem struct {
	PK          string `dynamo:"PK,hash"`
	SK          string `dynamo:"SK,range"`
	Tenant      string `dynamo:"tenant"`
	ConnectorID string `dynamo:"connectorId"`
	Provider    string `dynamo:"provider"`
	CreatedAt   int64  `dynamo:"createdAt"`
}

func newHook(tenant string, c Connector, at int64) hookItem {
	return hookItem{PK: HookPK(c.WebhookKey), SK: store.MarkerSK, Tenant: tenant, ConnectorID: c.ID, Provider: c.Provider, CreatedAt: at}
}

// DefaultCacheTTL bounds how long a warm process serves a webhook from a
// connector it read earlier: a rotation, deletion or secret change made
// by another process takes effect within it (at once in this process).
const DefaultCacheTTL = 15 * time.Second

// Repo stores connectors and resolves webhook keys. Build one per process
// and share it: its resolve cache is invalidated only by its own writes,
// so the connectors API and the webhooks of one process must use the
// same Repo to see rotations and deletions at once.
type Repo struct {
	db       *dynamo.DB
	table    dynamo.Table
	CacheTTL time.Duration
	now      func() time.Time
	cache    *resolveCache
}

// NewRepo returns a Repo over the gatehouse table.
func NewRepo(st *store.Store) *Repo {
	return &Repo{db: st.DB(), table: st.Table(), CacheTTL: DefaultCacheTTL, now: time.Now,
		cache: &resolveCache{m: map[string]cacheEntry{}}}
}

// connector is the item's connector with its credentials decoded.
func (it item) connector() Connector {
	c := it.Connector
	c.Secrets = DecodeCredentials(c.Provider, c.Credentials)
	return c
}

// Create writes a new connector and its webhook key in one transaction.
func (r *Repo) Create(ctx context.Context, tenant string, c Connector) error {
	tx := r.db.WriteTx()
	tx.Put(r.table.Put(newItem(tenant, c)).If("attribute_not_exists(PK)"))
	tx.Put(r.table.Put(newHook(tenant, c, c.CreatedAt)).If("attribute_not_exists(PK)"))
	if err := tx.Run(ctx); err != nil {
		if dynamo.IsCondCheckFailed(err) {
			return store.ErrConflict
		}
		return fmt.Errorf("connectors: create: %w", err)
	}
	return nil
}

// Get reads one connector, credentials included.
func (r *Repo) Get(ctx context.Context, tenant, id string) (Connector, error) {
	var it item
	err := r.table.Get("PK", connectorPK(tenant, id)).Range("SK", dynamo.Equal, connectorSK).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Connector{}, store.ErrNotFound
	}
	if err != nil {
		return Connector{}, fmt.Errorf("connectors: get: %w", err)
	}
	return it.connector(), nil
}

// Update replaces a connector if nobody changed it since it was read
// (version check); the webhook key is unchanged.
func (r *Repo) Update(ctx context.Context, tenant string, next Connector) error {
	prev := next.Version
	next.Version++
	err := r.table.Put(newItem(tenant, next)).If("version = ? AND webhookKey = ?", prev, next.WebhookKey).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("connectors: update: %w", err)
	}
	r.cache.forget(next.WebhookKey)
	return nil
}

// Delete removes a connector and its webhook key.
func (r *Repo) Delete(ctx context.Context, tenant string, c Connector) error {
	tx := r.db.WriteTx()
	tx.Delete(r.table.Delete("PK", connectorPK(tenant, c.ID)).Range("SK", connectorSK).If("attribute_exists(PK)"))
	tx.Delete(r.table.Delete("PK", HookPK(c.WebhookKey)).Range("SK", store.MarkerSK))
	err := tx.Run(ctx)
	r.cache.forget(c.WebhookKey)
	if dynamo.IsCondCheckFailed(err) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("connectors: delete: %w", err)
	}
	return nil
}

// Rotate gives the connector a new webhook key; the old key's lookup item
// goes in the same transaction, so the old URL stops resolving at once.
func (r *Repo) Rotate(ctx context.Context, tenant string, cur Connector, newKey string, at int64) (Connector, error) {
	next := cur
	next.WebhookKey, next.ModifiedAt, next.Version = newKey, at, cur.Version+1
	tx := r.db.WriteTx()
	tx.Update(r.table.Update("PK", connectorPK(tenant, cur.ID)).Range("SK", connectorSK).
		Set("webhookKey", newKey).Set("modifiedAt", at).Set("version", next.Version).
		If("webhookKey = ? AND version = ?", cur.WebhookKey, cur.Version))
	tx.Delete(r.table.Delete("PK", HookPK(cur.WebhookKey)).Range("SK", store.MarkerSK))
	tx.Put(r.table.Put(newHook(tenant, next, at)).If("attribute_not_exists(PK)"))
	err := tx.Run(ctx)
	r.cache.forget(cur.WebhookKey)
	if dynamo.IsCondCheckFailed(err) {
		return Connector{}, store.ErrConflict
	}
	if err != nil {
		return Connector{}, fmt.Errorf("connectors: rotate: %w", err)
	}
	return next, nil
}

// List returns one page of a tenant's connectors (agent "" = all agents),
// newest first, and the next page token.
func (r *Repo) List(ctx context.Context, tenant, agent string, pageSize int, pageToken string) ([]Connector, string, error) {
	index, attr, pk := store.GSI4, "GSI4PK", byTenantPK(tenant)
	if agent != "" {
		index, attr, pk = store.GSI1, "GSI1PK", byAgentPK(tenant, agent)
	}
	q := r.table.Get(attr, pk).Index(index).Order(dynamo.Descending)
	items, next, err := store.QueryPage[item](ctx, q, attr, pk, pageSize, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("connectors: list: %w", err)
	}
	out := make([]Connector, 0, len(items))
	for _, it := range items {
		out = append(out, it.connector())
	}
	return out, next, nil
}

// Resolved is the connector a webhook key names.
type Resolved struct {
	Tenant    string
	Connector Connector
}

// Resolve finds the connector of a webhook key for provider. It serves
// from the Repo's cache (see DefaultCacheTTL), so a warm webhook
// costs no read; a miss costs two. ErrNotFound for unknown keys, keys of
// another provider and keys rotated away.
func (r *Repo) Resolve(ctx context.Context, provider, key string) (Resolved, error) {
	if !ValidWebhookKey(key) {
		return Resolved{}, store.ErrNotFound
	}
	now := r.now()
	if e, ok := r.cache.get(key, now); ok {
		if e.Connector.Provider != provider {
			return Resolved{}, store.ErrNotFound
		}
		return e, nil
	}
	var h hookItem
	err := r.table.Get("PK", HookPK(key)).Range("SK", dynamo.Equal, store.MarkerSK).One(ctx, &h)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Resolved{}, store.ErrNotFound
	}
	if err != nil {
		return Resolved{}, fmt.Errorf("connectors: resolve: %w", err)
	}
	c, err := r.Get(ctx, h.Tenant, h.ConnectorID)
	if err != nil {
		return Resolved{}, err
	}
	if c.WebhookKey != key { // rotated between the two reads
		return Resolved{}, store.ErrNotFound
	}
	res := Resolved{Tenant: h.Tenant, Connector: c}
	if r.CacheTTL > 0 {
		r.cache.put(key, res, now.Add(r.CacheTTL))
	}
	if c.Provider != provider {
		return Resolved{}, store.ErrNotFound
	}
	return res, nil
}

const maxCacheEntries = 4096

type cacheEntry struct {
	res     Resolved
	expires time.Time
}

type resolveCache struct {
	mu sync.Mutex
	m  map[string]cacheEntry
}

func (c *resolveCache) get(k string, now time.Time) (Resolved, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		return Resolved{}, false
	}
	return e.res, true
}

func (c *resolveCache) put(k string, r Resolved, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCacheEntries {
		clear(c.m)
	}
	c.m[k] = cacheEntry{res: r, expires: expires}
}

func (c *resolveCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
