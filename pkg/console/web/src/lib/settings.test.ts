import { describe, expect, it } from 'vitest';
import { duration, lifecycle, messageLimit, parseWhole, slackTarget, type LifecycleInput } from './settings';

describe('parseWhole', () => {
  const o = { what: 'the days', min: 0, max: 3650 };
  const cases: [string, string, boolean, ReturnType<typeof parseWhole>][] = [
    ['zero', '0', false, { ok: true, value: 0 }],
    ['spaces', ' 30 ', false, { ok: true, value: 30 }],
    ['max', '3650', false, { ok: true, value: 3650 }],
    ['over', '3651', false, { ok: false, error: 'The days must be from 0 to 3,650.' }],
    ['negative', '-1', false, { ok: false, error: 'The days must be a whole number from 0 to 3,650.' }],
    ['fraction', '1.5', false, { ok: false, error: 'The days must be a whole number from 0 to 3,650.' }],
    ['empty refused', '', false, { ok: false, error: 'Enter the days.' }],
    ['empty is default', '  ', true, { ok: true, value: null }],
  ];
  for (const [name, input, empty, want] of cases) it(name, () => expect(parseWhole(input, { ...o, empty })).toEqual(want));
});

describe('lifecycle', () => {
  const good: LifecycleInput = { requestExpiryDays: '7', floodLimitPerHour: '100', rejectCooldownSeconds: '3600', approvedMessage: ' Welcome! ', rejectedMessage: '' };
  it('builds the PATCH body ("" removes a message)', () => {
    expect(lifecycle(good, 'telegram')).toEqual({
      body: { requestExpiryDays: 7, floodLimitPerHour: 100, rejectCooldownSeconds: 3600, approvedMessage: 'Welcome!', rejectedMessage: '' },
    });
  });
  it('names each bad field in words', () => {
    const got = lifecycle({ ...good, requestExpiryDays: 'x', floodLimitPerHour: '100001', rejectCooldownSeconds: '', rejectedMessage: 'y'.repeat(1601) }, 'twilio');
    expect(got).toEqual({
      errors: {
        requestExpiryDays: 'The days before a request expires must be a whole number from 0 to 3,650.',
        floodLimitPerHour: 'The new requests per hour must be from 0 to 100,000.',
        rejectCooldownSeconds: 'Enter the cooldown after a reject.',
        rejectedMessage: 'The message is 1,601 characters; this provider delivers at most 1,600 in one message.',
      },
    });
  });
  it('knows each provider limit', () => {
    expect(['twilio', 'slack', 'teams', 'telegram', 'whatsapp'].map(messageLimit)).toEqual([1600, 4000, 4000, 4096, 4096]);
  });
});

describe('duration', () => {
  const cases: [number, string][] = [
    [0, 'off'],
    [90, '90 seconds'],
    [3600, '1 hour'],
    [9000, '2 hours 30 min'],
    [90000, '1 day 1 hour'],
  ];
  for (const [s, want] of cases) it(`${s}s`, () => expect(duration(s)).toBe(want));
});

describe('slackTarget', () => {
  const ids = ['s1', 's2'];
  const cases: [string, ReturnType<typeof slackTarget>, ReturnType<typeof slackTarget>][] = [
    ['off', slackTarget(false, '', '', []), { body: { slack: null } }],
    ['on', slackTarget(true, 's2', ' #approvals ', ids), { body: { slack: { configId: 's2', channel: '#approvals' } } }],
    ['no slack connector', slackTarget(true, '', 'C1', []), { error: 'This agent has no Slack connector: create one under Connectors first.' }],
    ['unknown config', slackTarget(true, 'x', 'C1', ids), { error: "Pick one of the agent's Slack connectors." }],
    ['no channel', slackTarget(true, 's1', ' ', ids), { error: 'Enter the Slack channel, as an id (C0123ABCD) or a name (#approvals).' }],
    [
      'bad channel',
      slackTarget(true, 's1', '<!everyone>', ids),
      { error: 'A Slack channel is an id (C0123ABCD) or a name (#approvals): letters, digits, #, _, . and -, at most 80.' },
    ],
  ];
  for (const [name, got, want] of cases) it(name, () => expect(got).toEqual(want));
});
