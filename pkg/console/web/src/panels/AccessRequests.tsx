// Seed 002's Access Requests panel: Pending and Approved tabs (plus
// Rejected and Blocked), the documented columns, a detail view from GET one,
// and Approve / Reject / Block / Unblock for Editors and Admins.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { call, type AccessRequest, type Participant } from '../api/client';
import { connectorNames, listConnectors } from '../api/connectors';
import { badge } from '../lib/poll';
import { dateTime, processedBy, providerName, statusLabel, text } from '../lib/format';
import { href, linkClick, navigate, withQuery } from '../lib/router';
import { canReadAudit } from '../lib/roles';
import { filterRows, rowActions, statusOf, tabFromQuery, tabs, type TabId } from '../lib/tabs';
import { useSession } from '../session';
import { Dialog, Empty, ErrorBox, Loading, useAction, useLoad } from '../components/ui';
import { batchMax, outcome, prune, toggle, toggleAll, type BatchOutcome } from '../lib/batch';

type Decision = 'approve' | 'reject' | 'block' | 'unblock';

export function AccessRequests() {
  const s = useSession();
  const { api, tenant, agent, route } = s;
  const tab = tabFromQuery(route.query.get('tab'));
  const openId = route.query.get('request');
  const [notice, setNotice] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [batchResult, setBatchResult] = useState<BatchOutcome | null>(null);

  const connectors = useLoad(() => listConnectors(api, tenant, agent), [api, tenant, agent]);
  const names = useMemo(() => connectorNames(connectors.data ?? []), [connectors.data]);

  // Pending comes from the shell's poller; the other tabs load on demand.
  const other = useLoad(
    async () =>
      tab === 'pending'
        ? null
        : call(api.GET('/v1/tenants/{tenant}/participantAccessRequests', { params: { path: { tenant }, query: { AgentId: agent, Status: statusOf(tab), pageSize: 500 } } })),
    [api, tenant, agent, tab],
  );
  const [pendingError, setPendingError] = useState<unknown>(null);
  useEffect(() => {
    if (tab !== 'pending' || s.pending !== null) return;
    // The poller swallows errors; ask once more here to show one.
    call(api.GET('/v1/tenants/{tenant}/participantAccessRequests', { params: { path: { tenant }, query: { AgentId: agent, Status: 'PENDING', pageSize: 1 } } })).catch(setPendingError);
  }, [tab, s.pending, api, tenant, agent]);
  useEffect(() => {
    if (tab === 'pending' && s.fresh.size > 0) {
      setNotice(`${s.fresh.size} new pending ${s.fresh.size === 1 ? 'request' : 'requests'}.`);
    }
  }, [s.fresh.size, tab]);

  const rows = tab === 'pending' ? s.pending : other.data ? filterRows(other.data, tab) : null;
  const selectable = tab === 'pending' && s.allowed.decide;
  // Rows decided meanwhile (poll, another operator) leave the selection.
  const visibleIds = useMemo(() => (rows ?? []).map((r) => r.id), [rows]);
  useEffect(() => setSelected((sel) => (sel.size ? prune(sel, visibleIds) : sel)), [visibleIds]);
  const loading = tab === 'pending' ? s.pending === null && !pendingError : other.loading;
  const error = tab === 'pending' ? pendingError : other.error;
  const setTab = (t: TabId) => {
    if (t === 'pending') s.markSeen();
    navigate(withQuery(route, { tab: t === 'pending' ? null : t, request: null }));
  };
  const open = (id: string | null) => navigate(withQuery(route, { request: id }));
  const after = async (msg: string) => {
    setNotice(msg);
    open(null);
    await s.refreshPending();
    other.reload();
  };

  return (
    <section aria-labelledby="panel-title">
      <div class="panel-head">
        <h1 id="panel-title">Access Requests</h1>
        <p class="muted">Senders who wrote to {agent} through a connector with onboarding on.</p>
      </div>
      <div role="tablist" aria-label="Request status" class="tabs" onKeyDown={(e) => tabKeys(e, tab, setTab)}>
        {tabs.map((t) => (
          <button
            key={t.id}
            id={`tab-${t.id}`}
            role="tab"
            type="button"
            aria-selected={tab === t.id}
            aria-controls="requests-panel"
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
          >
            {t.label}
            {t.id === 'pending' && s.pending && s.pending.length > 0 && (
              <span class={'badge' + (s.fresh.size ? ' fresh' : '')} aria-label={`${s.pending.length} pending`}>
                {badge(s.pending.length)}
              </span>
            )}
          </button>
        ))}
      </div>
      <p class="sr-only" role="status" aria-live="polite">
        {notice}
      </p>
      {notice && (
        <p class="notice" aria-hidden="true">
          {notice}{' '}
          <button type="button" class="link" onClick={() => setNotice('')}>
            Dismiss
          </button>
        </p>
      )}
      <div id="requests-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {loading ? (
          <Loading what={`${tab} requests`} />
        ) : error ? (
          <ErrorBox error={error} retry={() => (tab === 'pending' ? (setPendingError(null), s.refreshPending()) : other.reload())} />
        ) : !rows || rows.length === 0 ? (
          <Empty>{emptyText(tab)}</Empty>
        ) : (
          <>
            {selectable && (
              <BatchBar
                rows={rows}
                selected={selected}
                onToggleAll={() => setSelected((x) => toggleAll(x, visibleIds))}
                onDone={async (o) => {
                  setBatchResult(o);
                  setSelected(new Set());
                  await s.refreshPending();
                }}
              />
            )}
            <RequestTable
              rows={rows}
              names={names}
              fresh={tab === 'pending' ? s.fresh : new Set()}
              canDecide={s.allowed.decide}
              onOpen={open}
              selection={selectable ? { selected, onToggle: (id) => setSelected((x) => toggle(x, id)), onToggleAll: () => setSelected((x) => toggleAll(x, visibleIds)) } : null}
            />
          </>
        )}
        {batchResult && tab === 'pending' && <BatchReport o={batchResult} onDismiss={() => setBatchResult(null)} />}
      </div>
      {openId && <RequestDetail id={openId} names={names} onClose={() => open(null)} onDone={after} />}
    </section>
  );
}

function emptyText(tab: TabId): string {
  switch (tab) {
    case 'pending':
      return 'No requests are waiting. New ones appear here by themselves.';
    case 'approved':
      return 'No approved requests yet.';
    case 'rejected':
      return 'No rejected requests.';
    case 'blocked':
      return 'No blocked senders.';
  }
}

function tabKeys(e: KeyboardEvent, tab: TabId, setTab: (t: TabId) => void) {
  const i = tabs.findIndex((t) => t.id === tab);
  let j = i;
  if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
  else if (e.key === 'ArrowLeft') j = (i + tabs.length - 1) % tabs.length;
  else if (e.key === 'Home') j = 0;
  else if (e.key === 'End') j = tabs.length - 1;
  else return;
  e.preventDefault();
  setTab(tabs[j]!.id);
  setTimeout(() => document.getElementById(`tab-${tabs[j]!.id}`)?.focus());
}

export const columns = ['User Name', 'Identifier', 'Provider', 'Connector', 'Conversation', 'Status', 'Created At', 'Processed By', 'Processing Note'] as const;

/** The nine documented cells of a row, as text. */
export function cells(r: AccessRequest, names: ReadonlyMap<string, string>): string[] {
  return [
    text(r.displayName),
    r.address,
    providerName(r.provider),
    names.get(r.integrationConfigId) ?? 'Unknown connector',
    text(r.conversationName),
    statusLabel(r.status),
    dateTime(r.createdAt),
    processedBy(r.processedBy),
    text(r.processingNote),
  ];
}

interface Selection {
  selected: ReadonlySet<string>;
  onToggle: (id: string) => void;
  onToggleAll: () => void;
}

function RequestTable(props: {
  rows: AccessRequest[];
  names: ReadonlyMap<string, string>;
  fresh: ReadonlySet<string>;
  canDecide: boolean;
  onOpen: (id: string) => void;
  selection: Selection | null;
}) {
  const sel = props.selection;
  const allOn = !!sel && props.rows.length > 0 && props.rows.every((r) => sel.selected.has(r.id));
  return (
    <div class="table-wrap">
      <table class="cards">
        <thead>
          <tr>
            {sel && (
              <th scope="col" class="pick">
                <input type="checkbox" aria-label="Select all pending requests" checked={allOn} onChange={sel.onToggleAll} />
              </th>
            )}
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => {
            const c = cells(r, props.names);
            const acts = rowActions(r.status, props.canDecide);
            return (
              <tr key={r.id} class={props.fresh.has(r.id) ? 'fresh' : ''}>
                {sel && (
                  <td class="pick">
                    <input type="checkbox" aria-label={`Select request from ${r.displayName || r.address}`} checked={sel.selected.has(r.id)} onChange={() => sel.onToggle(r.id)} />
                  </td>
                )}
                {c.map((v, i) => (
                  <td key={i} data-label={columns[i]}>
                    {i === 5 ? <span class={`status ${r.status.toLowerCase()}`}>{v}</span> : v}
                    {i === 0 && props.fresh.has(r.id) && <span class="new-tag">new</span>}
                  </td>
                ))}
                <td class="actions">
                  <button type="button" onClick={() => props.onOpen(r.id)} aria-label={`${acts.length ? 'Review' : 'View'} request from ${r.displayName || r.address}`}>
                    {acts.length ? 'Review' : 'View'}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** "Approve selected" / "Reject selected" with an optional note, through the batch verbs. */
function BatchBar(props: { rows: AccessRequest[]; selected: ReadonlySet<string>; onToggleAll: () => void; onDone: (o: BatchOutcome) => Promise<void> }) {
  const { api, tenant } = useSession();
  const [verb, setVerb] = useState<'approve' | 'reject' | null>(null);
  const [note, setNote] = useState('');
  const act = useAction();
  const n = props.selected.size;
  const names = useMemo(() => new Map(props.rows.map((r) => [r.id, r.displayName || r.address])), [props.rows]);
  const submit = (e: Event) => {
    e.preventDefault();
    if (!verb) return;
    act.run(async () => {
      const ids = [...props.selected].slice(0, batchMax);
      const body = { ids, note: note.trim() || null };
      const res =
        verb === 'approve'
          ? await call(api.POST('/v1/tenants/{tenant}/participantAccessRequests:batchApprove', { params: { path: { tenant } }, body }), 'decide')
          : await call(api.POST('/v1/tenants/{tenant}/participantAccessRequests:batchReject', { params: { path: { tenant } }, body }), 'decide');
      setVerb(null);
      setNote('');
      await props.onDone(outcome(verb, res.results, names));
    });
  };
  return (
    <div class="batch">
      <div class="row">
        <span>{n === 0 ? 'Select requests to decide several at once.' : `${n} selected${n > batchMax ? ` (the first ${batchMax} are decided)` : ''}.`}</span>
        {/* The header checkbox is hidden in the narrow card layout: this one is not. */}
        <button type="button" class="link" onClick={props.onToggleAll}>
          {n > 0 && n === props.rows.length ? 'Clear selection' : `Select all ${props.rows.length}`}
        </button>
        <button type="button" class="primary" disabled={n === 0 || act.busy} onClick={() => setVerb('approve')} aria-expanded={verb === 'approve'}>
          Approve selected
        </button>
        <button type="button" disabled={n === 0 || act.busy} onClick={() => setVerb('reject')} aria-expanded={verb === 'reject'}>
          Reject selected
        </button>
      </div>
      {verb && n > 0 && (
        <form class="decision" onSubmit={submit} aria-label={`${verb === 'approve' ? 'Approve' : 'Reject'} ${n} selected`}>
          <p>
            {verb === 'approve'
              ? `Approve ${n} ${n === 1 ? 'request' : 'requests'}: each sender becomes a new participant, or is bound to the participant that already matches them.`
              : `Reject ${n} ${n === 1 ? 'request' : 'requests'}: their next message opens a new request.`}
          </p>
          <label>
            Note for all <span class="muted">(optional)</span>
            <textarea value={note} maxLength={4000} rows={2} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
          </label>
          {act.error != null && <ErrorBox error={act.error} />}
          <div class="row">
            <button type="submit" class="primary" disabled={act.busy}>
              {act.busy ? 'Working…' : `Confirm ${verb} of ${n}`}
            </button>
            <button type="button" onClick={() => setVerb(null)} disabled={act.busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

function BatchReport({ o, onDismiss }: { o: BatchOutcome; onDismiss: () => void }) {
  return (
    <div class={'state ' + (o.failed.length ? 'error' : 'empty')} role="status" aria-label="Result of the batch decision">
      {o.doneText && <p>{o.doneText}</p>}
      {o.failed.length > 0 && (
        <>
          <p>
            {o.failed.length === 1 ? '1 request was' : `${o.failed.length} requests were`} not decided:
          </p>
          <ul>
            {o.failed.map((f) => (
              <li key={f.who}>
                <strong>{f.who}</strong>: {f.why}
              </li>
            ))}
          </ul>
        </>
      )}
      <button type="button" class="link" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

function RequestDetail(props: { id: string; names: ReadonlyMap<string, string>; onClose: () => void; onDone: (msg: string) => Promise<void> }) {
  const s = useSession();
  const { api, tenant } = s;
  const req = useLoad(
    () => call(api.GET('/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}', { params: { path: { tenant, participantAccessRequest: props.id } } })),
    [api, tenant, props.id],
  );
  const [decision, setDecision] = useState<Decision | null>(null);
  const r = req.data;
  const who = r ? r.displayName || r.address : '';
  return (
    <Dialog title={r ? `Request from ${who}` : 'Access request'} onClose={props.onClose} wide>
      {req.loading ? (
        <Loading what="the request" />
      ) : req.error || !r ? (
        <ErrorBox error={req.error} retry={req.reload} />
      ) : (
        <>
          <dl class="fields">
            {cells(r, props.names).map((v, i) => (
              <div key={i}>
                <dt>{columns[i]}</dt>
                <dd>{v}</dd>
              </div>
            ))}
            <div>
              <dt>Processed At</dt>
              <dd>{dateTime(r.processedAt)}</dd>
            </div>
            {r.matchedParticipantId && (
              <div>
                <dt>Matched participant</dt>
                <dd>
                  <code>{r.matchedParticipantId}</code>
                </dd>
              </div>
            )}
            {r.approvedParticipantId && (
              <div>
                <dt>Approved as participant</dt>
                <dd>
                  <code>{r.approvedParticipantId}</code>
                </dd>
              </div>
            )}
          </dl>
          {canReadAudit(s.tenantRole, s.agentRole) && (
            <p>
              <a href={href('activity', { agent: r.agentId, targetType: 'accessRequest', targetId: r.id })} onClick={linkClick}>
                History of this request
              </a>
            </p>
          )}
          {decision ? (
            <DecisionForm r={r} decision={decision} onCancel={() => setDecision(null)} onDone={props.onDone} />
          ) : (
            <div class="row actions-row">
              {rowActions(r.status, s.allowed.decide).map((a) => (
                <button key={a} type="button" class={a === 'approve' ? 'primary' : a === 'block' ? 'danger' : ''} onClick={() => setDecision(a)}>
                  {label[a]}
                </button>
              ))}
              {!s.allowed.decide && r.status === 'PENDING' && <p class="muted">You can view this request. Deciding it needs the Editor role on this agent.</p>}
            </div>
          )}
        </>
      )}
    </Dialog>
  );
}

const label: Record<Decision, string> = { approve: 'Approve', reject: 'Reject', block: 'Block', unblock: 'Unblock' };
type Mode = 'CREATE_NEW' | 'ADD_TO_EXISTING' | 'BIND_ONLY';

function DecisionForm(props: { r: AccessRequest; decision: Decision; onCancel: () => void; onDone: (msg: string) => Promise<void> }) {
  const { api, tenant } = useSession();
  const { r, decision } = props;
  const [note, setNote] = useState('');
  const [mode, setMode] = useState<Mode>(r.matchedParticipantId ? 'BIND_ONLY' : 'CREATE_NEW');
  const [displayName, setDisplayName] = useState(r.displayName ?? '');
  const [participant, setParticipant] = useState<Participant | null>(null);
  const act = useAction();
  const path = { tenant, participantAccessRequest: r.id };
  const who = r.displayName || r.address;
  const submit = (e: Event) => {
    e.preventDefault();
    act.run(async () => {
      const n = note.trim() || null;
      switch (decision) {
        case 'approve':
          await call(
            api.POST('/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}:approve', {
              params: { path },
              body: {
                mode,
                note: n,
                displayName: mode === 'CREATE_NEW' ? displayName.trim() || null : null,
                participantId: mode === 'ADD_TO_EXISTING' ? participant?.id ?? null : null,
              },
            }),
            'decide',
          );
          return props.onDone(`Approved ${who}.`);
        case 'reject':
          await call(api.POST('/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}:reject', { params: { path }, body: { note: n } }), 'decide');
          return props.onDone(`Rejected ${who}.`);
        case 'block':
          await call(api.POST('/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}:block', { params: { path }, body: { note: n } }), 'decide');
          return props.onDone(`Blocked ${who}.`);
        case 'unblock':
          await call(api.DELETE('/v1/tenants/{tenant}/participantAccessRequests/{participantAccessRequest}:block', { params: { path } }), 'decide');
          return props.onDone(`Lifted the block on ${who}; their next message opens a new request.`);
      }
    });
  };
  const needsPick = decision === 'approve' && mode === 'ADD_TO_EXISTING' && !participant;
  return (
    <form class="decision" onSubmit={submit} aria-label={`${label[decision]} ${who}`}>
      <h3>
        {label[decision]} {who}
      </h3>
      {decision === 'approve' && (
        <fieldset>
          <legend>How to let them in</legend>
          <label class="radio">
            <input type="radio" name="mode" checked={mode === 'CREATE_NEW'} onChange={() => setMode('CREATE_NEW')} /> Create a new participant
          </label>
          {mode === 'CREATE_NEW' && (
            <label class="indent">
              Display name
              <input value={displayName} maxLength={150} placeholder={r.address} onInput={(e) => setDisplayName((e.target as HTMLInputElement).value)} />
            </label>
          )}
          <label class="radio">
            <input type="radio" name="mode" checked={mode === 'ADD_TO_EXISTING'} onChange={() => setMode('ADD_TO_EXISTING')} /> Add to an existing participant
          </label>
          {mode === 'ADD_TO_EXISTING' && <ParticipantSearch picked={participant} onPick={setParticipant} />}
          <label class="radio">
            <input type="radio" name="mode" checked={mode === 'BIND_ONLY'} disabled={!r.matchedParticipantId} onChange={() => setMode('BIND_ONLY')} /> Bind the matched participant only
            {!r.matchedParticipantId && <span class="muted"> (no participant matches this sender)</span>}
          </label>
        </fieldset>
      )}
      {decision === 'unblock' ? (
        <p>The request stays blocked as a record; the sender's next message opens a new pending request.</p>
      ) : (
        <label>
          Note <span class="muted">(optional)</span>
          <textarea value={note} maxLength={4000} rows={3} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
        </label>
      )}
      {act.error != null && <ErrorBox error={act.error} />}
      <div class="row">
        <button type="submit" class={decision === 'block' ? 'danger' : 'primary'} disabled={act.busy || needsPick}>
          {act.busy ? 'Working…' : `Confirm ${label[decision].toLowerCase()}`}
        </button>
        <button type="button" onClick={props.onCancel} disabled={act.busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Finds a participant by name, e-mail or id among those the user may see. */
function ParticipantSearch(props: { picked: Participant | null; onPick: (p: Participant | null) => void }) {
  const { api, tenant } = useSession();
  const [q, setQ] = useState('');
  const all = useLoad(() => call(api.GET('/v1/tenants/{tenant}/participants', { params: { path: { tenant }, query: { pageSize: 500 } } })), [api, tenant]);
  const hits = useMemo(() => searchParticipants(all.data ?? [], q).slice(0, 8), [all.data, q]);
  return (
    <div class="indent search">
      <label>
        Search participants
        <input type="search" value={q} placeholder="Name, e-mail or id" onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      </label>
      {all.loading ? (
        <Loading what="participants" />
      ) : all.error ? (
        <ErrorBox error={all.error} retry={all.reload} />
      ) : hits.length === 0 ? (
        <Empty>No participant matches “{q}”.</Empty>
      ) : (
        <ul class="picklist" aria-label="Matching participants">
          {hits.map((p) => (
            <li key={p.id}>
              <label class="radio">
                <input type="radio" name="participant" checked={props.picked?.id === p.id} onChange={() => props.onPick(p)} /> {p.displayName}
                <span class="muted small"> {p.email ?? p.id.slice(0, 8)}</span>
              </label>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function searchParticipants(list: readonly Participant[], q: string): Participant[] {
  const t = q.trim().toLowerCase();
  if (!t) return [...list];
  return list.filter((p) => p.displayName.toLowerCase().includes(t) || (p.email ?? '').toLowerCase().includes(t) || p.id.startsWith(t) || p.channels.some((c) => c.address.toLowerCase().includes(t)));
}
