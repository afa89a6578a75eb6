// Column formatting for the panels' tables.

const providerNames: Record<string, string> = {
  SLACK: 'Slack',
  TEAMS: 'Microsoft Teams',
  TELEGRAM: 'Telegram',
  WHATSAPP: 'WhatsApp',
  TWILIO_SMS: 'SMS (Twilio)',
  TWILIO: 'SMS (Twilio)',
};

export function providerName(p: string | null | undefined): string {
  if (!p) return '—';
  return providerNames[p.toUpperCase()] ?? p;
}

/** The integration path segment of a provider, as the configs API spells it. */
export function integrationOf(provider: string): string {
  const p = provider.toUpperCase();
  return p === 'TWILIO_SMS' ? 'twilio' : p.toLowerCase();
}

export const integrations = ['slack', 'teams', 'telegram', 'whatsapp', 'twilio'] as const;
export type Integration = (typeof integrations)[number];

/** Status as seed 002 writes it: pending, approved, rejected (and blocked). */
export function statusLabel(s: string | null | undefined): string {
  return s ? s.toLowerCase() : '—';
}

/** Epoch ms (or ISO text) as a short local date and time; '—' when unset. */
export function dateTime(v: number | string | null | undefined, locale?: string, timeZone?: string): string {
  if (v === null || v === undefined || v === '' || v === 0) return '—';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
}

/** Relative age for badges ("3 min ago"); `now` is injectable for tests. */
export function age(ms: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

export function text(v: string | null | undefined): string {
  return v === null || v === undefined || v.trim() === '' ? '—' : v;
}

/** Up to two initials for an avatar placeholder. */
export function initials(name: string | null | undefined): string {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = parts[0]!.charAt(0);
  const last = parts.length > 1 ? parts[parts.length - 1]!.charAt(0) : '';
  return (first + last).toUpperCase();
}

const healthText: Record<string, string> = {
  CHANNEL_DISABLED: 'channel disabled',
  CONNECTOR_NOT_FOUND: 'connector missing',
  INVALID_FORMAT: 'address does not fit the provider',
  NO_CHANNELS: 'no channels',
};

export function healthReason(r: string | null | undefined): string {
  return r ? healthText[r] ?? r.toLowerCase() : '';
}

/** Processed By: an operator's subject, or the expiry sweep in words. */
export function processedBy(v: string | null | undefined): string {
  if (v === 'gatehouse:expiry') return 'gatehouse (expired)';
  return text(v);
}
