// Validation of the lifecycle settings forms (connectors, share expiry) in
// words, with the API's bounds, before anything is sent.

export type Parsed = { ok: true; value: number | null } | { ok: false; error: string };

/**
 * A whole number typed into a field, between min and max. Empty gives null
 * when `empty` is allowed (the server's default), else an error.
 */
export function parseWhole(input: string, o: { what: string; min: number; max: number; empty?: boolean }): Parsed {
  const t = input.trim();
  if (t === '') return o.empty ? { ok: true, value: null } : { ok: false, error: `Enter ${o.what}.` };
  if (!/^\d+$/.test(t)) return { ok: false, error: `${cap(o.what)} must be a whole number from ${o.min} to ${fmt(o.max)}.` };
  const n = Number(t);
  if (n < o.min || n > o.max) return { ok: false, error: `${cap(o.what)} must be from ${o.min} to ${fmt(o.max)}.` };
  return { ok: true, value: n };
}

/** The provider's one-message limit for onboarding and decision messages. */
export function messageLimit(integration: string): number {
  switch (integration) {
    case 'twilio':
      return 1600;
    case 'slack':
    case 'teams':
      return 4000;
    default:
      return 4096;
  }
}

export interface LifecycleInput {
  requestExpiryDays: string;
  floodLimitPerHour: string;
  rejectCooldownSeconds: string;
  approvedMessage: string;
  rejectedMessage: string;
}

export interface LifecycleBody {
  requestExpiryDays: number;
  floodLimitPerHour: number;
  rejectCooldownSeconds: number;
  approvedMessage: string;
  rejectedMessage: string;
}

/** The PATCH body of a connector's lifecycle settings, or an error per field. */
export function lifecycle(i: LifecycleInput, integration: string): { body: LifecycleBody } | { errors: Partial<Record<keyof LifecycleInput, string>> } {
  const errors: Partial<Record<keyof LifecycleInput, string>> = {};
  const days = parseWhole(i.requestExpiryDays, { what: 'the days before a request expires', min: 0, max: 3650 });
  const flood = parseWhole(i.floodLimitPerHour, { what: 'the new requests per hour', min: 0, max: 100000 });
  const cool = parseWhole(i.rejectCooldownSeconds, { what: 'the cooldown after a reject', min: 0, max: 31536000 });
  if (!days.ok) errors.requestExpiryDays = days.error;
  if (!flood.ok) errors.floodLimitPerHour = flood.error;
  if (!cool.ok) errors.rejectCooldownSeconds = cool.error;
  const max = messageLimit(integration);
  for (const k of ['approvedMessage', 'rejectedMessage'] as const) {
    const n = [...i[k].trim()].length;
    if (n > max) errors[k] = `The message is ${fmt(n)} characters; this provider delivers at most ${fmt(max)} in one message.`;
  }
  if (Object.keys(errors).length || !days.ok || !flood.ok || !cool.ok) return { errors };
  // "" removes a decision message (null would keep the stored one).
  return {
    body: {
      requestExpiryDays: days.value!,
      floodLimitPerHour: flood.value!,
      rejectCooldownSeconds: cool.value!,
      approvedMessage: i.approvedMessage.trim(),
      rejectedMessage: i.rejectedMessage.trim(),
    },
  };
}

/** Seconds as an operator reads them: "off", "90 seconds", "2 hours 30 min". */
export function duration(s: number): string {
  if (s <= 0) return 'off';
  if (s < 120) return `${s} seconds`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts: string[] = [];
  if (d) parts.push(`${d} ${d === 1 ? 'day' : 'days'}`);
  if (h) parts.push(`${h} ${h === 1 ? 'hour' : 'hours'}`);
  if (m) parts.push(`${m} min`);
  return parts.join(' ') || `${s} seconds`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function fmt(n: number): string {
  return n.toLocaleString('en');
}

/** The alertSettings PUT body: Slack off, or a Slack config of the agent and a channel. */
export function slackTarget(on: boolean, configId: string, channel: string, slackConfigIds: readonly string[]): { body: { slack: { configId: string; channel: string } | null } } | { error: string } {
  if (!on) return { body: { slack: null } };
  if (slackConfigIds.length === 0) return { error: 'This agent has no Slack connector: create one under Connectors first.' };
  if (!slackConfigIds.includes(configId)) return { error: 'Pick one of the agent\'s Slack connectors.' };
  const ch = channel.trim();
  if (!ch) return { error: 'Enter the Slack channel, as an id (C0123ABCD) or a name (#approvals).' };
  if (!/^[A-Za-z0-9#_.-]{1,80}$/.test(ch)) return { error: 'A Slack channel is an id (C0123ABCD) or a name (#approvals): letters, digits, #, _, . and -, at most 80.' };
  return { body: { slack: { configId, channel: ch } } };
}
