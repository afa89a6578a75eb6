import { describe, expect, it } from 'vitest';
import { actionWords, actorWords, canReadAudit, change, exportName, nextPageToken, targetFilter, targetWords } from './audit';

describe('audit words', () => {
  it('names actions, actors, targets and changes', () => {
    const cases: [string, string, string][] = [
      ['action known', actionWords('AccessRequestApproved'), 'approved an access request'],
      ['action expiry', actionWords('AccessRequestExpired'), 'expired an access request'],
      ['action share', actionWords('ShareSettingsChanged'), "changed the organization's share settings"],
      ['action alert settings', actionWords('AlertSettingsChanged'), "changed the agent's Slack alerts"],
      ['action split from CamelCase', actionWords('IntegrationConfigCreated'), 'integration config created'],
      ['target alert settings', targetWords('alertSettings', 'support-bot'), 'alert settings of support-bot'],
      ['action unknown', actionWords('ConnectorMelted'), 'connector melted'],
      ['actor expiry', actorWords('gatehouse:expiry', 'carol'), 'gatehouse (expiry sweep)'],
      ['actor system', actorWords('gatehouse', 'carol'), 'gatehouse'],
      ['actor me', actorWords('carol', 'carol'), 'you (carol)'],
      ['actor other', actorWords('alice', 'carol'), 'alice'],
      ['target uuid', targetWords('accessRequest', '0f1e2d3c-4b5a-5968-8776-aabbccddeeff'), 'access request 0f1e2d3c'],
      ['target subject', targetWords('collaborator', 'erin'), 'collaborator erin'],
      ['target unknown type', targetWords('widget', 'w1'), 'widget w1'],
      ['change both', change('PENDING', 'APPROVED'), 'pending → approved'],
      ['change new', change(null, 'PENDING'), '→ pending'],
      ['change gone', change('ACTIVE', null), 'active →'],
      ['change none', change(null, undefined), '—'],
    ];
    for (const [name, got, want] of cases) expect(got, name).toBe(want);
  });
});

describe('nextPageToken', () => {
  const cases: [string, string | null | undefined, string | null][] = [
    ['absent', null, null],
    ['empty', '', null],
    ['next', '<https://api.example.com/v1/tenants/demo/auditEvents?agentId=a&pageToken=abc%3D%3D>; rel="next"', 'abc=='],
    ['relative', '</v1/shares/o/audit-events?pageToken=t2>; rel=next', 't2'],
    ['prev only', '<https://x/?pageToken=p>; rel="prev"', null],
    ['next after prev', '<https://x/?pageToken=p>; rel="prev", <https://x/?a=1,2&pageToken=n>; rel="next"', 'n'],
    ['garbage', 'not a link', null],
  ];
  for (const [name, link, want] of cases) it(name, () => expect(nextPageToken(link)).toBe(want));
});

describe('canReadAudit and exportName', () => {
  it('lets tenant and agent ADMINs read', () => {
    const cases: [string | null, string | null, boolean][] = [
      ['ADMIN', null, true],
      ['MEMBER', 'ADMIN', true],
      ['MEMBER', 'EDITOR', false],
      ['MEMBER', 'VIEWER', false],
      [null, null, false],
    ];
    for (const [t, a, want] of cases) expect(canReadAudit(t, a), `${t}/${a}`).toBe(want);
  });
  it('names the export by scope and day', () => {
    expect(exportName('support-bot', new Date('2026-12-02T05:00:00Z'))).toBe('gatehouse-audit-support-bot-2026-12-02.jsonl');
    expect(exportName('org a/b', new Date('2026-01-31T23:59:00Z'))).toBe('gatehouse-audit-org-a-b-2026-01-31.jsonl');
  });
});

describe('targetFilter', () => {
  const cases: [string | null, string | null, ReturnType<typeof targetFilter>][] = [
    ['accessRequest', '0f1e2d3c-4b5a-5968-8776-aabbccddeeff', { targetType: 'accessRequest', targetId: '0f1e2d3c-4b5a-5968-8776-aabbccddeeff' }],
    ['collaborator', 'erin', { targetType: 'collaborator', targetId: 'erin' }],
    ['accessRequest', null, null],
    [null, 'x', null],
    ['widget', 'x', null],
    ['participant', 'a b', null],
  ];
  for (const [t, id, want] of cases) it(`${t}/${id}`, () => expect(targetFilter(t, id)).toEqual(want));
});
