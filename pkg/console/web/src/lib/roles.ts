// What a signed-in user may do on an agent, from the tenant role in their
// token and their collaborator role on the agent (gatehouse's rules: VIEWER
// reads, EDITOR also decides and edits, ADMIN also manages collaborators and
// connectors; a tenant ADMIN may do everything).

export type AgentRole = 'ADMIN' | 'EDITOR' | 'VIEWER';
export type TenantRole = 'ADMIN' | 'MEMBER';

export interface Allowed {
  read: boolean;
  decide: boolean; // approve, reject, block, unblock
  editParticipants: boolean;
  manageConnectors: boolean;
  manageCollaborators: boolean;
}

const rank: Record<AgentRole, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 };

/** The effective agent role: a tenant ADMIN counts as agent ADMIN. */
export function effectiveRole(tenantRole: TenantRole | null, agentRole: AgentRole | null): AgentRole | null {
  if (tenantRole === 'ADMIN') return 'ADMIN';
  return agentRole;
}

export function allowed(tenantRole: TenantRole | null, agentRole: AgentRole | null): Allowed {
  const r = effectiveRole(tenantRole, agentRole);
  const n = r ? rank[r] : 0;
  return {
    read: n >= 1,
    decide: n >= 2,
    editParticipants: n >= 2,
    manageConnectors: n >= 3,
    manageCollaborators: n >= 3,
  };
}

export function roleLabel(r: string | null | undefined): string {
  if (!r) return 'no role';
  return r.charAt(0) + r.slice(1).toLowerCase();
}

/** Realm roles that may accept or decline document shares (SweetConnect). */
export const shareDeciders = ['admin', 'producer-admin'];

export function canDecideShares(realmRoles: readonly string[], organization: string | null): boolean {
  return !!organization && realmRoles.some((r) => shareDeciders.includes(r));
}

/** Who may read an agent's audit trail: tenant ADMINs and the agent's ADMINs. */
export function canReadAudit(tenantRole: string | null, agentRole: string | null): boolean {
  return tenantRole === 'ADMIN' || agentRole === 'ADMIN';
}
