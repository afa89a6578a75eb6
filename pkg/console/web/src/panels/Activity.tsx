// The agent's audit trail (GET /v1/tenants/{tenant}/auditEvents?agentId=),
// for tenant ADMINs and the agent's ADMINs; others are told why not.
import { useMemo } from 'preact/hooks';
import { AuditTrail, paged, type TrailSource } from '../components/AuditTrail';
import { canReadAudit, targetFilter, targetWords } from '../lib/audit';
import { href, linkClick } from '../lib/router';
import { roleLabel } from '../lib/roles';
import { useSession } from '../session';

/** Rows per page: ?pageSize= (1-500), 50 otherwise. */
export function pageSizeOf(v: string | null): number {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 500 ? n : 50;
}

export default function Activity() {
  const { api, tenant, tenantRole, agent, agentRole, claims, route } = useSession();
  const pageSize = pageSizeOf(route.query.get('pageSize'));
  const target = targetFilter(route.query.get('targetType'), route.query.get('targetId'));
  const source: TrailSource = useMemo(
    () => ({
      scope: target ? `${agent}-${target.targetId.slice(0, 8)}` : agent,
      page: async (pageToken) => {
        const p = await paged(api.GET('/v1/tenants/{tenant}/auditEvents', { params: { path: { tenant }, query: { agentId: agent, pageSize, ...target, ...(pageToken ? { pageToken } : {}) } } }));
        return { rows: p.data ?? [], next: p.next };
      },
      lines: async (pageToken) => {
        const p = await paged(
          api.GET('/v1/tenants/{tenant}/auditEvents', { params: { path: { tenant }, query: { agentId: agent, format: 'jsonl', pageSize: 500, ...target, ...(pageToken ? { pageToken } : {}) } }, parseAs: 'text' }),
        );
        return { text: p.data ?? '', next: p.next };
      },
    }),
    [api, tenant, agent, pageSize, target?.targetType, target?.targetId],
  );
  return (
    <section aria-labelledby="panel-title">
      <div class="panel-head">
        <h1 id="panel-title">Activity</h1>
        <p class="muted">Every change on {agent}, newest first: who did it, what changed and their note. Entries are never changed or deleted; they are kept for the deployment's retention period.</p>
      </div>
      {target && (
        <p class="notice">
          Only the {targetWords(target.targetType, target.targetId)}.{' '}
          <a href={href('activity', { agent })} onClick={linkClick}>
            Show all of {agent}
          </a>
        </p>
      )}
      {canReadAudit(tenantRole, agentRole) ? (
        <AuditTrail source={source} me={claims.sub} label={`Activity of ${agent}`} />
      ) : (
        <p class="state empty">
          The activity of {agent} is shown to tenant admins and to the agent's admins. You are {roleLabel(agentRole).toLowerCase()} on it; ask one of its admins if you need the trail.
        </p>
      )}
    </section>
  );
}
