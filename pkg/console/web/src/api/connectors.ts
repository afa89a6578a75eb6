// The agent's connectors across every integration (one list call each).
import { call, type Api, type IntegrationConfig } from './client';
import { integrations } from '../lib/format';

export async function listConnectors(api: Api, tenant: string, agentId: string): Promise<IntegrationConfig[]> {
  const lists = await Promise.all(
    integrations.map((integration) =>
      call(api.GET('/v1/tenants/{tenant}/integrations/{integration}/configs', { params: { path: { tenant, integration }, query: { agentId } } })),
    ),
  );
  return lists.flatMap((l) => l ?? []).sort((a, b) => b.createdAt - a.createdAt);
}

/** id → display name, for the Connector column. */
export function connectorNames(list: readonly IntegrationConfig[]): Map<string, string> {
  return new Map(list.map((c) => [c.id, c.displayName]));
}
