import { describe, expect, it } from 'vitest';
import { basePath, href, parse, withQuery } from './router';

describe('router', () => {
  it.each([
    { path: '/console/', search: '?agent=support-bot&tab=pending', panel: 'requests', agent: 'support-bot', tab: 'pending' },
    { path: '/console', search: '', panel: 'requests', agent: null, tab: null },
    { path: '/console/participants', search: '?agent=a', panel: 'participants', agent: 'a', tab: null },
    { path: '/console/shares/', search: '', panel: 'shares', agent: null, tab: null },
    { path: '/console/callback', search: '?code=x&state=y', panel: 'callback', agent: null, tab: null },
    { path: '/console/silent-callback', search: '', panel: 'silent', agent: null, tab: null },
    { path: '/console/nope', search: '', panel: 'notfound', agent: null, tab: null },
    { path: '/elsewhere', search: '', panel: 'notfound', agent: null, tab: null },
  ])('parse($path$search)', ({ path, search, panel, agent, tab }) => {
    const r = parse(path, search);
    expect(r.panel).toBe(panel);
    expect(r.query.get('agent')).toBe(agent);
    expect(r.query.get('tab')).toBe(tab);
  });

  it.each([
    ['/console/', '/console/'],
    ['/console', '/console/'],
    ['/console/participants', '/console/'],
    ['/prod/console/callback', '/prod/console/'],
    ['/api/v2/console/shares', '/api/v2/console/'],
    ['/elsewhere', '/console/'],
  ])('basePath(%s) = %s', (p, want) => expect(basePath(p)).toBe(want));

  it('href drops empty values', () => {
    expect(href('connectors', { agent: 'a b', tab: null })).toBe('/console/connectors?agent=a+b');
    expect(href('requests')).toBe('/console/');
  });

  it('withQuery keeps the panel and other parameters', () => {
    const r = parse('/console/', '?agent=x&tab=approved&request=1');
    expect(withQuery(r, { request: null, tab: 'blocked' })).toBe('/console/?agent=x&tab=blocked');
    expect(withQuery(parse('/console/collaborators', '?agent=x'), { agent: 'y' })).toBe('/console/collaborators?agent=y');
  });
});
