import { describe, expect, it } from 'vitest';
import { ApiError, apiBaseUrl, call, makeApi } from './client';

describe('apiBaseUrl', () => {
  it.each([
    ['', 'https://gh.example', 'https://gh.example'],
    ['/prod', 'https://gh.example', 'https://gh.example/prod'],
    ['/prod/', 'https://gh.example', 'https://gh.example/prod'],
    ['https://api.example/', 'https://gh.example', 'https://api.example'],
  ])('apiBaseUrl(%j, %s) = %s', (b, o, want) => expect(apiBaseUrl(b, o)).toBe(want));
});

const json = (status: number, body: unknown, type = 'application/json') => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

describe('call', () => {
  const path = { tenant: 'demo', participantAccessRequest: '11111111-1111-1111-1111-111111111111' };
  it.each([
    {
      name: 'a 403 problem while deciding',
      answer: () => json(403, { type: 'https://gatehouse.dev/problems/forbidden', title: 'Forbidden', status: 403, detail: 'needs EDITOR', instance: '/x' }, 'application/problem+json'),
      want: 'You need the Editor role on this agent to decide requests.',
      unauthorized: false,
    },
    {
      name: 'a 401 ends the session',
      answer: () => json(401, { type: 'https://gatehouse.dev/problems/unauthenticated', title: 'Unauthorized', status: 401, detail: 'expired', instance: '/x' }, 'application/problem+json'),
      want: 'Your session has ended. Sign in again.',
      unauthorized: true,
    },
    {
      name: 'no answer at all',
      answer: () => {
        throw new TypeError('Failed to fetch');
      },
      want: 'gatehouse could not be reached. Check your connection and try again.',
      unauthorized: false,
    },
  ])('$name', async ({ answer, want, unauthorized }) => {
    let sawAuth = '';
    let sawUrl = '';
    let expired = false;
    const fetcher = (async (req: Request) => {
      sawAuth = req.headers.get('Authorization') ?? '';
      sawUrl = req.url;
      return answer();
    }) as typeof fetch;
    const api = makeApi('http://gatehouse.test', () => 'tok', () => (expired = true), fetcher);
    const err = await call(api.POST('/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}:approve', { params: { path }, body: { mode: null, note: 'hi' } }), 'decide').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe(want);
    expect(sawAuth).toBe('Bearer tok');
    expect(sawUrl).toBe(`http://gatehouse.test/v1/tenants/demo/participantAccessRequests/${path.participantAccessRequest}:approve`);
    expect(expired).toBe(unauthorized);
  });

  it('returns the body on success', async () => {
    const fetcher = (async () => json(200, [{ userId: 'carol' }])) as unknown as typeof fetch;
    const api = makeApi('http://gatehouse.test', () => null, () => {}, fetcher);
    const got = await call(api.GET('/v1/tenants/{tenant}/agents/{agentId}/collaborators', { params: { path: { tenant: 'demo', agentId: 'support-bot' } } }));
    expect(got).toEqual([{ userId: 'carol' }]);
  });
});
