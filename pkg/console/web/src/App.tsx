// The signed-in shell: header (user, roles, sign-out), navigation between
// panels, the agent picker, and the PENDING poller behind the badge.
import { lazy, Suspense } from 'preact/compat';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { UserManager } from 'oidc-client-ts';
import { ApiError, call, type AccessRequest, type Api } from './api/client';
import type { Claims } from './lib/claims';
import { arrivals, badge, browserDeps, startPolling } from './lib/poll';
import { allowed as allowedFor, canDecideShares, effectiveRole, roleLabel, type AgentRole } from './lib/roles';
import { href, linkClick, navigate, panels, withQuery, useRoute, type PanelId } from './lib/router';
import { SessionContext, type Session } from './session';
import { ErrorBox, Loading } from './components/ui';
import { AccessRequests } from './panels/AccessRequests';

const Participants = lazy(() => import('./panels/Participants'));
const Connectors = lazy(() => import('./panels/Connectors'));
const Collaborators = lazy(() => import('./panels/Collaborators'));
const Shares = lazy(() => import('./panels/Shares'));
const Activity = lazy(() => import('./panels/Activity'));

const recentKey = 'gatehouse.console.agents';

function recentAgents(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(recentKey) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 20) : [];
  } catch {
    return [];
  }
}

function rememberAgent(a: string) {
  const list = [a, ...recentAgents().filter((x) => x !== a)].slice(0, 20);
  try {
    localStorage.setItem(recentKey, JSON.stringify(list));
  } catch {
    /* storage full or disabled: the picker just forgets */
  }
}

export function App({ api, claims, um }: { api: Api; claims: Claims; um: UserManager }) {
  const route = useRoute();
  const tenants = Object.keys(claims.tenants).sort();
  const tenant = route.query.get('tenant') && claims.tenants[route.query.get('tenant')!] ? route.query.get('tenant')! : tenants[0] ?? '';
  const tenantRole = tenant ? claims.tenants[tenant] ?? null : null;
  const sharesOnly = !tenant;
  const showShares = canDecideShares(claims.realmRoles, claims.organization);

  // Agents the user can pick: the URL's, ones seen in requests, recent ones.
  const [known, setKnown] = useState<string[]>(() => recentAgents());
  const agentParam = route.query.get('agent') ?? '';
  const agent = agentParam || known[0] || '';
  useEffect(() => {
    if (!tenant) return;
    let live = true;
    call(api.GET('/v1/tenants/{tenant}/participantAccessRequests', { params: { path: { tenant }, query: { pageSize: 500 } } }))
      .then((rows) => {
        if (!live) return;
        const ids = Array.from(new Set((rows ?? []).map((r) => r.agentId)));
        setKnown((k) => Array.from(new Set([...k, ...ids])));
      })
      .catch(() => {
        /* the picker still offers typed and recent agents */
      });
    return () => {
      live = false;
    };
  }, [api, tenant]);
  // An organization admin without a tenant has only the Shares panel.
  useEffect(() => {
    if (sharesOnly && showShares && route.panel !== 'shares') navigate(href('shares'), true);
  }, [sharesOnly, showShares, route.panel]);
  useEffect(() => {
    if (agent && !agentParam && route.panel !== 'shares') navigate(withQuery(route, { agent }), true);
  }, [agent, agentParam]);

  // The user's role on the agent: tenant ADMINs have every right; others
  // find themselves among the collaborators (a 404 = no role).
  const [agentRole, setAgentRole] = useState<AgentRole | null>(null);
  const [roleError, setRoleError] = useState<unknown>(null);
  const [roleLoading, setRoleLoading] = useState(true);
  useEffect(() => {
    setAgentRole(null);
    setRoleError(null);
    if (!tenant || !agent) {
      setRoleLoading(false);
      return;
    }
    setRoleLoading(true);
    let live = true;
    call(api.GET('/v1/tenants/{tenant}/agents/{agentId}/collaborators', { params: { path: { tenant, agentId: agent } } }))
      .then((list) => {
        if (!live) return;
        rememberAgent(agent); // only agents the user may open go into the picker
        const me = (list ?? []).find((c) => c.userId === claims.sub && c.status === 'ACTIVE');
        setAgentRole((me?.role as AgentRole | undefined) ?? null);
      })
      .catch((e) => live && tenantRole !== 'ADMIN' && setRoleError(e))
      .finally(() => live && setRoleLoading(false));
    return () => {
      live = false;
    };
  }, [api, tenant, agent, claims.sub, tenantRole]);
  const allowed = allowedFor(tenantRole, agentRole);
  const role = effectiveRole(tenantRole, agentRole);

  // PENDING poller: every 15 s while visible, and on focus.
  const [pending, setPending] = useState<AccessRequest[] | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const seen = useRef<Set<string> | null>(null);
  const refreshPending = useCallback(async () => {
    if (!tenant || !agent) return;
    try {
      const rows = await call(
        api.GET('/v1/tenants/{tenant}/participantAccessRequests', { params: { path: { tenant }, query: { AgentId: agent, Status: 'PENDING', pageSize: 500 } } }),
      );
      const list = rows ?? [];
      const added = arrivals(seen.current, list);
      if (seen.current === null) seen.current = new Set(list.map((r) => r.id));
      if (added.length) setFresh((f) => new Set([...f, ...added]));
      setPending(list);
    } catch {
      /* the panel shows its own load errors; the badge keeps its last value */
    }
  }, [api, tenant, agent]);
  const markSeen = useCallback(() => {
    setPending((p) => {
      seen.current = new Set((p ?? []).map((r) => r.id));
      return p;
    });
    setFresh(new Set());
  }, []);
  useEffect(() => {
    setPending(null);
    setFresh(new Set());
    seen.current = null;
    if (!allowed.read) return;
    refreshPending();
    return startPolling(refreshPending, browserDeps());
  }, [refreshPending, allowed.read]);
  useEffect(() => {
    const n = pending?.length ?? 0;
    document.title = (n ? `(${n}) ` : '') + 'gatehouse console';
  }, [pending]);

  const session: Session = useMemo(
    () => ({ api, claims, tenant, tenantRole, agent, agentRole, allowed, route, pending, fresh, refreshPending, markSeen }),
    [api, claims, tenant, tenantRole, agent, agentRole, route, pending, fresh, refreshPending, markSeen],
  );

  const panel = route.panel as PanelId | 'notfound';
  const navPanels = panels.filter((p) => (p.id === 'shares' ? showShares : !sharesOnly));
  const needsAgent = panel !== 'shares';
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <svg class="logo" aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
            <path d="M3 5h18M5 9h14M7 5v15M17 5v15" stroke="currentColor" stroke-width="2.4" fill="none" stroke-linecap="round" />
          </svg>{' '}
          gatehouse <span class="muted">console</span>
        </div>
        <div class="who">
          <span class="user" title={claims.email || claims.sub}>
            {claims.name || claims.sub}
          </span>
          <ul class="chips" aria-label="Your roles">
            {tenant && <li class="chip">{tenantRole === 'ADMIN' ? 'Tenant admin' : 'Tenant member'} · {tenant}</li>}
            {tenant && agent && tenantRole !== 'ADMIN' && !roleLoading && (
              <li class="chip">
                {roleLabel(role)} on {agent}
              </li>
            )}
            {showShares && <li class="chip">Organization admin · {claims.organization}</li>}
          </ul>
          <button type="button" onClick={() => um.signoutRedirect()}>
            Sign out
          </button>
        </div>
      </header>
      <nav class="nav" aria-label="Panels">
        <ul>
          {navPanels.map((p) => (
            <li key={p.id}>
              <a
                href={href(p.id, p.id === 'shares' ? {} : { agent, tenant: tenants.length > 1 ? tenant : null })}
                aria-current={panel === p.id ? 'page' : undefined}
                onClick={linkClick}
              >
                {p.label}
                {p.id === 'requests' && pending && pending.length > 0 && (
                  <span class="badge" aria-label={`${pending.length} pending`}>
                    {badge(pending.length)}
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
        {needsAgent && !sharesOnly && (
          <AgentPicker agent={agent} known={known} tenants={tenants} tenant={tenant} onPick={(a, t) => navigate(withQuery(route, { agent: a, tenant: t, request: null }))} />
        )}
      </nav>
      <main id="main" tabIndex={-1}>
        {panel === 'notfound' ? (
          <p class="state empty">
            There is no such page. <a href={href('requests', { agent })}>Go to Access Requests</a>.
          </p>
        ) : needsAgent && sharesOnly ? (
          <p class="state empty">Your account belongs to no tenant, so there are no agents to show.</p>
        ) : needsAgent && !agent ? (
          <p class="state empty">Pick an agent above to see its access requests, participants, connectors and collaborators.</p>
        ) : needsAgent && roleLoading ? (
          <Loading what="your role on this agent" />
        ) : needsAgent && roleError instanceof ApiError && roleError.failure.status === 404 ? (
          <p class="state error" role="alert">
            You hold no role on the agent “{agent}”, or it does not exist. Pick another agent above, or ask one of its admins for access.
          </p>
        ) : needsAgent && roleError ? (
          <ErrorBox error={roleError} />
        ) : (
          <Suspense fallback={<Loading what="the panel" />}>
            {panel === 'requests' && <AccessRequests />}
            {panel === 'participants' && <Participants />}
            {panel === 'connectors' && <Connectors />}
            {panel === 'collaborators' && <Collaborators />}
            {panel === 'activity' && <Activity />}
            {panel === 'shares' && (showShares ? <Shares /> : <p class="state empty">Shares are decided by organization admins; your account is not one.</p>)}
          </Suspense>
        )}
      </main>
    </SessionContext.Provider>
  );
}

function AgentPicker(props: { agent: string; known: string[]; tenants: string[]; tenant: string; onPick: (agent: string, tenant: string | null) => void }) {
  const [other, setOther] = useState(false);
  const [typed, setTyped] = useState('');
  const options = Array.from(new Set([props.agent, ...props.known].filter(Boolean)));
  return (
    <form
      class="picker"
      onSubmit={(e) => {
        e.preventDefault();
        const a = typed.trim();
        if (/^[A-Za-z0-9._-]{1,128}$/.test(a)) {
          setOther(false);
          setTyped('');
          props.onPick(a, props.tenants.length > 1 ? props.tenant : null);
        }
      }}
    >
      {props.tenants.length > 1 && (
        <label>
          Tenant{' '}
          <select value={props.tenant} onChange={(e) => props.onPick('', (e.target as HTMLSelectElement).value)}>
            {props.tenants.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
      )}
      <label>
        Agent{' '}
        <select
          value={other ? '__other' : props.agent}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            if (v === '__other') setOther(true);
            else {
              setOther(false);
              props.onPick(v, props.tenants.length > 1 ? props.tenant : null);
            }
          }}
        >
          {!props.agent && <option value="">Choose…</option>}
          {options.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
          <option value="__other">Other agent…</option>
        </select>
      </label>
      {other && (
        <>
          <label>
            Agent id{' '}
            <input value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} pattern="[A-Za-z0-9._\-]{1,128}" required autoFocus />
          </label>
          <button type="submit">Open</button>
        </>
      )}
    </form>
  );
}
