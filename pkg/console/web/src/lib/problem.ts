// Turns gatehouse's error bodies (RFC 9457 problem+json on /v1/tenants/…,
// SweetConnect's {"errors":[…]} envelope on /v1/shares) into one sentence an
// operator can act on. The raw body stays available for a "details" toggle.

export type Action =
  | 'read'
  | 'decide'
  | 'edit-participant'
  | 'manage-connectors'
  | 'manage-collaborators'
  | 'decide-share';

export interface ApiFailure {
  status: number; // 0 = the request never got an answer
  reason: string; // the problem type's slug, the shares errorCode, or ''
  title: string;
  detail: string;
  /** Extension members (currentStatus, participantId…) or extension of the envelope. */
  extra: Record<string, unknown>;
}

const problemPrefix = 'https://gatehouse.dev/problems/';

/** Reads a failed response body (already parsed JSON, or text) into an ApiFailure. */
export function toFailure(status: number, body: unknown): ApiFailure {
  const f: ApiFailure = { status, reason: '', title: '', detail: '', extra: {} };
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (Array.isArray(b.errors) && b.errors.length > 0) {
      const e = (b.errors[0] ?? {}) as Record<string, unknown>;
      f.reason = str(e.errorCode);
      f.detail = str(e.message);
      if (e.extension && typeof e.extension === 'object') f.extra = e.extension as Record<string, unknown>;
      return f;
    }
    if (typeof b.error === 'string') {
      f.reason = b.error;
      f.detail = str(b.message);
      return f;
    }
    const type = str(b.type);
    f.reason = type.startsWith(problemPrefix) ? type.slice(problemPrefix.length) : '';
    f.title = str(b.title);
    f.detail = str(b.detail);
    for (const [k, v] of Object.entries(b)) {
      if (!['type', 'title', 'status', 'detail', 'instance'].includes(k)) f.extra[k] = v;
    }
  } else if (typeof body === 'string') {
    f.detail = body.trim().slice(0, 300);
  }
  return f;
}

const roleFor: Partial<Record<Action, string>> = {
  decide: 'You need the Editor role on this agent to decide requests.',
  'edit-participant': 'You need the Editor role on this agent to change participants.',
  'manage-connectors': 'You need the Admin role on this agent to manage its connectors.',
  'manage-collaborators': 'You need the Admin role on this agent to manage its collaborators.',
  'decide-share': 'You need to be an admin of this organization to accept or decline shares.',
};

function status(s: unknown): string {
  return typeof s === 'string' && s ? s.charAt(0) + s.slice(1).toLowerCase() : 'decided';
}

/** One sentence for the operator. `action` says what they were trying to do. */
export function sentence(f: ApiFailure, action: Action = 'read'): string {
  switch (f.reason) {
    case 'not-pending':
      return `This request was already decided: it is ${status(f.extra.currentStatus).toLowerCase()} now. Refresh to see who decided it.`;
    case 'concurrent-decision':
      return 'Another operator decided this request at the same moment, and their decision counts. Refresh to see it.';
    case 'channel-taken':
      return typeof f.extra.participantId === 'string'
        ? `This sender's channel already belongs to another participant (${f.extra.participantId}). Approve with "Add to existing participant" and pick that one.`
        : "This sender's channel already belongs to another participant.";
    case 'no-matched-participant':
      return 'No participant matches this sender, so "Bind only" is not possible. Create a new participant or add to an existing one.';
    case 'participant-not-found':
      return 'That participant does not exist any more. Search again.';
    case 'participant-id-required':
      return 'Pick the participant to add this sender to.';
    case 'not-blocked':
      return 'This sender is not blocked any more.';
    case 'webhook-key-bound':
      return 'This connector already has a webhook URL. Use "Rotate URL" to replace it.';
    case 'no-webhook-key':
      return 'This connector has no webhook URL yet. Generate one first.';
    case 'last-admin':
      return 'An agent needs at least one Admin: make someone else Admin first.';
    case 'already-has-access':
      return 'This user already has access to the agent.';
    case 'no-avatar-source':
      return 'WhatsApp and SMS have no profile pictures to sync from.';
    case 'oauth-not-connected':
      return f.detail
        ? `gatehouse cannot read the picture through this connector: ${lowerFirst(sentenceCase(f.detail))}`
        : "gatehouse cannot read the picture through this connector: connect its Slack workspace with OAuth, or check the connector's credentials.";
    case 'no-image':
      return 'The user has no profile picture on that channel.';
    case 'NoPermission':
      return roleFor['decide-share']!;
    case 'UnprocessableEntity':
      return f.detail ? `The share cannot be changed in its current state: ${f.detail}` : 'The share cannot be changed in its current state.';
  }
  switch (f.status) {
    case 0:
      return 'gatehouse could not be reached. Check your connection and try again.';
    case 401:
      return 'Your session has ended. Sign in again.';
    case 403:
      return roleFor[action] ?? 'Your role does not allow this.';
    case 404:
      return action === 'read'
        ? 'Nothing was found here: it does not exist, or you hold no role on this agent.'
        : 'This no longer exists, or you hold no role on this agent.';
    case 409:
      return f.detail || 'Someone else changed this at the same time. Refresh and try again.';
    case 413:
      return 'That is too large to send.';
    case 429:
      return 'Too many requests at once. Wait a moment and try again.';
    case 502:
    case 503:
    case 504:
      return 'gatehouse or a provider it depends on is unavailable right now. Try again in a moment.';
  }
  if (f.status >= 500) return 'gatehouse failed to do this. Try again; if it keeps failing, tell your administrator.';
  if (f.detail) return sentenceCase(f.detail);
  return f.title ? `${f.title}.` : `The request failed (HTTP ${f.status}).`;
}

function sentenceCase(s: string): string {
  const t = s.trim();
  const u = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(u) ? u : u + '.';
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
