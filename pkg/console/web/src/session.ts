// What every panel needs: the API client, who is signed in, the tenant and
// agent in view and the user's rights there.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api, AccessRequest } from './api/client';
import type { Claims } from './lib/claims';
import type { AgentRole, Allowed, TenantRole } from './lib/roles';
import type { Route } from './lib/router';

export interface Session {
  api: Api;
  claims: Claims;
  tenant: string;
  tenantRole: TenantRole | null;
  agent: string;
  agentRole: AgentRole | null;
  allowed: Allowed;
  route: Route;
  /** The agent's PENDING requests, polled by the shell (null before the first answer). */
  pending: AccessRequest[] | null;
  /** Ids that arrived since the list was last looked at. */
  fresh: ReadonlySet<string>;
  refreshPending: () => Promise<void>;
  markSeen: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the signed-in shell');
  return s;
}
