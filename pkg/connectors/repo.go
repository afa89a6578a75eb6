package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/guregu/dynamo/v2"

	"github.com/gatehouse/gatehouse/pkg/audit"
	"github.com/gatehouse/gatehouse/pkg/problem"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Errors of the webhook key lifecycle.
var (
	// ErrKeyBound: :generateWebhookUrl on a config that has a key.
	ErrKeyBound = problem.NewKind("connectors: webhook key already bound", http.StatusBadRequest, "webhook-key-bound",
		"this config already has a webhook key; use POST .../webhook:rotate to replace it")
	// ErrNoKey: /webhook:rotate (or :applyWebhookToProvider) before a key exists.
	ErrNoKey = problem.NewKind("connectors: no webhook key", http.StatusBadRequest, "no-webhook-key",
		"this config has no webhook key yet; use POST ...:generateWebhookUrl to mint the first one")
)

// Transaction action names.
const (
	actConnector = "connector"
	actHook      = "webhook-key"
	actOldHook   = "old-webhook-key"
)

type item struct {
	store.Keys
	Tenant string `dynamo:"tenant"`
	Connector
}

func newItem(tenant string, c Connector) item {
	it := item{Tenant: tenant, Connector: c}
	sk := store.ConnectorsSK(c.Provider, c.CreatedAt, c.ID)
	it.PK, it.SK = store.ConnectorPK(tenant, c.ID), store.ConnectorSK
	it.GSI1PK, it.GSI1SK = store.ConnectorsByAgentPK(tenant, c.AgentID), sk
	it.GSI4PK, it.GSI4SK = store.ConnectorsPK(tenant), sk
	return it
}

// hookItem maps a webhook key's hash to its connector. Version is the
// connector's: every write of a connector with a key rewrites it in the
// same transaction.
type hookItem struct {
	PK          string `dynamo:"PK,hash"`
	SK          string `dynamo:"SK,range"`
	Tenant      string `dynamo:"tenant"`
	ConnectorID string `dynamo:"connectorId"`
	Provider    string `dynamo:"provider"`
	Version     int    `dynamo:"version"`
	CreatedAt   int64  `dynamo:"createdAt"`
}

func newHook(tenant string, c Connector, at int64) hookItem {
	return hookItem{PK: store.HookPK(c.WebhookKeyHash), SK: store.MarkerSK, Tenant: tenant, ConnectorID: c.ID,
		Provider: c.Provider, Version: c.Version, CreatedAt: at}
}

// Repo stores connectors and resolves webhook keys. Build one per process
// and share it (its connector cache saves the webhooks a read).
type Repo struct {
	st    *store.Store
	table dynamo.Table
	cache *connectorCache
}

// NewRepo returns a Repo over the gatehouse table.
func NewRepo(st *store.Store) *Repo {
	return &Repo{st: st, table: st.Table(), cache: &connectorCache{m: map[string]Connector{}}}
}

// connector is the item's connector with its credentials decoded.
func (it item) connector() Connector {
	c := it.Connector
	c.Secrets = DecodeCredentials(c.Provider, c.Credentials)
	return c
}

// Create writes a new connector. A WebhookKey set on c (dev seeds and
// tests bind a known key) is bound in the same transaction; the API
// creates connectors without one.
func (r *Repo) Create(ctx context.Context, tenant string, c Connector) error {
	tx := r.st.Tx()
	if c.WebhookKey != "" {
		c.WebhookKeyHash, c.WebhookKeyPrefix = KeyHash(c.WebhookKey), KeyPrefix(c.WebhookKey)
		tx.Put(actHook, r.table.Put(newHook(tenant, c, c.CreatedAt)).If("attribute_not_exists(PK)"))
	}
	tx.Put(actConnector, r.table.Put(newItem(tenant, c)).If("attribute_not_exists(PK)"))
	tx.Join(auditEntry(ctx, tenant, c, audit.IntegrationConfigCreated, "", "", c.Provider+" "+c.DisplayName, c.CreatedAt))
	if err := tx.Run(ctx); err != nil {
		if store.ConditionFailed(err, actConnector) || store.ConditionFailed(err, actHook) {
			return store.ErrConflict
		}
		return fmt.Errorf("connectors: create: %w", err)
	}
	return nil
}

// Get reads one connector, credentials included.
func (r *Repo) Get(ctx context.Context, tenant, id string) (Connector, error) {
	return r.get(ctx, tenant, id, false)
}

func (r *Repo) get(ctx context.Context, tenant, id string, consistent bool) (Connector, error) {
	var it item
	err := r.table.Get("PK", store.ConnectorPK(tenant, id)).Range("SK", dynamo.Equal, store.ConnectorSK).Consistent(consistent).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Connector{}, store.ErrNotFound
	}
	if err != nil {
		return Connector{}, fmt.Errorf("connectors: get: %w", err)
	}
	return it.connector(), nil
}

// touchHook joins the rewrite of next's key item (its new version) to tx.
func (r *Repo) touchHook(tx *store.Tx, next Connector) {
	if !next.HasWebhookKey() {
		return
	}
	tx.Update(actHook, r.table.Update("PK", store.HookPK(next.WebhookKeyHash)).Range("SK", store.MarkerSK).
		Set("version", next.Version).If("connectorId = ?", next.ID))
}

// Update replaces cur by next if nobody changed it since it was read
// (version check), with an IntegrationConfigUpdated audit entry naming the
// changed fields (never values); its webhook key stays. It returns the
// stored connector.
func (r *Repo) Update(ctx context.Context, tenant string, cur, next Connector) (Connector, error) {
	prev := cur.Version
	next.Version = prev + 1
	tx := r.st.Tx()
	tx.Put(actConnector, r.table.Put(newItem(tenant, next)).If("version = ?", prev))
	r.touchHook(tx, next)
	tx.Join(auditEntry(ctx, tenant, next, audit.IntegrationConfigUpdated, "", "", "changed: "+strings.Join(changedFields(cur, next), ", "), next.ModifiedAt))
	if err := tx.Run(ctx); err != nil {
		if store.ConditionFailed(err, actConnector) || store.ConditionFailed(err, actHook) {
			return Connector{}, store.ErrConflict
		}
		return Connector{}, fmt.Errorf("connectors: update: %w", err)
	}
	return next, nil
}

// Delete removes a connector and its webhook key.
func (r *Repo) Delete(ctx context.Context, tenant string, c Connector) error {
	tx := r.st.Tx()
	tx.Delete(actConnector, r.table.Delete("PK", store.ConnectorPK(tenant, c.ID)).Range("SK", store.ConnectorSK).If("version = ?", c.Version))
	if c.HasWebhookKey() {
		tx.Delete(actHook, r.table.Delete("PK", store.HookPK(c.WebhookKeyHash)).Range("SK", store.MarkerSK))
	}
	tx.Join(auditEntry(ctx, tenant, c, audit.IntegrationConfigDeleted, "", "", c.Provider+" "+c.DisplayName, 0))
	err := tx.Run(ctx)
	if store.ConditionFailed(err, actConnector) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("connectors: delete: %w", err)
	}
	return nil
}

// BindKey binds key to cur, replacing (and deleting) the key cur has, in
// one transaction: the old URL stops resolving at once. mustBeBound
// tells rotate (a key must exist: ErrNoKey) from generate (none may:
// ErrKeyBound). It returns the connector with WebhookKey set.
func (r *Repo) BindKey(ctx context.Context, tenant string, cur Connector, key string, mustBeBound bool, at int64) (Connector, error) {
	switch {
	case mustBeBound && !cur.HasWebhookKey():
		return Connector{}, ErrNoKey
	case !mustBeBound && cur.HasWebhookKey():
		return Connector{}, ErrKeyBound
	}
	next := cur
	next.WebhookKey, next.WebhookKeyHash, next.WebhookKeyPrefix = key, KeyHash(key), KeyPrefix(key)
	next.ModifiedAt, next.Version = at, cur.Version+1
	tx := r.st.Tx()
	tx.Put(actConnector, r.table.Put(newItem(tenant, next)).If("version = ?", cur.Version))
	if cur.HasWebhookKey() {
		tx.Delete(actOldHook, r.table.Delete("PK", store.HookPK(cur.WebhookKeyHash)).Range("SK", store.MarkerSK))
	}
	tx.Put(actHook, r.table.Put(newHook(tenant, next, at)).If("attribute_not_exists(PK)"))
	action := audit.WebhookURLGenerated
	if mustBeBound {
		action = audit.WebhookURLRotated
	}
	// The statuses are the key prefixes: which URL stopped and which began.
	tx.Join(auditEntry(ctx, tenant, next, action, cur.WebhookKeyPrefix, next.WebhookKeyPrefix, "", at))
	if err := tx.Run(ctx); err != nil {
		if store.ConditionFailed(err, actConnector) || store.ConditionFailed(err, actHook) {
			return Connector{}, store.ErrConflict
		}
		return Connector{}, fmt.Errorf("connectors: bind webhook key: %w", err)
	}
	return next, nil
}

// auditEntry is the audit entry of an administrative change to c.
func auditEntry(ctx context.Context, tenant string, c Connector, action, before, after, note string, at int64) store.TxAction {
	return audit.Record(ctx, AuditChange(tenant, c, action, before, after, note, at))
}

// AuditChange is the audit change of an action on c, filed under its agent.
func AuditChange(tenant string, c Connector, action, before, after, note string, at int64) audit.Change {
	return audit.Change{Scope: store.TenantScope(tenant), AgentID: c.AgentID, Action: action,
		TargetType: audit.TargetIntegrationConfig, TargetID: c.ID, StatusBefore: before, StatusAfter: after, Note: note, At: at}
}

// changedFields names the API fields in which next differs from cur, and
// the parameters (credentials) by name, secrets included: names only.
func changedFields(cur, next Connector) []string {
	var out []string
	a, b := fieldMap(ViewOf(cur, "")), fieldMap(ViewOf(next, ""))
	for k, v := range b {
		if k != "modifiedAt" && k != "parameters" && k != "hasAuth" && !bytes.Equal(a[k], v) {
			out = append(out, k)
		}
	}
	for k, v := range next.Credentials {
		if cv, ok := cur.Credentials[k]; !ok || cv != v {
			out = append(out, "parameters."+k)
		}
	}
	for k := range cur.Credentials {
		if _, ok := next.Credentials[k]; !ok {
			out = append(out, "parameters."+k)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"nothing"}
	}
	return out
}

func fieldMap(v View) map[string]json.RawMessage {
	b, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m) // a View always marshals to an object
	return m
}

// List returns one page of a tenant's connectors of provider (agent "" =
// all agents), newest first, and the next page token.
func (r *Repo) List(ctx context.Context, tenant, provider, agent string, pageSize int, pageToken string) ([]Connector, string, error) {
	index, attr, pk := store.GSI4, "GSI4PK", store.ConnectorsPK(tenant)
	if agent != "" {
		index, attr, pk = store.GSI1, "GSI1PK", store.ConnectorsByAgentPK(tenant, agent)
	}
	skAttr := index + "SK"
	q := r.table.Get(attr, pk).Range(skAttr, dynamo.BeginsWith, store.ConnectorsSKPrefix(provider)).Index(index).Order(dynamo.Descending)
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
	Tenant string
	// Connector has WebhookKey set to the key presented, so its
	// WebhookPath is the path the provider called (what Twilio signs).
	Connector Connector
}

// Resolve finds the connector of a webhook key for provider: ErrNotFound
// for malformed and unknown keys, keys of another provider and keys
// rotated away or deleted. Every call reads the key's item (strongly
// consistent), so a rotation or deletion is seen at once by every
// process; the connector itself comes from this Repo's cache while the
// key item's version says it is current, else it costs a second read.
func (r *Repo) Resolve(ctx context.Context, provider, key string) (Resolved, error) {
	if !ValidWebhookKey(key) {
		return Resolved{}, store.ErrNotFound
	}
	hash := KeyHash(key)
	var h hookItem
	err := r.table.Get("PK", store.HookPK(hash)).Range("SK", dynamo.Equal, store.MarkerSK).Consistent(true).One(ctx, &h)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Resolved{}, store.ErrNotFound
	}
	if err != nil {
		return Resolved{}, fmt.Errorf("connectors: resolve: %w", err)
	}
	if h.Provider != provider {
		return Resolved{}, store.ErrNotFound
	}
	c, ok := r.cache.get(h.Tenant, h.ConnectorID, h.Version)
	if !ok {
		if c, err = r.get(ctx, h.Tenant, h.ConnectorID, true); err != nil {
			return Resolved{}, err
		}
		if c.WebhookKeyHash != hash { // rotated between the two reads
			return Resolved{}, store.ErrNotFound
		}
		r.cache.put(h.Tenant, c)
	}
	c.WebhookKey = key
	return Resolved{Tenant: h.Tenant, Connector: c}, nil
}

const maxCacheEntries = 4096

// connectorCache holds connectors by tenant and id; an entry serves only
// the version it was read at, so it can never be stale.
type connectorCache struct {
	mu sync.Mutex
	m  map[string]Connector
}

func (c *connectorCache) get(tenant, id string, version int) (Connector, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[tenant+"/"+id]
	if !ok || e.Version != version {
		return Connector{}, false
	}
	return e, true
}

func (c *connectorCache) put(tenant string, conn Connector) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCacheEntries {
		clear(c.m)
	}
	c.m[tenant+"/"+conn.ID] = conn
}
