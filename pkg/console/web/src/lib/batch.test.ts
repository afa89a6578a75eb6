import { describe, expect, it } from 'vitest';
import { list, outcome, prune, toggle, toggleAll, type BatchItem } from './batch';

describe('selection', () => {
  it('toggles one id, all visible ids, and prunes decided ones', () => {
    const cases: { name: string; got: Set<string>; want: string[] }[] = [
      { name: 'add', got: toggle(new Set(), 'a'), want: ['a'] },
      { name: 'remove', got: toggle(new Set(['a', 'b']), 'a'), want: ['b'] },
      { name: 'all from some', got: toggleAll(new Set(['a']), ['a', 'b']), want: ['a', 'b'] },
      { name: 'all from all clears', got: toggleAll(new Set(['a', 'b']), ['a', 'b']), want: [] },
      { name: 'all of none', got: toggleAll(new Set(), []), want: [] },
      { name: 'prune', got: prune(new Set(['a', 'gone']), ['a', 'b']), want: ['a'] },
    ];
    for (const c of cases) expect([...c.got].sort(), c.name).toEqual(c.want);
  });
});

describe('outcome', () => {
  const names = new Map([
    ['1', 'Fox Mulder'],
    ['2', 'Dana Scully'],
    ['3', 'Monica Reyes'],
  ]);
  const ok = (id: string): BatchItem => ({ id, accessRequest: { displayName: names.get(id) ?? null, address: 'x' }, problem: null });
  const bad = (id: string, problem: Record<string, unknown>): BatchItem => ({ id, accessRequest: null, problem: problem as BatchItem['problem'] });
  const cases: { name: string; verb: 'approve' | 'reject'; items: BatchItem[]; done: string[]; doneText: string; summary: string }[] = [
    { name: 'all approved', verb: 'approve', items: [ok('1'), ok('2')], done: ['Fox Mulder', 'Dana Scully'], doneText: 'Approved Fox Mulder and Dana Scully.', summary: 'Approved Fox Mulder and Dana Scully.' },
    {
      name: 'one decided meanwhile',
      verb: 'reject',
      items: [ok('1'), bad('2', { type: 'https://gatehouse.dev/problems/not-pending', status: 400, currentStatus: 'APPROVED' })],
      done: ['Fox Mulder'],
      doneText: 'Rejected Fox Mulder.',
      summary: 'Rejected Fox Mulder. 1 request was not rejected: Dana Scully (This request was already decided: it is approved now. Refresh to see who decided it).',
    },
    {
      name: 'unknown id, named by id',
      verb: 'approve',
      items: [bad('9', { status: 404, title: 'Not Found' })],
      done: [],
      doneText: '',
      summary: '1 request was not approved: 9 (This no longer exists, or you hold no role on this agent).',
    },
    {
      name: 'two failures',
      verb: 'approve',
      items: [bad('1', { status: 403 }), bad('3', { type: 'https://gatehouse.dev/problems/channel-taken', status: 409 })],
      done: [],
      doneText: '',
      summary:
        '2 requests were not approved: Fox Mulder (You need the Editor role on this agent to decide requests); Monica Reyes (This sender\'s channel already belongs to another participant).',
    },
    { name: 'nothing', verb: 'approve', items: [], done: [], doneText: '', summary: 'Nothing was decided.' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = outcome(c.verb, c.items, names);
      expect(got.done).toEqual(c.done);
      expect(got.summary).toBe(c.summary);
      expect(got.doneText).toBe(c.doneText);
      expect(got.failed.length).toBe(c.items.length - c.done.length);
    });
  }
  it('lists in words', () => {
    expect([list([]), list(['a']), list(['a', 'b']), list(['a', 'b', 'c'])]).toEqual(['', 'a', 'a and b', 'a, b and c']);
  });
});
