import { describe, expect, it } from 'vitest';
import { allowed, canDecideShares, effectiveRole, roleLabel, type AgentRole, type TenantRole } from './roles';

describe('allowed', () => {
  const cases: { name: string; tenant: TenantRole | null; agent: AgentRole | null; want: ReturnType<typeof allowed> }[] = [
    { name: 'viewer reads only', tenant: 'MEMBER', agent: 'VIEWER', want: { read: true, decide: false, editParticipants: false, manageConnectors: false, manageCollaborators: false } },
    { name: 'editor decides and edits', tenant: 'MEMBER', agent: 'EDITOR', want: { read: true, decide: true, editParticipants: true, manageConnectors: false, manageCollaborators: false } },
    { name: 'agent admin manages', tenant: 'MEMBER', agent: 'ADMIN', want: { read: true, decide: true, editParticipants: true, manageConnectors: true, manageCollaborators: true } },
    { name: 'tenant admin without a grant', tenant: 'ADMIN', agent: null, want: { read: true, decide: true, editParticipants: true, manageConnectors: true, manageCollaborators: true } },
    { name: 'tenant admin who is a viewer', tenant: 'ADMIN', agent: 'VIEWER', want: { read: true, decide: true, editParticipants: true, manageConnectors: true, manageCollaborators: true } },
    { name: 'no role', tenant: 'MEMBER', agent: null, want: { read: false, decide: false, editParticipants: false, manageConnectors: false, manageCollaborators: false } },
    { name: 'no tenant', tenant: null, agent: null, want: { read: false, decide: false, editParticipants: false, manageConnectors: false, manageCollaborators: false } },
  ];
  it.each(cases)('$name', ({ tenant, agent, want }) => expect(allowed(tenant, agent)).toEqual(want));

  it('effectiveRole', () => {
    expect(effectiveRole('ADMIN', 'VIEWER')).toBe('ADMIN');
    expect(effectiveRole('MEMBER', 'EDITOR')).toBe('EDITOR');
    expect(effectiveRole(null, null)).toBeNull();
  });

  it.each([
    ['EDITOR', 'Editor'],
    [null, 'no role'],
  ])('roleLabel(%s)', (r, want) => expect(roleLabel(r)).toBe(want));

  it.each([
    { roles: ['admin'], org: 'org-1', want: true },
    { roles: ['producer-admin', 'x'], org: 'org-1', want: true },
    { roles: ['producer-user'], org: 'org-1', want: false },
    { roles: ['admin'], org: null, want: false },
    { roles: [], org: 'org-1', want: false },
  ])('canDecideShares($roles, $org) = $want', ({ roles, org, want }) => expect(canDecideShares(roles, org)).toBe(want));
});
