// The audit trail as an operator reads it: actions as words, the actor
// named, status before → after, and the next page from the Link header.

const actions: Record<string, string> = {
  AccessRequestCreated: 'opened an access request',
  AccessRequestApproved: 'approved an access request',
  AccessRequestRejected: 'rejected an access request',
  AccessRequestBlocked: 'blocked a sender',
  AccessRequestUnblocked: 'lifted a block',
  AccessRequestExpired: 'expired an access request',
  ParticipantCreated: 'created a participant',
  ParticipantUpdated: 'changed a participant',
  ParticipantEnabled: 'enabled a participant',
  ParticipantDisabled: 'disabled a participant',
  ParticipantDeleted: 'deleted a participant',
  ParticipantAvatarSynced: "synced a participant's avatar",
  CollaboratorAccessRequested: 'asked for access to the agent',
  CollaboratorApproved: "approved a collaborator's request",
  CollaboratorRejected: "rejected a collaborator's request",
  CollaboratorGranted: 'granted a role',
  CollaboratorChanged: 'changed a role',
  CollaboratorRevoked: 'revoked a role',
  ShareInvited: 'invited a recipient',
  ShareRegistered: 'registered as a recipient',
  ShareAccepted: 'accepted a recipient',
  ShareDeclined: 'declined a recipient',
  ShareExpired: 'expired a waiting recipient',
  ShareSettingsChanged: "changed the organization's share settings",
  AlertSettingsChanged: "changed the agent's Slack alerts",
  WebhookUrlGenerated: 'generated a webhook URL',
  WebhookUrlRotated: 'rotated a webhook URL',
  WebhookUrlApplied: 'registered a webhook URL with the provider',
  SlackOAuthConnected: 'connected a Slack workspace',
  SlackOAuthDisconnected: 'disconnected a Slack workspace',
};

/** An audit action (an event detail-type) in words; unknown ones split from CamelCase. */
export function actionWords(action: string): string {
  return actions[action] ?? action.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Who did it: the system by name, the viewer as "you". */
export function actorWords(actor: string, me: string): string {
  if (actor === 'gatehouse:expiry') return 'gatehouse (expiry sweep)';
  if (actor === 'gatehouse') return 'gatehouse';
  if (actor === me) return `you (${actor})`;
  return actor;
}

const targets: Record<string, string> = {
  accessRequest: 'access request',
  participant: 'participant',
  collaborator: 'collaborator',
  shareRecipient: 'recipient',
  shareSettings: 'settings',
  integrationConfig: 'connector',
  alertSettings: 'alert settings of',
};

export function targetWords(type: string, id: string): string {
  const t = targets[type] ?? type;
  // UUIDs are long: the first 8 characters tell them apart on one page.
  const short = /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id) ? id.slice(0, 8) : id;
  return `${t} ${short}`;
}

/** "pending → approved", "→ pending", or '—' when the entry has no status. */
export function change(before: string | null | undefined, after: string | null | undefined): string {
  const b = (before ?? '').toLowerCase();
  const a = (after ?? '').toLowerCase();
  if (!b && !a) return '—';
  if (!b) return `→ ${a}`;
  if (!a) return `${b} →`;
  return `${b} → ${a}`;
}

/** The pageToken of an RFC 8288 Link header's rel="next", or null. */
export function nextPageToken(link: string | null | undefined): string | null {
  if (!link) return null;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!m || !/\brel="?next"?/i.test(m[2]!)) continue;
    try {
      return new URL(m[1]!, 'http://x/').searchParams.get('pageToken');
    } catch {
      return null;
    }
  }
  return null;
}

export { canReadAudit } from './roles';

/** A file name for the export: gatehouse-audit-<scope>-<yyyy-mm-dd>.jsonl. */
export function exportName(scope: string, now: Date = new Date()): string {
  const safe = scope.replace(/[^A-Za-z0-9._-]+/g, '-');
  return `gatehouse-audit-${safe}-${now.toISOString().slice(0, 10)}.jsonl`;
}

/** ?targetType=&targetId= of the Activity URL, when both are valid; else null (the whole agent). */
export function targetFilter(type: string | null, id: string | null): { targetType: string; targetId: string } | null {
  if (!type || !id || !(type in targets) || !/^[A-Za-z0-9._:@-]{1,200}$/.test(id)) return null;
  return { targetType: type, targetId: id };
}
