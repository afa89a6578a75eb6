import { describe, expect, it } from 'vitest';
import { sentence, toFailure, type Action } from './problem';

const problem = (status: number, reason: string, extra: Record<string, unknown> = {}) => ({
  type: `https://gatehouse.dev/problems/${reason}`,
  title: 'Bad Request',
  status,
  detail: 'raw detail',
  instance: '/v1/tenants/demo/x',
  ...extra,
});

describe('toFailure', () => {
  it.each([
    {
      name: 'problem+json with an extension member',
      status: 400,
      body: problem(400, 'not-pending', { currentStatus: 'APPROVED' }),
      want: { status: 400, reason: 'not-pending', title: 'Bad Request', detail: 'raw detail', extra: { currentStatus: 'APPROVED' } },
    },
    {
      name: 'shares envelope',
      status: 403,
      body: { errors: [{ errorCode: 'NoPermission', message: 'No permission', extension: { x: 1 } }] },
      want: { status: 403, reason: 'NoPermission', title: '', detail: 'No permission', extra: { x: 1 } },
    },
    {
      name: '{error} body',
      status: 400,
      body: { error: 'BadRequest', message: 'bad id' },
      want: { status: 400, reason: 'BadRequest', title: '', detail: 'bad id', extra: {} },
    },
    { name: 'plain text', status: 502, body: ' upstream down \n', want: { status: 502, reason: '', title: '', detail: 'upstream down', extra: {} } },
    { name: 'foreign problem type', status: 400, body: { type: 'about:blank', title: 'Bad', detail: 'd' }, want: { status: 400, reason: '', title: 'Bad', detail: 'd', extra: {} } },
  ])('$name', ({ status, body, want }) => {
    expect(toFailure(status, body)).toEqual(want);
  });
});

describe('sentence', () => {
  const cases: { name: string; status: number; body: unknown; action?: Action; want: string }[] = [
    { name: '403 deciding', status: 403, body: problem(403, 'forbidden'), action: 'decide', want: 'You need the Editor role on this agent to decide requests.' },
    { name: '403 connectors', status: 403, body: problem(403, 'forbidden'), action: 'manage-connectors', want: 'You need the Admin role on this agent to manage its connectors.' },
    { name: '403 reading', status: 403, body: problem(403, 'forbidden'), want: 'Your role does not allow this.' },
    { name: 'not-pending names the status', status: 400, body: problem(400, 'not-pending', { currentStatus: 'REJECTED' }), action: 'decide', want: 'This request was already decided: it is rejected now. Refresh to see who decided it.' },
    { name: 'concurrent decision', status: 409, body: problem(409, 'concurrent-decision'), action: 'decide', want: 'Another operator decided this request at the same moment, and their decision counts. Refresh to see it.' },
    { name: 'channel taken names the owner', status: 409, body: problem(409, 'channel-taken', { participantId: 'p-1' }), action: 'decide', want: `This sender's channel already belongs to another participant (p-1). Approve with "Add to existing participant" and pick that one.` },
    { name: '404 read', status: 404, body: problem(404, 'not-found'), want: 'Nothing was found here: it does not exist, or you hold no role on this agent.' },
    { name: '401', status: 401, body: problem(401, 'unauthenticated'), want: 'Your session has ended. Sign in again.' },
    { name: 'network', status: 0, body: null, want: 'gatehouse could not be reached. Check your connection and try again.' },
    { name: '503', status: 503, body: problem(503, 'unavailable'), want: 'gatehouse or a provider it depends on is unavailable right now. Try again in a moment.' },
    { name: '500 hides the detail', status: 500, body: problem(500, 'internal'), want: 'gatehouse failed to do this. Try again; if it keeps failing, tell your administrator.' },
    { name: 'unknown 400 uses the detail as a sentence', status: 400, body: { ...problem(400, 'note-too-long'), detail: 'note is longer than 4000 characters' }, action: 'decide', want: 'Note is longer than 4000 characters.' },
    { name: 'shares NoPermission', status: 403, body: { errors: [{ errorCode: 'NoPermission', message: 'x' }] }, action: 'decide-share', want: 'You need to be an admin of this organization to accept or decline shares.' },
    { name: 'shares 422', status: 422, body: { errors: [{ errorCode: 'UnprocessableEntity', message: 'Recipient has not registered yet' }] }, action: 'decide-share', want: 'The share cannot be changed in its current state: Recipient has not registered yet' },
    { name: 'oauth-not-connected keeps the reason', status: 400, body: { ...problem(400, 'oauth-not-connected'), detail: 'Slack workspace is not connected' }, action: 'edit-participant', want: 'gatehouse cannot read the picture through this connector: slack workspace is not connected.' },
    { name: 'title only', status: 418, body: { title: "I'm a teapot" }, want: "I'm a teapot." },
    { name: 'nothing at all', status: 418, body: null, want: 'The request failed (HTTP 418).' },
  ];
  it.each(cases)('$name', ({ status, body, action, want }) => {
    expect(sentence(toFailure(status, body), action)).toBe(want);
  });
});
