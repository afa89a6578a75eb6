package participants

import (
	"context"
	"errors"
	"sync"

	"github.com/gatehouse/gatehouse/pkg/avatar"
	"github.com/gatehouse/gatehouse/pkg/connectors"
	"github.com/gatehouse/gatehouse/pkg/httpapi"
	"github.com/gatehouse/gatehouse/pkg/store"
)

// Connector is what a participant's response and avatar sync need to know
// of a connector (integration config).
type Connector struct {
	ID, Provider, AgentID string
	WebhookURL            string
	WebhookURLTemplate    string
	// WebhookKeyPrefix is the short, displayable prefix of the webhook key.
	WebhookKeyPrefix string
	// Credentials for the avatar sources, except the Slack OAuth token,
	// which this package keeps itself (roster.OAuthConnection).
	Credentials avatar.Credentials
}

// ConnectorReader reads connectors; store.ErrNotFound when one is missing.
type ConnectorReader interface {
	GetConnector(ctx context.Context, tenant, id string) (Connector, error)
}

// ConnectorsFromRepo reads the connectors of pkg/connectors through the
// process's repo; their webhook URL templates are on the request's public
// base (httpapi.PublicBase of ctx). The full webhook URL is never known
// here: it is shown once, when minted (WebhookURL stays "").
func ConnectorsFromRepo(repo *connectors.Repo) ConnectorReader {
	return &repoConnectors{repo: repo}
}

type repoConnectors struct {
	repo *connectors.Repo
}

func (r *repoConnectors) GetConnector(ctx context.Context, tenant, id string) (Connector, error) {
	c, err := r.repo.Get(ctx, tenant, id)
	if err != nil {
		return Connector{}, err
	}
	sc := c.Secrets
	return Connector{
		ID: c.ID, Provider: c.Provider, AgentID: c.AgentID,
		WebhookURLTemplate: connectors.WebhookURLTemplate(c.Provider, httpapi.PublicBase(ctx)),
		WebhookKeyPrefix:   c.WebhookKeyPrefix,
		// Secrets hold only the connector's own provider's fields.
		Credentials: avatar.Credentials{
			TelegramBotToken: sc.Telegram.BotToken,
			TeamsAppID:       sc.Teams.AppID,
			TeamsAppPassword: sc.Teams.AppPassword,
			TeamsTenantID:    sc.Teams.TenantID,
		},
	}, nil
}

// readConnectors reads the distinct connectors of ids concurrently; a
// missing connector is absent from the map.
func readConnectors(ctx context.Context, cr ConnectorReader, tenant string, ids []string) (map[string]Connector, error) {
	out := map[string]Connector{}
	uniq := map[string]bool{}
	for _, id := range ids {
		uniq[id] = true
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for id := range uniq {
		wg.Go(func() {
			c, err := cr.GetConnector(ctx, tenant, id)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				out[id] = c
			case !errors.Is(err, store.ErrNotFound):
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
