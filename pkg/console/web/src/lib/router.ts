// A tiny history router: panels are paths under /console/, the agent, tab
// and open request live in the query (?agent=…&tab=pending), so links from
// alert e-mails (/console/?agent=<id>&tab=pending) land on the right view.

import { useEffect, useState } from 'preact/hooks';

/**
 * Where the console is mounted: /console/, or /prod/console/ behind a named
 * API Gateway stage or a mapped path (the handler rewrites index.html's
 * asset URLs the same way).
 */
export function basePath(pathname: string): string {
  const i = pathname.indexOf('/console/');
  if (i >= 0) return pathname.slice(0, i) + '/console/';
  if (pathname.endsWith('/console')) return pathname + '/';
  return '/console/';
}

export const base = basePath(typeof location === 'undefined' ? '/console/' : location.pathname);

export const panels = [
  { id: 'requests', path: '', label: 'Access Requests' },
  { id: 'participants', path: 'participants', label: 'Participants' },
  { id: 'connectors', path: 'connectors', label: 'Connectors' },
  { id: 'collaborators', path: 'collaborators', label: 'Collaborators' },
  { id: 'activity', path: 'activity', label: 'Activity' },
  { id: 'shares', path: 'shares', label: 'Shares' },
] as const;

export type PanelId = (typeof panels)[number]['id'];

export interface Route {
  panel: PanelId | 'callback' | 'silent' | 'notfound';
  query: URLSearchParams;
}

export function parse(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  let rest = pathname.startsWith(base) ? pathname.slice(base.length) : pathname + '/' === base ? '' : null;
  if (rest === null) return { panel: 'notfound', query };
  rest = rest.replace(/\/+$/, '');
  if (rest === 'callback') return { panel: 'callback', query };
  if (rest === 'silent-callback') return { panel: 'silent', query };
  const p = panels.find((x) => x.path === rest);
  return { panel: p ? p.id : 'notfound', query };
}

/** The URL of a panel with query parameters; empty values are dropped. */
export function href(panel: PanelId, q: Record<string, string | null | undefined> = {}): string {
  const p = panels.find((x) => x.id === panel)!;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) qs.set(k, v);
  const s = qs.toString();
  return base + p.path + (s ? '?' + s : '');
}

/** Changes query parameters of the current URL (null removes one). */
export function withQuery(current: Route, changes: Record<string, string | null>): string {
  const q = new URLSearchParams(current.query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  const path = current.panel in { callback: 1, silent: 1, notfound: 1 } ? '' : panels.find((x) => x.id === current.panel)!.path;
  return base + path + (s ? '?' + s : '');
}

const listeners = new Set<() => void>();

export function navigate(url: string, replace = false): void {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

export function useRoute(): Route {
  const [r, setR] = useState(() => parse(location.pathname, location.search));
  useEffect(() => {
    const on = () => setR(parse(location.pathname, location.search));
    listeners.add(on);
    window.addEventListener('popstate', on);
    return () => {
      listeners.delete(on);
      window.removeEventListener('popstate', on);
    };
  }, []);
  return r;
}

/** Click handler for <a href> links: client-side navigation for plain clicks. */
export function linkClick(e: MouseEvent): void {
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
}
