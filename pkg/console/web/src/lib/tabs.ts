// The Access Requests panel's tabs (seed 002's Pending and Approved, plus
// Rejected and Blocked) and their API status filters.

export const tabs = [
  { id: 'pending', label: 'Pending', status: 'PENDING' },
  { id: 'approved', label: 'Approved', status: 'APPROVED' },
  { id: 'rejected', label: 'Rejected', status: 'REJECTED' },
  { id: 'blocked', label: 'Blocked', status: 'BLOCKED' },
] as const;

export type TabId = (typeof tabs)[number]['id'];

/** The tab named by a query parameter (any case); Pending otherwise. */
export function tabFromQuery(v: string | null | undefined): TabId {
  const t = (v ?? '').toLowerCase();
  return (tabs.find((x) => x.id === t)?.id ?? 'pending') as TabId;
}

export function statusOf(tab: TabId): string {
  return tabs.find((x) => x.id === tab)!.status;
}

/** Rows of the tab, whatever else a response held (the API filters too). */
export function filterRows<T extends { status: string }>(rows: readonly T[], tab: TabId): T[] {
  const s = statusOf(tab);
  return rows.filter((r) => r.status === s);
}

/** Decision actions a row offers, by its status and the user's rights. */
export function rowActions(status: string, canDecide: boolean): ('approve' | 'reject' | 'block' | 'unblock')[] {
  if (!canDecide) return [];
  if (status === 'PENDING') return ['approve', 'reject', 'block'];
  if (status === 'BLOCKED') return ['unblock'];
  return [];
}
