import { describe, expect, it } from 'vitest';
import type { AccessRequest, Participant } from '../api/client';
import { cells, columns, searchParticipants } from './AccessRequests';

const base: AccessRequest = {
  id: '11111111-1111-1111-1111-111111111111',
  integrationConfigId: 'c1',
  provider: 'SLACK',
  address: 'U0DEMODANA',
  agentId: 'support-bot',
  matchedParticipantId: null,
  displayName: 'Dana Scully',
  conversationName: '#support',
  status: 'APPROVED',
  processedBy: 'carol',
  processedAt: 1793527200000,
  processingNote: 'welcome',
  approvedParticipantId: null,
  createdAt: 1793523600000,
  modifiedAt: 1793523600000,
};

describe('cells', () => {
  it('has one cell per documented column, in seed 002 order', () => {
    expect(columns).toEqual(['User Name', 'Identifier', 'Provider', 'Connector', 'Conversation', 'Status', 'Created At', 'Processed By', 'Processing Note']);
    const c = cells(base, new Map([['c1', 'Support Slack']]));
    expect(c).toHaveLength(columns.length);
    expect([c[0], c[1], c[2], c[3], c[4], c[5], c[7], c[8]]).toEqual(['Dana Scully', 'U0DEMODANA', 'Slack', 'Support Slack', '#support', 'approved', 'carol', 'welcome']);
  });

  it('shows dashes for unset fields and names an unknown connector', () => {
    const c = cells({ ...base, displayName: null, conversationName: null, processedBy: null, processingNote: null, status: 'PENDING', provider: 'TWILIO_SMS' }, new Map());
    expect([c[0], c[2], c[3], c[4], c[5], c[7], c[8]]).toEqual(['—', 'SMS (Twilio)', 'Unknown connector', '—', 'pending', '—', '—']);
  });
});

describe('searchParticipants', () => {
  const p = (id: string, displayName: string, email: string | null, address: string) =>
    ({ id, displayName, email, channels: [{ integrationConfigId: 'c', address, priority: 0, label: null, disabled: false }] }) as unknown as Participant;
  const list = [p('aaaa-1', 'Walter Skinner', 'ws@fbi.gov', '29:1demo'), p('bbbb-2', 'Fox Mulder', null, '424242')];
  it.each([
    { q: '', want: ['aaaa-1', 'bbbb-2'] },
    { q: 'skin', want: ['aaaa-1'] },
    { q: 'FBI', want: ['aaaa-1'] },
    { q: 'bbbb', want: ['bbbb-2'] },
    { q: '4242', want: ['bbbb-2'] },
    { q: 'scully', want: [] },
  ])('search $q', ({ q, want }) => expect(searchParticipants(list, q).map((x) => x.id)).toEqual(want));
});
