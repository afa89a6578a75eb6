import { describe, expect, it } from 'vitest';
import { claimsOf, decodeJwt } from './claims';

const b64url = (o: unknown) => btoa(unescape(encodeURIComponent(JSON.stringify(o)))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const jwt = (payload: unknown) => `${b64url({ alg: 'ES256' })}.${b64url(payload)}.sig`;

describe('claims', () => {
  it('reads tenants, organization and realm roles from the access token', () => {
    const c = claimsOf(
      jwt({ sub: 'carol', tenants: { demo: 'MEMBER', other: 'ADMIN', bad: 'OWNER', n: 3 }, organization: 'org-demo', realm_access: { roles: ['admin', 7] }, given_name: 'Carol', family_name: 'Démo', exp: 10 }),
    );
    expect(c).toEqual({ sub: 'carol', name: 'Carol Démo', email: '', tenants: { demo: 'MEMBER', other: 'ADMIN' }, organization: 'org-demo', realmRoles: ['admin'], exp: 10 });
  });

  it('falls back to the ID token profile when the access token is opaque', () => {
    const c = claimsOf('opaque', { sub: 'dave', name: 'Dave', email: 'd@x' });
    expect(c.sub).toBe('dave');
    expect(c.name).toBe('Dave');
    expect(c.tenants).toEqual({});
    expect(c.organization).toBeNull();
  });

  it.each(['', 'a.b', 'a.!!!.c', `x.${btoa('[1]')}.y`])('decodeJwt(%j) is null', (t) => {
    expect(decodeJwt(t)).toBeNull();
  });
});
