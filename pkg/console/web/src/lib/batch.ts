// Multi-select on the Pending tab: which rows are selected, and the
// per-item answer of :batchApprove / :batchReject told in words.
import { sentence, toFailure } from './problem';

export const batchMax = 100; // the API's limit per call

export interface BatchItem {
  id: string;
  accessRequest: { displayName: string | null; address: string } | null;
  problem: { status?: number } | null;
}

export interface BatchOutcome {
  /** Names of the requests decided. */
  done: string[];
  /** Names and the reason, in words, of those not decided. */
  failed: { who: string; why: string }[];
  /** "Approved a and b." or '' when none was. */
  doneText: string;
  /** One line for the notice. */
  summary: string;
}

/** Toggles one id; with `all` set, selects or clears every visible id. */
export function toggle(sel: ReadonlySet<string>, id: string): Set<string> {
  const n = new Set(sel);
  if (n.has(id)) n.delete(id);
  else n.add(id);
  return n;
}

export function toggleAll(sel: ReadonlySet<string>, visible: readonly string[]): Set<string> {
  const allOn = visible.length > 0 && visible.every((id) => sel.has(id));
  return allOn ? new Set() : new Set(visible);
}

/** Drops selected ids no longer on the list (decided meanwhile, elsewhere). */
export function prune(sel: ReadonlySet<string>, visible: readonly string[]): Set<string> {
  const v = new Set(visible);
  return new Set([...sel].filter((id) => v.has(id)));
}

/**
 * The per-item results in words. `names` maps ids to how the list showed
 * them (a failed item has no request in the answer to name it).
 */
export function outcome(verb: 'approve' | 'reject', items: readonly BatchItem[], names: ReadonlyMap<string, string>): BatchOutcome {
  const done: string[] = [];
  const failed: { who: string; why: string }[] = [];
  for (const it of items) {
    const who = names.get(it.id) ?? (it.accessRequest ? it.accessRequest.displayName || it.accessRequest.address : it.id);
    if (it.accessRequest && !it.problem) done.push(who);
    else failed.push({ who, why: sentence(toFailure(it.problem?.status ?? 500, it.problem), 'decide') });
  }
  const past = verb === 'approve' ? 'Approved' : 'Rejected';
  const doneText = done.length ? `${past} ${list(done)}.` : '';
  const parts: string[] = [];
  if (doneText) parts.push(doneText);
  if (failed.length) parts.push(`${failed.length === 1 ? '1 request was' : `${failed.length} requests were`} not ${verb === 'approve' ? 'approved' : 'rejected'}: ${failed.map((f) => `${f.who} (${f.why.replace(/\.$/, '')})`).join('; ')}.`);
  return { done, failed, doneText, summary: parts.join(' ') || 'Nothing was decided.' };
}

/** "a", "a and b", "a, b and c". */
export function list(xs: readonly string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}
