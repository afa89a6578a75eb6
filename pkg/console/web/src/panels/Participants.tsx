// Participants bound to the agent: avatar, channels with health, bindings;
// sync the avatar from a channel, disable / enable, edit name and e-mail.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { call, type Participant } from '../api/client';
import { connectorNames, listConnectors } from '../api/connectors';
import { dateTime, healthReason, initials, providerName, text } from '../lib/format';
import { useSession } from '../session';
import { Dialog, Empty, ErrorBox, Loading, useAction, useLoad } from '../components/ui';

export default function Participants() {
  const { api, tenant, agent, allowed } = useSession();
  const list = useLoad(() => call(api.GET('/v1/tenants/{tenant}/participants', { params: { path: { tenant }, query: { agentId: agent, pageSize: 500 } } })), [api, tenant, agent]);
  const conns = useLoad(() => listConnectors(api, tenant, agent), [api, tenant, agent]);
  const names = useMemo(() => connectorNames(conns.data ?? []), [conns.data]);
  const providers = useMemo(() => new Map((conns.data ?? []).map((c) => [c.id, c.integrationId])), [conns.data]);
  const [editing, setEditing] = useState<Participant | null>(null);
  const [syncing, setSyncing] = useState<Participant | null>(null);
  const [notice, setNotice] = useState('');
  const done = (msg: string) => {
    setNotice(msg);
    setEditing(null);
    setSyncing(null);
    list.reload();
  };
  return (
    <section aria-labelledby="panel-title">
      <div class="panel-head">
        <h1 id="panel-title">Participants</h1>
        <p class="muted">People and bots bound to {agent}, with the channels they write from.</p>
      </div>
      <p role="status" class={notice ? 'notice' : 'sr-only'}>
        {notice}
      </p>
      {list.loading ? (
        <Loading what="participants" />
      ) : list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data || list.data.length === 0 ? (
        <Empty>No participants are bound to {agent} yet. Approving an access request creates one.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Participant</th>
                <th scope="col">Channels</th>
                <th scope="col">Health</th>
                <th scope="col">Bindings</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((p) => (
                <tr key={p.id}>
                  <td data-label="Participant">
                    <div class="person">
                      <Avatar p={p} />
                      <div>
                        <strong>{p.displayName}</strong>
                        <div class="muted small">{p.email ?? p.kind.toLowerCase()}</div>
                        {p.avatarSource && (
                          <div class="muted small">
                            Avatar {p.avatarSource === 'UPLOADED' ? 'uploaded' : `from ${providerName(p.avatarSource)}`}
                            {p.avatarSyncedAt ? `, ${dateTime(p.avatarSyncedAt)}` : ''}
                          </div>
                        )}
                      </div>
                    </div>
                  </td>
                  <td data-label="Channels">
                    <ul class="plain">
                      {p.channels.map((c, i) => (
                        <li key={i}>
                          {providerName(providers.get(c.integrationConfigId))} · {c.address}
                          <span class="muted small"> {names.get(c.integrationConfigId) ?? 'unknown connector'}</span>
                          {c.disabled && <span class="muted small"> (disabled)</span>}
                        </li>
                      ))}
                      {p.channels.length === 0 && <li class="muted">none</li>}
                    </ul>
                  </td>
                  <td data-label="Health">
                    <span class={'status ' + (p.health.reachable ? 'ok' : 'bad')}>{p.health.reachable ? 'reachable' : 'unreachable'}</span>
                    {p.health.reason && <div class="muted small">{healthReason(p.health.reason)}</div>}
                    {p.health.channels
                      .filter((h) => h.reason)
                      .map((h, i) => (
                        <div key={i} class="muted small">
                          {h.address}: {healthReason(h.reason as string)}
                        </div>
                      ))}
                  </td>
                  <td data-label="Bindings">{p.agentIds.join(', ') || '—'}</td>
                  <td data-label="State">{p.disabledAt ? <span class="status bad">disabled {dateTime(p.disabledAt)}</span> : <span class="status ok">active</span>}</td>
                  <td class="actions">
                    {allowed.editParticipants && (
                      <>
                        <button type="button" onClick={() => setEditing(p)} aria-label={`Edit ${p.displayName}`}>
                          Edit
                        </button>
                        <button type="button" onClick={() => setSyncing(p)} aria-label={`Sync avatar of ${p.displayName}`} disabled={p.channels.length === 0}>
                          Sync avatar
                        </button>
                        <ToggleDisabled p={p} onDone={done} />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && <EditParticipant p={editing} onClose={() => setEditing(null)} onDone={done} />}
      {syncing && <SyncAvatar p={syncing} names={names} onClose={() => setSyncing(null)} onDone={done} />}
    </section>
  );
}

/** The avatar through the authenticated 302 route; initials when none or unreachable. */
function Avatar({ p }: { p: Participant }) {
  const { api, tenant } = useSession();
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    if (!p.avatarFileId) return;
    let url: string | null = null;
    let live = true;
    api
      .GET('/v1/tenants/{tenant}/participants/{participant}/avatar', { params: { path: { tenant, participant: p.id } }, parseAs: 'blob' })
      .then((r) => {
        if (live && r.response.ok && r.data instanceof Blob && r.data.type.startsWith('image/')) {
          url = URL.createObjectURL(r.data);
          setSrc(url);
        }
      })
      .catch(() => undefined);
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [api, tenant, p.id, p.avatarFileId, p.avatarSyncedAt]);
  return src ? <img class="avatar" src={src} alt="" /> : <span class="avatar" aria-hidden="true">{initials(p.displayName)}</span>;
}

function ToggleDisabled({ p, onDone }: { p: Participant; onDone: (m: string) => void }) {
  const { api, tenant } = useSession();
  const act = useAction();
  const path = { tenant, participant: p.id };
  return (
    <>
      <button
        type="button"
        disabled={act.busy}
        aria-label={`${p.disabledAt ? 'Enable' : 'Disable'} ${p.displayName}`}
        onClick={() =>
          act.run(async () => {
            if (p.disabledAt) {
              await call(api.POST('/v1/tenants/{tenant}/participants/{participant}:enable', { params: { path } }), 'edit-participant');
              onDone(`Enabled ${p.displayName}.`);
            } else {
              await call(api.POST('/v1/tenants/{tenant}/participants/{participant}:disable', { params: { path } }), 'edit-participant');
              onDone(`Disabled ${p.displayName}: their messages are no longer let in.`);
            }
          })
        }
      >
        {p.disabledAt ? 'Enable' : 'Disable'}
      </button>
      {act.error != null && <ErrorBox error={act.error} />}
    </>
  );
}

function EditParticipant({ p, onClose, onDone }: { p: Participant; onClose: () => void; onDone: (m: string) => void }) {
  const { api, tenant } = useSession();
  const [name, setName] = useState(p.displayName);
  const [email, setEmail] = useState(p.email ?? '');
  const act = useAction();
  return (
    <Dialog title={`Edit ${p.displayName}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          act.run(async () => {
            await call(
              api.PATCH('/v1/tenants/{tenant}/participants/{participant}', { params: { path: { tenant, participant: p.id } }, body: { displayName: name.trim(), email: email.trim() } }),
              'edit-participant',
            );
            onDone(`Saved ${name.trim()}.`);
          });
        }}
      >
        <label>
          Display name
          <input value={name} required maxLength={150} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          E-mail <span class="muted">(optional)</span>
          <input type="email" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </label>
        <p class="muted small">Created {dateTime(p.createdAt)} · kind {p.kind.toLowerCase()} · id {p.id}</p>
        {act.error != null && <ErrorBox error={act.error} />}
        <div class="row">
          <button type="submit" class="primary" disabled={act.busy}>
            Save
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function SyncAvatar({ p, names, onClose, onDone }: { p: Participant; names: ReadonlyMap<string, string>; onClose: () => void; onDone: (m: string) => void }) {
  const { api, tenant } = useSession();
  const [pick, setPick] = useState(0);
  const act = useAction();
  return (
    <Dialog title={`Sync the avatar of ${p.displayName}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const c = p.channels[pick];
          if (!c) return;
          act.run(async () => {
            await call(
              api.POST('/v1/tenants/{tenant}/participants/{participant}/{action}', {
                params: { path: { tenant, participant: p.id, action: 'avatar:syncFromChannel' } },
                body: { integrationConfigId: c.integrationConfigId, address: c.address },
              }),
              'edit-participant',
            );
            onDone(`Synced the avatar of ${p.displayName}.`);
          });
        }}
      >
        <fieldset>
          <legend>Take the picture from</legend>
          {p.channels.map((c, i) => (
            <label class="radio" key={i}>
              <input type="radio" name="channel" checked={pick === i} onChange={() => setPick(i)} /> {text(names.get(c.integrationConfigId))} · {c.address}
            </label>
          ))}
        </fieldset>
        {act.error != null && <ErrorBox error={act.error} />}
        <div class="row">
          <button type="submit" class="primary" disabled={act.busy}>
            {act.busy ? 'Syncing…' : 'Sync avatar'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
