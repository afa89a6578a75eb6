// The agent's collaborators: roles and alert preferences; pending access
// requests to approve or reject; add and remove (agent ADMINs).
import { useState } from 'preact/hooks';
import { call, type Collaborator } from '../api/client';
import { listConnectors } from '../api/connectors';
import { slackTarget } from '../lib/settings';
import { dateTime } from '../lib/format';
import { roleLabel, type AgentRole } from '../lib/roles';
import { useSession } from '../session';
import { Empty, ErrorBox, Loading, useAction, useLoad } from '../components/ui';

const roles: AgentRole[] = ['VIEWER', 'EDITOR', 'ADMIN'];
type Prefs = Collaborator['alertPreferences'];
const prefLabels: [keyof Prefs, string][] = [
  ['accessRequestAlerts', 'Access requests'],
  ['errorAlerts', 'Errors'],
  ['budgetAlerts', 'Budget'],
];

export default function Collaborators() {
  const { api, tenant, agent, allowed, claims } = useSession();
  const list = useLoad(() => call(api.GET('/v1/tenants/{tenant}/agents/{agentId}/collaborators', { params: { path: { tenant, agentId: agent } } })), [api, tenant, agent]);
  const [notice, setNotice] = useState('');
  const done = (m: string) => {
    setNotice(m);
    list.reload();
  };
  const rows = list.data ?? [];
  return (
    <section aria-labelledby="panel-title">
      <div class="panel-head">
        <h1 id="panel-title">Collaborators</h1>
        <p class="muted">Who may see and decide {agent}'s requests. Tenant admins have access without being listed.</p>
      </div>
      <p role="status" class={notice ? 'notice' : 'sr-only'}>
        {notice}
      </p>
      {list.loading ? (
        <Loading what="collaborators" />
      ) : list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : rows.length === 0 ? (
        <Empty>No collaborators on {agent} yet.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Alerts by e-mail</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <CollaboratorRow key={c.userId} c={c} canManage={allowed.manageCollaborators} self={c.userId === claims.sub} onDone={done} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {allowed.manageCollaborators && <AddCollaborator onDone={done} />}
      {allowed.manageCollaborators && <SlackAlerts />}
    </section>
  );
}

function CollaboratorRow({ c, canManage, self, onDone }: { c: Collaborator; canManage: boolean; self: boolean; onDone: (m: string) => void }) {
  const { api, tenant, agent } = useSession();
  const act = useAction();
  const who = [c.firstName, c.lastName].filter(Boolean).join(' ') || c.userId;
  const path = { tenant, agentId: agent };
  // Shown at once, put back if the save fails.
  const [prefs, setPrefs] = useState<Prefs>(c.alertPreferences);
  const put = (role: string, alertPreferences: Prefs, msg: string) => {
    setPrefs(alertPreferences);
    return act.run(async () => {
      try {
        await call(api.PUT('/v1/tenants/{tenant}/agents/{agentId}/collaborators', { params: { path }, body: { userId: c.userId, role, alertPreferences } }), 'manage-collaborators');
      } catch (e) {
        setPrefs(c.alertPreferences);
        throw e;
      }
      onDone(msg);
    });
  };
  return (
    <tr>
      <td data-label="User">
        <strong>{who}</strong>
        <div class="muted small">
          {c.userId}
          {c.email ? ` · ${c.email}` : ''}
          {self ? ' · you' : ''}
        </div>
      </td>
      <td data-label="Role">
        {c.status === 'PENDING' ? (
          <span>
            <span class="status pending">asks for {roleLabel(c.role)}</span>
          </span>
        ) : canManage ? (
          <label class="inline">
            <span class="sr-only">Role of {who}</span>
            <select value={c.role} disabled={act.busy} onChange={(e) => put((e.target as HTMLSelectElement).value, prefs, `${who} is now ${roleLabel((e.target as HTMLSelectElement).value)}.`)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
          </label>
        ) : (
          roleLabel(c.role)
        )}
      </td>
      <td data-label="Alerts">
        <div class="row">
          {prefLabels.map(([k, l]) => (
            <label class="check" key={k}>
              <input
                type="checkbox"
                checked={prefs[k]}
                disabled={!canManage || c.status === 'PENDING' || act.busy}
                onChange={(e) => put(c.role, { ...prefs, [k]: (e.target as HTMLInputElement).checked }, `Saved ${who}'s alert preferences.`)}
              />{' '}
              {l}
            </label>
          ))}
        </div>
      </td>
      <td data-label="Since">{dateTime(c.createdAt)}</td>
      <td class="actions">
        {canManage && c.status === 'PENDING' && (
          <>
            <button
              type="button"
              class="primary"
              disabled={act.busy}
              onClick={() =>
                act.run(async () => {
                  await call(api.POST('/v1/tenants/{tenant}/agents/{agentId}/collaborators/{user}:approve', { params: { path: { ...path, user: c.userId } } }), 'manage-collaborators');
                  onDone(`${who} is now ${roleLabel(c.role)}.`);
                })
              }
            >
              Grant
            </button>
            <button
              type="button"
              disabled={act.busy}
              onClick={() =>
                act.run(async () => {
                  await call(api.POST('/v1/tenants/{tenant}/agents/{agentId}/collaborators/{user}:reject', { params: { path: { ...path, user: c.userId } } }), 'manage-collaborators');
                  onDone(`Turned down ${who}'s request.`);
                })
              }
            >
              Turn down
            </button>
          </>
        )}
        {canManage && c.status === 'ACTIVE' && (
          <button
            type="button"
            disabled={act.busy}
            aria-label={`Remove ${who}`}
            onClick={() =>
              confirm(`Remove ${who} from ${agent}?`) &&
              act.run(async () => {
                await call(api.DELETE('/v1/tenants/{tenant}/agents/{agentId}/collaborators/{user}', { params: { path: { ...path, user: c.userId } } }), 'manage-collaborators');
                onDone(`Removed ${who}.`);
              })
            }
          >
            Remove
          </button>
        )}
        {act.error != null && <ErrorBox error={act.error} />}
      </td>
    </tr>
  );
}

function AddCollaborator({ onDone }: { onDone: (m: string) => void }) {
  const { api, tenant, agent } = useSession();
  const [user, setUser] = useState('');
  const [role, setRole] = useState<AgentRole>('VIEWER');
  const act = useAction();
  return (
    <form
      class="card spaced"
      onSubmit={(e) => {
        e.preventDefault();
        act.run(async () => {
          await call(api.PUT('/v1/tenants/{tenant}/agents/{agentId}/collaborators', { params: { path: { tenant, agentId: agent } }, body: { userId: user.trim(), role } }), 'manage-collaborators');
          onDone(`${user.trim()} is now ${roleLabel(role)}.`);
          setUser('');
        });
      }}
    >
      <h2>Add a collaborator</h2>
      <div class="row">
        <label>
          User id <span class="muted">(their sign-in subject)</span>
          <input value={user} required maxLength={255} onInput={(e) => setUser((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as AgentRole)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleLabel(r)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary" disabled={act.busy}>
          Add
        </button>
      </div>
      {act.error != null && <ErrorBox error={act.error} />}
      <p class="muted small">gatehouse has no user directory: the id is the subject of the user's sign-in token.</p>
    </form>
  );
}

/** The agent's Slack digest of new access requests (alertSettings), for agent ADMINs. */
function SlackAlerts() {
  const { api, tenant, agent } = useSession();
  const path = { tenant, agentId: agent };
  const cur = useLoad(() => call(api.GET('/v1/tenants/{tenant}/agents/{agentId}/alertSettings', { params: { path } })), [api, tenant, agent]);
  const slack = useLoad(async () => (await listConnectors(api, tenant, agent)).filter((c) => c.integrationId === 'slack'), [api, tenant, agent]);
  const [form, setForm] = useState<{ on: boolean; configId: string; channel: string } | null>(null);
  const [invalid, setInvalid] = useState('');
  const [saved, setSaved] = useState('');
  const act = useAction();
  const stored = cur.data?.slack ?? null;
  const f = form ?? { on: !!stored, configId: stored?.configId ?? slack.data?.[0]?.id ?? '', channel: stored?.channel ?? '' };
  const edit = (x: Partial<typeof f>) => {
    setForm({ ...f, ...x });
    setSaved('');
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const r = slackTarget(f.on, f.configId, f.channel, (slack.data ?? []).map((c) => c.id));
    if ('error' in r) {
      setInvalid(r.error);
      return;
    }
    setInvalid('');
    act.run(async () => {
      await call(api.PUT('/v1/tenants/{tenant}/agents/{agentId}/alertSettings', { params: { path }, body: r.body }), 'manage-collaborators');
      const name = slack.data?.find((c) => c.id === r.body.slack?.configId)?.displayName;
      setSaved(r.body.slack ? `Saved: new requests are posted to ${r.body.slack.channel} through ${name ?? 'the Slack connector'}.` : 'Saved: no Slack alerts for this agent.');
      setForm(null);
      cur.reload();
    });
  };
  return (
    <section aria-labelledby="slack-alerts" class="sub">
      <h2 id="slack-alerts">Slack alerts</h2>
      <p class="muted">Besides the e-mails above, new pending requests on {agent} can be posted to a Slack channel, as a digest, through one of its Slack connectors.</p>
      {cur.loading || slack.loading ? (
        <Loading what="the alert settings" />
      ) : cur.error || slack.error ? (
        <ErrorBox error={cur.error ?? slack.error} retry={() => (cur.reload(), slack.reload())} />
      ) : (
        <form onSubmit={submit} noValidate>
          <label class="check">
            <input type="checkbox" checked={f.on} onChange={(e) => edit({ on: (e.target as HTMLInputElement).checked })} /> Post new access requests to Slack
          </label>
          {f.on && (
            <>
              <label>
                Slack connector
                <select value={f.configId} onChange={(e) => edit({ configId: (e.target as HTMLSelectElement).value })}>
                  {(slack.data ?? []).length === 0 && <option value="">No Slack connector on this agent</option>}
                  {(slack.data ?? []).map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.displayName}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Channel
                <input value={f.channel} placeholder="#approvals or C0123ABCD" maxLength={80} onInput={(e) => edit({ channel: (e.target as HTMLInputElement).value })} />
              </label>
              <p class="muted small">The connector's bot must be a member of the channel.</p>
            </>
          )}
          {invalid && (
            <p class="state error" role="alert">
              {invalid}
            </p>
          )}
          {act.error != null && <ErrorBox error={act.error} />}
          <p role="status" class={saved ? 'notice' : 'sr-only'}>
            {saved}
          </p>
          {cur.data?.modifiedBy && (
            <p class="muted small">
              Last changed by {cur.data.modifiedBy} on {dateTime(cur.data.modifiedAt)}.
            </p>
          )}
          <button type="submit" class="primary" disabled={act.busy}>
            Save Slack alerts
          </button>
        </form>
      )}
    </section>
  );
}
