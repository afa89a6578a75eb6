// SweetConnect document shares waiting for an organization admin: each
// recipient with the documents shared with them; accept with a marketplace
// role, or decline after a confirmation.
import { useMemo, useState } from 'preact/hooks';
import { call, type PendingRecipient, type Schemas } from '../api/client';
import { AuditTrail, paged, type TrailSource } from '../components/AuditTrail';
import { dateTime, text } from '../lib/format';
import { parseWhole } from '../lib/settings';
import { useSession } from '../session';
import { Dialog, Empty, ErrorBox, Loading, useAction, useLoad } from '../components/ui';

type MarketplaceRole = Schemas['SharesMarketplaceRole'];
export const marketplaceRoles: { id: MarketplaceRole; label: string }[] = [
  { id: 'buyer', label: 'Buyer' },
  { id: 'seller', label: 'Seller' },
  { id: 'technician', label: 'Technician' },
  { id: 'sweetconnect', label: 'SweetConnect' },
];

export default function Shares() {
  const { api, claims } = useSession();
  const org = claims.organization!;
  const list = useLoad(
    async () => (await call(api.GET('/v1/shares/{organizationId}/pending-requests', { params: { path: { organizationId: org } } }), 'decide-share')).data,
    [api, org],
  );
  const [notice, setNotice] = useState('');
  const [declining, setDeclining] = useState<PendingRecipient | null>(null);
  const [rev, setRev] = useState(0); // a decision or a setting adds to the trail
  const done = (m: string) => {
    setNotice(m);
    setDeclining(null);
    list.reload();
    setRev((n) => n + 1);
  };
  const trail: TrailSource = useMemo(
    () => ({
      scope: org,
      page: async (pageToken) => {
        const p = await paged(api.GET('/v1/shares/{organizationId}/audit-events', { params: { path: { organizationId: org }, query: { pageSize: 50, ...(pageToken ? { pageToken } : {}) } } }));
        // JSON here: the ndjson shape is the export's (parseAs text below).
        return { rows: (p.data as Schemas['SharesAuditEventsData'] | undefined)?.data ?? [], next: p.next };
      },
      lines: async (pageToken) => {
        const p = await paged(
          api.GET('/v1/shares/{organizationId}/audit-events', { params: { path: { organizationId: org }, query: { format: 'jsonl', pageSize: 500, ...(pageToken ? { pageToken } : {}) } }, parseAs: 'text' }),
        );
        return { text: p.data ?? '', next: p.next };
      },
    }),
    // rev: a new source object reloads the trail
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, org, rev],
  );
  return (
    <section aria-labelledby="panel-title">
      <div class="panel-head row spread">
        <div>
          <h1 id="panel-title">Shares</h1>
          <p class="muted">People outside {org} who registered after a document was shared with them, waiting for your decision.</p>
        </div>
        <button type="button" onClick={list.reload} disabled={list.loading}>
          Refresh
        </button>
      </div>
      <p role="status" class={notice ? 'notice' : 'sr-only'}>
        {notice}
      </p>
      {list.loading ? (
        <Loading what="waiting recipients" />
      ) : list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data || list.data.length === 0 ? (
        <Empty>Nobody is waiting for a decision.</Empty>
      ) : (
        <ul class="card-list">
          {list.data.map((r) => (
            <Recipient key={r.recipientId} r={r} onDone={done} onDecline={() => setDeclining(r)} />
          ))}
        </ul>
      )}
      {declining && <Decline r={declining} onClose={() => setDeclining(null)} onDone={done} />}
      <ShareSettings org={org} onSaved={() => setRev((n) => n + 1)} />
      <section aria-labelledby="share-activity" class="sub">
        <h2 id="share-activity">Activity</h2>
        <p class="muted">Invitations, registrations and decisions on {org}'s shares, and changes to its settings, newest first.</p>
        <AuditTrail source={trail} me={claims.sub} label={`Share activity of ${org}`} />
      </section>
    </section>
  );
}

export function recipientName(r: PendingRecipient): string {
  const s = r.shares[0];
  return (s && (s.recipientName || s.recipientEmail)) || r.recipientId;
}

function Recipient({ r, onDone, onDecline }: { r: PendingRecipient; onDone: (m: string) => void; onDecline: () => void }) {
  const { api } = useSession();
  const [role, setRole] = useState<MarketplaceRole>('buyer');
  const act = useAction();
  const name = recipientName(r);
  const id = `recipient-${r.recipientId}`;
  return (
    <li class="card" aria-labelledby={id}>
      <h2 id={id}>{name}</h2>
      <p class="muted small">{r.shares[0]?.recipientEmail}</p>
      <h3>Documents shared with them</h3>
      <ul>
        {r.shares.map((s) => (
          <li key={s.shareId}>
            <strong>{s.documentName}</strong>
            <span class="muted small">
              {' '}
              by {text(s.senderName || s.senderEmail)} on {dateTime(s.createdAt)}
            </span>
          </li>
        ))}
      </ul>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          act.run(async () => {
            await call(api.POST('/v1/shares/{userId}/accept', { params: { path: { userId: r.recipientId } }, body: { marketplaceRole: role } }), 'decide-share');
            onDone(`Accepted ${name} as ${marketplaceRoles.find((m) => m.id === role)!.label.toLowerCase()}; they get a welcome e-mail.`);
          });
        }}
      >
        <label class="inline">
          Marketplace role
          <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as MarketplaceRole)}>
            {marketplaceRoles.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary" disabled={act.busy} aria-label={`Accept ${name}`}>
          Accept
        </button>
        <button type="button" class="danger" disabled={act.busy} onClick={onDecline} aria-label={`Decline ${name}`}>
          Decline
        </button>
      </form>
      {act.error != null && <ErrorBox error={act.error} />}
    </li>
  );
}

/** recipientExpiryDays: days a recipient may wait before the expiry sweep declines them. */
function ShareSettings({ org, onSaved }: { org: string; onSaved: () => void }) {
  const { api } = useSession();
  const cur = useLoad(async () => (await call(api.GET('/v1/shares/{organizationId}/settings', { params: { path: { organizationId: org } } }), 'decide-share')).data, [api, org]);
  const [days, setDays] = useState<string | null>(null); // null: untouched, show the stored value
  const [invalid, setInvalid] = useState('');
  const [saved, setSaved] = useState('');
  const act = useAction();
  const shown = days ?? (cur.data?.recipientExpiryDays ?? '').toString();
  const submit = (e: Event) => {
    e.preventDefault();
    const p = parseWhole(shown, { what: 'the days', min: 0, max: 3650, empty: true });
    if (!p.ok) {
      setInvalid(p.error);
      return;
    }
    setInvalid('');
    act.run(async () => {
      await call(api.PUT('/v1/shares/{organizationId}/settings', { params: { path: { organizationId: org } }, body: { recipientExpiryDays: p.value } }), 'decide-share');
      setSaved(p.value === null ? "Saved: waiting recipients follow the deployment's default." : p.value === 0 ? 'Saved: waiting recipients never expire.' : `Saved: recipients still waiting after ${p.value} days are declined.`);
      setDays(null);
      cur.reload();
      onSaved();
    });
  };
  return (
    <section aria-labelledby="share-settings" class="sub">
      <h2 id="share-settings">Settings</h2>
      {cur.loading && !cur.data ? (
        <Loading what="the settings" />
      ) : cur.error ? (
        <ErrorBox error={cur.error} retry={cur.reload} />
      ) : (
        <form onSubmit={submit} noValidate>
          <label>
            Decline waiting recipients after (days)
            <input
              inputMode="numeric"
              value={shown}
              placeholder="deployment default"
              aria-invalid={invalid ? true : undefined}
              aria-describedby="share-days-help"
              onInput={(e) => {
                setDays((e.target as HTMLInputElement).value);
                setSaved('');
              }}
            />
          </label>
          <p id="share-days-help" class="muted small">
            {'0 = never; empty = the deployment\'s default. A recipient declined this way is told by e-mail, as after an admin\'s decline.'}
            {cur.data?.updatedBy ? ` Last changed by ${cur.data.updatedBy} on ${dateTime(cur.data.updatedAt)}.` : ''}
          </p>
          {invalid && (
            <p class="state error" role="alert">
              {invalid}
            </p>
          )}
          {act.error != null && <ErrorBox error={act.error} />}
          <p role="status" class={saved ? 'notice' : 'sr-only'}>
            {saved}
          </p>
          <button type="submit" class="primary" disabled={act.busy}>
            Save settings
          </button>
        </form>
      )}
    </section>
  );
}

function Decline({ r, onClose, onDone }: { r: PendingRecipient; onClose: () => void; onDone: (m: string) => void }) {
  const { api } = useSession();
  const act = useAction();
  const name = recipientName(r);
  return (
    <Dialog title={`Decline ${name}?`} onClose={onClose}>
      <p>
        Their account is deleted and they lose access to {r.shares.length === 1 ? 'the shared document' : `the ${r.shares.length} shared documents`}. They get an e-mail saying so. This
        cannot be undone.
      </p>
      {act.error != null && <ErrorBox error={act.error} />}
      <div class="row">
        <button
          type="button"
          class="danger"
          disabled={act.busy}
          onClick={() =>
            act.run(async () => {
              await call(api.POST('/v1/shares/{userId}/decline', { params: { path: { userId: r.recipientId } } }), 'decide-share');
              onDone(`Declined ${name}.`);
            })
          }
        >
          {act.busy ? 'Declining…' : 'Yes, decline'}
        </button>
        <button type="button" onClick={onClose} disabled={act.busy}>
          Keep waiting
        </button>
      </div>
    </Dialog>
  );
}
