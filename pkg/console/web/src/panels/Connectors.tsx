// The agent's connectors: list, create, onboarding toggle and message,
// webhook URL generate / rotate (shown once, with a copy button), inspect,
// and the request lifecycle (expiry, flood limit, cooldown, decision messages).
import { useState } from 'preact/hooks';
import { call, type IntegrationConfig } from '../api/client';
import { listConnectors } from '../api/connectors';
import { dateTime, integrations, providerName, type Integration } from '../lib/format';
import { duration, lifecycle, type LifecycleInput } from '../lib/settings';
import { useSession } from '../session';
import { CopyButton, Dialog, Empty, ErrorBox, Loading, useAction, useLoad } from '../components/ui';

/** Parameters each provider needs on create; secret ones are write-only. */
export const providerParams: Record<Integration, { name: string; label: string; secret: boolean; optional?: boolean }[]> = {
  slack: [
    { name: 'signingSecret', label: 'Signing secret', secret: true },
    { name: 'botToken', label: 'Bot token', secret: true },
  ],
  telegram: [
    { name: 'botToken', label: 'Bot token', secret: true },
    { name: 'secretToken', label: 'Secret token (for setWebhook)', secret: true },
  ],
  whatsapp: [
    { name: 'appSecret', label: 'App secret', secret: true },
    { name: 'verifyToken', label: 'Verify token', secret: true },
    { name: 'accessToken', label: 'Access token', secret: true },
    { name: 'phoneNumberId', label: 'Phone number id', secret: false },
  ],
  twilio: [
    { name: 'accountSid', label: 'Account SID', secret: false },
    { name: 'authToken', label: 'Auth token', secret: true },
  ],
  teams: [
    { name: 'appId', label: 'App id', secret: false },
    { name: 'appPassword', label: 'App password', secret: true },
    { name: 'tenantId', label: 'Azure tenant id', secret: false, optional: true },
  ],
};

export default function Connectors() {
  const { api, tenant, agent, allowed } = useSession();
  const list = useLoad(() => listConnectors(api, tenant, agent), [api, tenant, agent]);
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<IntegrationConfig | null>(null);
  const [notice, setNotice] = useState('');
  return (
    <section aria-labelledby="panel-title">
      <div class="panel-head row spread">
        <div>
          <h1 id="panel-title">Connectors</h1>
          <p class="muted">Where senders reach {agent}: one connector per chat workspace, bot or number.</p>
        </div>
        {allowed.manageConnectors && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            New connector
          </button>
        )}
      </div>
      <p role="status" class={notice ? 'notice' : 'sr-only'}>
        {notice}
      </p>
      {list.loading ? (
        <Loading what="connectors" />
      ) : list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data || list.data.length === 0 ? (
        <Empty>{agent} has no connectors yet.</Empty>
      ) : (
        <ul class="card-list">
          {list.data.map((c) => (
            <li class="card" key={c.id}>
              <h2>{c.displayName}</h2>
              <p class="muted small">
                {providerName(c.integrationId === 'twilio' ? 'TWILIO_SMS' : c.integrationId)} · created {dateTime(c.createdAt)}
              </p>
              <p>
                Onboarding: <strong>{c.onboarding.enabled ? 'on' : 'off (Allow All)'}</strong>
                <br />
                Webhook: {c.webhookKeyPrefix ? <code>…/{c.webhookKeyPrefix}…</code> : <span class="muted">no URL yet</span>}
                <br />
                Credentials: {c.hasAuth ? 'complete' : <span class="status bad">incomplete</span>}
              </p>
              <button type="button" onClick={() => setOpen(c)} aria-label={`${allowed.manageConnectors ? 'Manage' : 'Inspect'} ${c.displayName}`}>
                {allowed.manageConnectors ? 'Manage' : 'Inspect'}
              </button>
            </li>
          ))}
        </ul>
      )}
      {creating && (
        <CreateConnector
          onClose={() => setCreating(false)}
          onDone={(c) => {
            setCreating(false);
            setNotice(`Created ${c.displayName}. Generate its webhook URL next.`);
            list.reload();
            setOpen(c);
          }}
        />
      )}
      {open && (
        <ConnectorDetail
          c={open}
          onClose={() => {
            setOpen(null);
            list.reload();
          }}
        />
      )}
    </section>
  );
}

function CreateConnector({ onClose, onDone }: { onClose: () => void; onDone: (c: IntegrationConfig) => void }) {
  const { api, tenant, agent } = useSession();
  const [integration, setIntegration] = useState<Integration>('telegram');
  const [name, setName] = useState('');
  const [params, setParams] = useState<Record<string, string>>({});
  const [onb, setOnb] = useState(true);
  const [message, setMessage] = useState('');
  const act = useAction();
  return (
    <Dialog title="New connector" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          act.run(async () => {
            const parameters: Record<string, string> = {};
            for (const p of providerParams[integration]) if (params[p.name]?.trim()) parameters[p.name] = params[p.name]!.trim();
            const c = await call(
              api.POST('/v1/tenants/{tenant}/integrations/{integration}/configs', {
                params: { path: { tenant, integration } },
                body: { agentId: agent, displayName: name.trim(), parameters, onboarding: { enabled: onb, message: message.trim() || null } },
              }),
              'manage-connectors',
            );
            onDone(c);
          });
        }}
      >
        <label>
          Provider
          <select value={integration} onChange={(e) => setIntegration((e.target as HTMLSelectElement).value as Integration)}>
            {integrations.map((i) => (
              <option key={i} value={i}>
                {providerName(i === 'twilio' ? 'TWILIO_SMS' : i)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Display name
          <input value={name} required maxLength={150} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <fieldset>
          <legend>Credentials</legend>
          {providerParams[integration].map((p) => (
            <label key={integration + p.name}>
              {p.label}
              {p.optional && <span class="muted"> (optional)</span>}
              <input
                type={p.secret ? 'password' : 'text'}
                autoComplete="off"
                required={!p.optional}
                value={params[p.name] ?? ''}
                onInput={(e) => setParams({ ...params, [p.name]: (e.target as HTMLInputElement).value })}
              />
            </label>
          ))}
        </fieldset>
        <Onboarding enabled={onb} message={message} setEnabled={setOnb} setMessage={setMessage} />
        {act.error != null && <ErrorBox error={act.error} />}
        <div class="row">
          <button type="submit" class="primary" disabled={act.busy}>
            Create
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function Onboarding(p: { enabled: boolean; message: string; setEnabled: (b: boolean) => void; setMessage: (s: string) => void; disabled?: boolean }) {
  return (
    <fieldset disabled={p.disabled}>
      <legend>Onboarding</legend>
      <label class="check">
        <input type="checkbox" checked={p.enabled} onChange={(e) => p.setEnabled((e.target as HTMLInputElement).checked)} /> Ask unknown senders to wait for approval
      </label>
      <label>
        Onboarding message <span class="muted">(empty = the default)</span>
        <textarea rows={3} maxLength={4096} value={p.message} onInput={(e) => p.setMessage((e.target as HTMLTextAreaElement).value)} />
      </label>
    </fieldset>
  );
}

function ConnectorDetail({ c: initial, onClose }: { c: IntegrationConfig; onClose: () => void }) {
  const { api, tenant, allowed } = useSession();
  const path = { tenant, integration: initial.integrationId, config: initial.id };
  const one = useLoad(() => call(api.GET('/v1/tenants/{tenant}/integrations/{integration}/configs/{config}', { params: { path } })), [api, initial.id]);
  const c = one.data ?? initial;
  const [enabled, setEnabled] = useState(initial.onboarding.enabled);
  const [message, setMessage] = useState(initial.onboarding.message);
  const [url, setUrl] = useState<string | null>(null);
  const [inspect, setInspect] = useState<string | null>(null);
  const save = useAction();
  const hook = useAction();
  const insp = useAction();
  const [saved, setSaved] = useState('');
  return (
    <Dialog title={c.displayName} onClose={onClose} wide>
      {one.error != null && <ErrorBox error={one.error} retry={one.reload} />}
      <dl class="fields">
        <div>
          <dt>Provider</dt>
          <dd>{providerName(c.integrationId === 'twilio' ? 'TWILIO_SMS' : c.integrationId)}</dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>{c.agentId}</dd>
        </div>
        <div>
          <dt>Credentials set</dt>
          <dd>{c.secretParameters.join(', ') || 'none'}</dd>
        </div>
        <div>
          <dt>Identifiers</dt>
          <dd>
            {Object.entries(c.parameters)
              .map(([k, v]) => `${k}: ${v}`)
              .join(', ') || '—'}
          </dd>
        </div>
        <div>
          <dt>Webhook URL template</dt>
          <dd>
            <code>{c.webhookUrlTemplate}</code>
          </dd>
        </div>
        <div>
          <dt>Key prefix</dt>
          <dd>{c.webhookKeyPrefix ?? 'no URL yet'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            {dateTime(c.createdAt)} by {c.createdBy}
          </dd>
        </div>
      </dl>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.run(async () => {
            await call(api.PATCH('/v1/tenants/{tenant}/integrations/{integration}/configs/{config}', { params: { path }, body: { onboarding: { enabled, message } } }), 'manage-connectors');
            setSaved('Onboarding saved; it applies to the next message.');
            one.reload();
          });
        }}
      >
        <Onboarding enabled={enabled} message={message} setEnabled={setEnabled} setMessage={setMessage} disabled={!allowed.manageConnectors} />
        {save.error != null && <ErrorBox error={save.error} />}
        <p role="status" class={saved ? 'notice' : 'sr-only'}>
          {saved}
        </p>
        {allowed.manageConnectors && (
          <button type="submit" class="primary" disabled={save.busy}>
            Save onboarding
          </button>
        )}
      </form>
      {one.data && <Lifecycle c={one.data} onSaved={one.reload} />}
      {allowed.manageConnectors && (
        <section aria-labelledby="webhook-title" class="decision">
          <h3 id="webhook-title">Webhook URL</h3>
          {url ? (
            <>
              <p>This URL is shown only now. Paste it into the provider's settings; gatehouse keeps no copy.</p>
              <div class="secret">
                <input id="copy-source" readOnly value={url} aria-label="Webhook URL" onFocus={(e) => (e.target as HTMLInputElement).select()} />
                <CopyButton value={url} />
              </div>
            </>
          ) : (
            <p class="muted">{c.webhookKeyPrefix ? 'A URL exists. Rotating makes a new one and the old one stops at once.' : 'No URL yet.'}</p>
          )}
          {hook.error != null && <ErrorBox error={hook.error} />}
          <div class="row">
            <button
              type="button"
              disabled={hook.busy}
              onClick={() =>
                hook.run(async () => {
                  const r = c.webhookKeyPrefix
                    ? await call(api.POST('/v1/tenants/{tenant}/integrations/{integration}/configs/{config}/webhook:rotate', { params: { path } }), 'manage-connectors')
                    : await call(api.POST('/v1/tenants/{tenant}/integrations/{integration}/configs/{config}:generateWebhookUrl', { params: { path } }), 'manage-connectors');
                  setUrl(r.webhookUrl);
                  one.reload();
                })
              }
            >
              {c.webhookKeyPrefix ? 'Rotate URL' : 'Generate URL'}
            </button>
            {c.integrationId === 'telegram' && (
              <button
                type="button"
                disabled={insp.busy || !url}
                title={url ? '' : 'Generate or rotate the URL first: gatehouse cannot compare without it'}
                onClick={() =>
                  insp.run(async () => {
                    const r = await call(
                      api.POST('/v1/tenants/{tenant}/integrations/{integration}/configs/{config}:inspectWebhook', { params: { path }, body: { expectedWebhookUrl: url! } }),
                      'manage-connectors',
                    );
                    setInspect(
                      r.inspectFailed
                        ? `Telegram could not be asked: ${r.errorMessage ?? 'unknown error'}.`
                        : r.providerUrlMatchesExpected
                          ? `Telegram delivers to this URL. ${r.pendingUpdateCount} updates waiting.${r.lastErrorMessage ? ` Last error: ${r.lastErrorMessage}.` : ''}`
                          : r.providerHasUrl
                            ? `Telegram delivers to another URL (${r.providerReportedUrl}).`
                            : 'Telegram has no webhook URL for this bot.',
                    );
                  })
                }
              >
                Inspect at Telegram
              </button>
            )}
          </div>
          {insp.error != null && <ErrorBox error={insp.error} />}
          {inspect && <p role="status">{inspect}</p>}
        </section>
      )}
    </Dialog>
  );
}

/** The decision lifecycle of one connector: expiry, flood guard, cooldown, decision messages. */
function Lifecycle({ c, onSaved }: { c: IntegrationConfig; onSaved: () => void }) {
  const { api, tenant, allowed } = useSession();
  const [f, setF] = useState<LifecycleInput>({
    requestExpiryDays: String(c.requestExpiryDays),
    floodLimitPerHour: String(c.floodLimitPerHour ?? 100),
    rejectCooldownSeconds: String(c.rejectCooldownSeconds ?? 0),
    approvedMessage: c.approvedMessage ?? '',
    rejectedMessage: c.rejectedMessage ?? '',
  });
  const [errors, setErrors] = useState<Partial<Record<keyof LifecycleInput, string>>>({});
  const [saved, setSaved] = useState('');
  const act = useAction();
  const ro = !allowed.manageConnectors;
  const set = (k: keyof LifecycleInput) => (e: Event) => {
    setF({ ...f, [k]: (e.target as HTMLInputElement).value });
    setSaved('');
  };
  const field = (k: keyof LifecycleInput, label: string, help: string, area = false) => (
    <label>
      {label}
      {area ? (
        <textarea rows={2} value={f[k]} disabled={ro} onInput={set(k)} aria-invalid={errors[k] ? true : undefined} aria-describedby={`lc-${k}`} />
      ) : (
        <input inputMode="numeric" value={f[k]} disabled={ro} onInput={set(k)} aria-invalid={errors[k] ? true : undefined} aria-describedby={`lc-${k}`} />
      )}
      <span id={`lc-${k}`} class={errors[k] ? 'field-error' : 'muted small'}>
        {errors[k] ?? help}
      </span>
    </label>
  );
  const submit = (e: Event) => {
    e.preventDefault();
    const r = lifecycle(f, c.integrationId);
    if ('errors' in r) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    act.run(async () => {
      await call(
        api.PATCH('/v1/tenants/{tenant}/integrations/{integration}/configs/{config}', { params: { path: { tenant, integration: c.integrationId, config: c.id } }, body: r.body }),
        'manage-connectors',
      );
      setSaved('Request lifecycle saved; it applies from the next message and the next sweep.');
      onSaved();
    });
  };
  const nErr = Object.keys(errors).length;
  return (
    <form class="decision" onSubmit={submit} noValidate aria-labelledby="lifecycle-title">
      <h3 id="lifecycle-title">Request lifecycle</h3>
      {field('requestExpiryDays', 'Pending requests expire after (days)', `0 = never. Now: ${c.requestExpiryDays ? `${c.requestExpiryDays} days` : 'never'}; an expired request is rejected by gatehouse with a note.`)}
      {field('floodLimitPerHour', 'New requests per hour, at most', `0 = no limit. Above it, unknown senders are acknowledged and ignored for the rest of the hour.`)}
      {field('rejectCooldownSeconds', 'Cooldown after a reject (seconds)', `During it the sender's messages open no new request. Now: ${duration(c.rejectCooldownSeconds ?? 0)}.`)}
      {field('approvedMessage', 'Message to an approved sender', 'Sent once through this connector; empty sends nothing.', true)}
      {field('rejectedMessage', 'Message to a rejected sender', 'Sent once through this connector; empty sends nothing. A block sends nothing.', true)}
      {nErr > 0 && (
        <p class="state error" role="alert">
          {nErr === 1 ? 'One field needs' : `${nErr} fields need`} a change: {Object.values(errors).join(' ')}
        </p>
      )}
      {act.error != null && <ErrorBox error={act.error} />}
      <p role="status" class={saved ? 'notice' : 'sr-only'}>
        {saved}
      </p>
      {ro ? (
        <p class="muted">Changing these needs the Admin role on this agent.</p>
      ) : (
        <button type="submit" class="primary" disabled={act.busy}>
          Save lifecycle
        </button>
      )}
    </form>
  );
}
