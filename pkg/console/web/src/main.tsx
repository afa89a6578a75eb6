// Boot: read /console/config.json, finish or start the OIDC login, then
// render the shell. /console/callback and /console/silent-callback are the
// OIDC redirect targets (the Go handler serves index.html for them).
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { User, UserManager } from 'oidc-client-ts';
import './styles.css';
import { loadConfig, type ConsoleConfig } from './config';
import { finishSignIn, signIn, userManager } from './auth';
import { makeApi } from './api/client';
import { claimsOf } from './lib/claims';
import { navigate, parse } from './lib/router';
import { App } from './App';

function SignedIn({ cfg, um, initial }: { cfg: ConsoleConfig; um: UserManager; initial: User }) {
  const [user, setUser] = useState<User>(initial);
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    const loaded = (u: User) => {
      setUser(u);
      setExpired(false);
    };
    const gone = () => setExpired(true);
    um.events.addUserLoaded(loaded);
    um.events.addAccessTokenExpired(gone);
    um.events.addSilentRenewError(gone);
    um.events.addUserSignedOut(gone);
    return () => {
      um.events.removeUserLoaded(loaded);
      um.events.removeAccessTokenExpired(gone);
      um.events.removeSilentRenewError(gone);
      um.events.removeUserSignedOut(gone);
    };
  }, [um]);
  const token = user.access_token;
  // The token is read per request, so a silent renewal needs no new client.
  const api = useMemo(() => makeApi(cfg.apiBase, () => tokenRef.current, () => setExpired(true)), [cfg.apiBase]);
  tokenRef.current = token;
  const claims = useMemo(() => claimsOf(token, user.profile as Record<string, unknown>), [token]);
  return (
    <>
      {expired && (
        <div class="banner" role="alert">
          Your session has ended.{' '}
          <button type="button" onClick={() => signIn(um)}>
            Sign in again
          </button>
        </div>
      )}
      <App api={api} claims={claims} um={um} />
    </>
  );
}
const tokenRef: { current: string | null } = { current: null };

function Fatal({ message, um }: { message: string; um?: UserManager }) {
  return (
    <main id="main" class="fatal">
      <h1>gatehouse console</h1>
      <p role="alert">{message}</p>
      {um && (
        <button type="button" class="primary" onClick={() => signIn(um)}>
          Sign in
        </button>
      )}
    </main>
  );
}

async function boot(root: HTMLElement) {
  root.textContent = ''; // the static "Loading…" placeholder of index.html
  let cfg: ConsoleConfig;
  try {
    cfg = await loadConfig();
  } catch (e) {
    render(<Fatal message={`The console could not load its settings (${(e as Error).message}). Is gatehouse running?`} />, root);
    return;
  }
  const um = userManager(cfg);
  const route = parse(location.pathname, location.search);
  if (route.panel === 'silent') {
    await um.signinCallback().catch(() => undefined);
    return;
  }
  if (route.panel === 'callback') {
    try {
      const { user, to } = await finishSignIn(um);
      navigate(to, true);
      render(<SignedIn cfg={cfg} um={um} initial={user} />, root);
    } catch (e) {
      const err = route.query.get('error_description') || route.query.get('error') || (e as Error).message;
      render(<Fatal message={`Signing in did not work: ${err}.`} um={um} />, root);
    }
    return;
  }
  const user = await um.getUser();
  if (user && !user.expired) {
    render(<SignedIn cfg={cfg} um={um} initial={user} />, root);
    return;
  }
  if (user) {
    // Expired: renew without a page (refresh token, else prompt=none in an iframe).
    const renewed = await um.signinSilent().catch(() => null);
    if (renewed) {
      render(<SignedIn cfg={cfg} um={um} initial={renewed} />, root);
      return;
    }
  }
  try {
    await signIn(um);
  } catch (e) {
    render(<Fatal message={`The sign-in page could not be reached (${(e as Error).message}).`} um={um} />, root);
  }
}

boot(document.getElementById('app')!);
