import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { paged, trailCells, trailColumns, type TrailRow } from './AuditTrail';

const row: TrailRow = {
  id: 'e1',
  actor: 'carol',
  action: 'AccessRequestRejected',
  targetType: 'accessRequest',
  targetId: '0f1e2d3c-4b5a-5968-8776-aabbccddeeff',
  statusBefore: 'PENDING',
  statusAfter: 'REJECTED',
  note: 'Not this quarter',
  createdAt: 1793523600000,
};

describe('trailCells', () => {
  it('has one cell per column, in words', () => {
    const c = trailCells(row, 'alice');
    expect(c).toHaveLength(trailColumns.length);
    expect(c.slice(1)).toEqual(['carol', 'rejected an access request', 'access request 0f1e2d3c', 'pending → rejected', 'Not this quarter']);
    expect(c[0]).not.toBe('—');
  });
  it('reads ISO times (shares) and a missing note', () => {
    const c = trailCells({ ...row, createdAt: '2026-12-02T05:00:00Z', note: null, actor: 'gatehouse:expiry' }, 'alice');
    expect([c[1], c[5]]).toEqual(['gatehouse (expiry sweep)', '—']);
    expect(c[0]).not.toBe('—');
  });
});

describe('paged', () => {
  const res = (status: number, link: string | null) => new Response(null, { status, headers: link ? { Link: link } : {} });
  it('returns the data and the next token', async () => {
    const got = await paged(Promise.resolve({ data: [1, 2], response: res(200, '<https://x/v1/tenants/demo/auditEvents?pageToken=abc>; rel="next"') }));
    expect(got).toEqual({ data: [1, 2], next: 'abc' });
    const last = await paged(Promise.resolve({ data: [3], response: res(200, null) }));
    expect(last.next).toBeNull();
  });
  it('turns a failure into an ApiError in words', async () => {
    const cases: [string, Promise<{ data?: unknown; error?: unknown; response: Response }>, string][] = [
      ['403', Promise.resolve({ error: { status: 403, title: 'Forbidden' }, response: res(403, null) }), 'Your role does not allow this.'],
      ['network', Promise.reject(new TypeError('fetch failed')), 'gatehouse could not be reached. Check your connection and try again.'],
    ];
    for (const [name, p, want] of cases) {
      const e = await paged(p).catch((x) => x);
      expect(e, name).toBeInstanceOf(ApiError);
      expect((e as ApiError).message, name).toBe(want);
    }
  });
});
