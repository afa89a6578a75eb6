import { describe, expect, it } from 'vitest';
import { filterRows, rowActions, statusOf, tabFromQuery } from './tabs';

describe('tabs', () => {
  it.each([
    ['pending', 'pending'],
    ['APPROVED', 'approved'],
    ['Blocked', 'blocked'],
    ['', 'pending'],
    [null, 'pending'],
    ['nonsense', 'pending'],
  ])('tabFromQuery(%s) = %s', (q, want) => expect(tabFromQuery(q)).toBe(want));

  it('statusOf', () => {
    expect(statusOf('rejected')).toBe('REJECTED');
  });

  it('filterRows keeps the tab status only', () => {
    const rows = [
      { id: '1', status: 'PENDING' },
      { id: '2', status: 'APPROVED' },
      { id: '3', status: 'PENDING' },
    ];
    expect(filterRows(rows, 'pending').map((r) => r.id)).toEqual(['1', '3']);
    expect(filterRows(rows, 'blocked')).toEqual([]);
  });

  it.each([
    { status: 'PENDING', canDecide: true, want: ['approve', 'reject', 'block'] },
    { status: 'PENDING', canDecide: false, want: [] },
    { status: 'BLOCKED', canDecide: true, want: ['unblock'] },
    { status: 'BLOCKED', canDecide: false, want: [] },
    { status: 'APPROVED', canDecide: true, want: [] },
    { status: 'REJECTED', canDecide: true, want: [] },
  ])('rowActions($status, $canDecide)', ({ status, canDecide, want }) => expect(rowActions(status, canDecide)).toEqual(want));
});
