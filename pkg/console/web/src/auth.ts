// OpenID Connect login: authorization code + PKCE through oidc-client-ts,
// silent renewal (refresh token, else prompt=none in an iframe), logout
// through the issuer's end_session_endpoint.
import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { ConsoleConfig } from './config';
import { base } from './lib/router';

export function userManager(cfg: ConsoleConfig): UserManager {
  const origin = location.origin;
  return new UserManager({
    authority: cfg.authority,
    client_id: cfg.clientId,
    scope: cfg.scope,
    redirect_uri: origin + base + 'callback',
    silent_redirect_uri: origin + base + 'silent-callback',
    post_logout_redirect_uri: origin + base,
    response_type: 'code',
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

/** Where to return after the login round trip (kept in the OIDC state). */
export interface ReturnState {
  to: string;
}

export async function signIn(um: UserManager): Promise<void> {
  await um.signinRedirect({ state: { to: location.pathname + location.search } satisfies ReturnState });
}

/** Finishes the login on /console/callback and gives the URL to go back to. */
export async function finishSignIn(um: UserManager): Promise<{ user: User; to: string }> {
  const user = await um.signinCallback();
  if (!user) throw new Error('no user from the sign-in callback');
  const st = user.state as ReturnState | undefined;
  const to = st && typeof st.to === 'string' && st.to.startsWith(base) && !st.to.startsWith(base + 'callback') ? st.to : base;
  return { user, to };
}
