// One audit trail, newest first: a table of entries in words, "Load more"
// from the Link header, and a JSON Lines download of every page. Used by
// the Activity panel (an agent) and the Shares panel (an organization).
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { actionWords, actorWords, change, exportName, nextPageToken, targetWords } from '../lib/audit';
import { dateTime, text } from '../lib/format';
import { toFailure } from '../lib/problem';
import { Empty, ErrorBox, Loading, useAction } from './ui';

export interface TrailRow {
  id: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  statusBefore: string | null;
  statusAfter: string | null;
  note: string | null;
  createdAt: number | string;
}

export interface TrailSource {
  /** One page as rows, and the next page's token. */
  page: (token: string | null) => Promise<{ rows: TrailRow[]; next: string | null }>;
  /** One page as JSON Lines text, and the next page's token. */
  lines: (token: string | null) => Promise<{ text: string; next: string | null }>;
  /** Names the export file. */
  scope: string;
}

/** Unwraps an openapi-fetch result with its Link header's next page. */
export async function paged<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<{ data: T; next: string | null }> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await p;
  } catch {
    throw new ApiError(toFailure(0, null), 'read');
  }
  if (!r.response.ok) throw new ApiError(toFailure(r.response.status, r.error), 'read');
  return { data: r.data as T, next: nextPageToken(r.response.headers.get('Link')) };
}

const exportPages = 200; // a bound, so a runaway Link chain cannot spin forever

export function AuditTrail({ source, me, label }: { source: TrailSource; me: string; label: string }) {
  const [rows, setRows] = useState<TrailRow[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  const more = useAction();
  const exp = useAction();
  useEffect(() => {
    let live = true;
    setRows(null);
    setError(null);
    source.page(null).then(
      (p) => live && (setRows(p.rows), setNext(p.next)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [source, n]);
  const loadMore = () =>
    more.run(async () => {
      const p = await source.page(next);
      setRows((r) => [...(r ?? []), ...p.rows]);
      setNext(p.next);
    });
  const download = () =>
    exp.run(async () => {
      let token: string | null = null;
      const parts: string[] = [];
      for (let i = 0; i < exportPages; i++) {
        const p = await source.lines(token);
        if (p.text) parts.push(p.text.endsWith('\n') ? p.text : p.text + '\n');
        token = p.next;
        if (!token) break;
      }
      const url = URL.createObjectURL(new Blob(parts, { type: 'application/x-ndjson' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = exportName(source.scope);
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  return (
    <div class="trail">
      <div class="row">
        <button type="button" onClick={download} disabled={exp.busy}>
          {exp.busy ? 'Preparing…' : 'Download JSON Lines'}
        </button>
        <button type="button" onClick={() => setN((x) => x + 1)}>
          Refresh activity
        </button>
      </div>
      {exp.error != null && <ErrorBox error={exp.error} />}
      {error ? (
        <ErrorBox error={error} retry={() => setN((x) => x + 1)} />
      ) : rows === null ? (
        <Loading what={label} />
      ) : rows.length === 0 ? (
        <Empty>Nothing has happened here yet.</Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table class="cards" aria-label={label}>
              <thead>
                <tr>
                  {trailColumns.map((c) => (
                    <th key={c} scope="col">
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    {trailCells(r, me).map((v, i) => (
                      <td key={i} data-label={trailColumns[i]}>
                        {v}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {more.error != null && <ErrorBox error={more.error} retry={loadMore} />}
          {next ? (
            <button type="button" onClick={loadMore} disabled={more.busy}>
              {more.busy ? 'Loading…' : 'Load more'}
            </button>
          ) : (
            <p class="muted small">That is the whole trail ({rows.length} {rows.length === 1 ? 'entry' : 'entries'}).</p>
          )}
        </>
      )}
    </div>
  );
}

export const trailColumns = ['Time', 'Actor', 'Action', 'Target', 'Before → after', 'Note'] as const;

export function trailCells(r: TrailRow, me: string): string[] {
  return [dateTime(r.createdAt), actorWords(r.actor, me), actionWords(r.action), targetWords(r.targetType, r.targetId), change(r.statusBefore, r.statusAfter), text(r.note)];
}
