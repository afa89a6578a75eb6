// SweetConnect document shares waiting for an organization admin: each
// recipient with the documents shared with them; accept with a marketplace
// role, or decline after a confirmation.
import { useState } from 'preact/hooks';
import { call, type PendingRecipient, type Schemas } from '../api/client';
import { dateTime, text } from '../lib/format';
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
  const done = (m: string) => {
    setNotice(m);
    setDeclining(null);
    list.reload();
  };
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
