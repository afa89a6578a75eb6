import { describe, expect, it } from 'vitest';
import { age, dateTime, healthReason, initials, integrationOf, processedBy, providerName, statusLabel, text } from './format';

describe('format', () => {
  it.each([
    ['SLACK', 'Slack'],
    ['twilio_sms', 'SMS (Twilio)'],
    ['TEAMS', 'Microsoft Teams'],
    ['SIGNAL', 'SIGNAL'],
    [null, '—'],
  ])('providerName(%s) = %s', (p, want) => expect(providerName(p)).toBe(want));

  it.each([
    ['TWILIO_SMS', 'twilio'],
    ['TELEGRAM', 'telegram'],
  ])('integrationOf(%s) = %s', (p, want) => expect(integrationOf(p)).toBe(want));

  it.each([
    ['PENDING', 'pending'],
    ['BLOCKED', 'blocked'],
    [null, '—'],
  ])('statusLabel(%s) = %s', (s, want) => expect(statusLabel(s)).toBe(want));

  it.each([
    { v: 1793523600000, want: 'Nov 1, 2026, 9:00 AM' },
    { v: '2026-11-01T09:00:00.000Z', want: 'Nov 1, 2026, 9:00 AM' },
    { v: null, want: '—' },
    { v: 0, want: '—' },
    { v: 'not a date', want: '—' },
  ])('dateTime($v)', ({ v, want }) => expect(dateTime(v, 'en-US', 'UTC').replace(/\u202f/g, ' ')).toBe(want));

  it.each([
    { ms: 1000_000 - 5_000, want: 'just now' },
    { ms: 1000_000 - 180_000, want: '3 min ago' },
    { ms: 1000_000 - 7_200_000, want: '2 h ago' },
    { ms: 1000_000 - 3 * 86_400_000, want: '3 days ago' },
  ])('age $want', ({ ms, want }) => expect(age(ms, 1000_000)).toBe(want));

  it.each([
    ['Dana Scully', 'DS'],
    ['fox', 'F'],
    ['Walter  H.  Skinner', 'WS'],
    ['', '?'],
    [null, '?'],
  ])('initials(%s) = %s', (n, want) => expect(initials(n)).toBe(want));

  it.each([
    ['', '—'],
    ['  ', '—'],
    [null, '—'],
    ['#support', '#support'],
  ])('text(%j) = %s', (v, want) => expect(text(v)).toBe(want));

  it('healthReason', () => {
    expect(healthReason('CONNECTOR_NOT_FOUND')).toBe('connector missing');
    expect(healthReason(null)).toBe('');
    expect(healthReason('NEW_REASON')).toBe('new_reason');
  });
});

describe('processedBy', () => {
  const cases: [string | null, string][] = [
    ['carol', 'carol'],
    ['gatehouse:expiry', 'gatehouse (expired)'],
    [null, '—'],
  ];
  for (const [v, want] of cases) it(String(v), () => expect(processedBy(v)).toBe(want));
});
