// Reads the claims gatehouse authorizes on (tenants, organization, realm
// roles) from the access token: the API sees that token, not the ID token.
import type { TenantRole } from './roles';

export interface Claims {
  sub: string;
  name: string;
  email: string;
  tenants: Record<string, TenantRole>;
  organization: string | null;
  realmRoles: string[];
  exp: number | null;
}

export function decodeJwt(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const pad = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const bin = atob(pad);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const v = JSON.parse(new TextDecoder().decode(bytes));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Claims from the access token, falling back to the ID token's profile. */
export function claimsOf(accessToken: string, profile: Record<string, unknown> = {}): Claims {
  const c = { ...profile, ...(decodeJwt(accessToken) ?? {}) };
  const tenants: Record<string, TenantRole> = {};
  if (c.tenants && typeof c.tenants === 'object') {
    for (const [t, r] of Object.entries(c.tenants as Record<string, unknown>)) {
      if (r === 'ADMIN' || r === 'MEMBER') tenants[t] = r;
    }
  }
  const ra = c.realm_access as { roles?: unknown } | undefined;
  const realmRoles = Array.isArray(ra?.roles) ? ra!.roles.filter((x): x is string => typeof x === 'string') : [];
  const given = typeof c.given_name === 'string' ? c.given_name : '';
  const family = typeof c.family_name === 'string' ? c.family_name : '';
  const name = (typeof c.name === 'string' && c.name) || [given, family].filter(Boolean).join(' ') || (typeof c.preferred_username === 'string' ? c.preferred_username : '') || String(c.sub ?? '');
  return {
    sub: String(c.sub ?? ''),
    name,
    email: typeof c.email === 'string' ? c.email : '',
    tenants,
    organization: typeof c.organization === 'string' && c.organization ? c.organization : null,
    realmRoles,
    exp: typeof c.exp === 'number' ? c.exp : null,
  };
}
