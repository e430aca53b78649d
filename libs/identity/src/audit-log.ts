import { randomUUID } from 'node:crypto';
import {
  decodeCursor,
  pageFromRows,
  type AuditEntryView,
  type ListAuditQuery,
  type RequestOrigin,
} from '@platform/contracts';
import type { Pool, PoolClient } from 'pg';
import type { Principal } from './access';

type Queryable = Pick<Pool | PoolClient, 'query'>;

/** Where a request came from, as the gateway saw it: what an audit entry records besides the change itself. */
export interface RequestContext {
  readonly requestId: string;
  readonly ip: string;
  readonly userAgent: string;
}

/** One change to record. `id` makes recording it twice (an event read again) record it once. */
export interface AuditChange {
  readonly id?: string;
  readonly action: string;
  readonly workspaceId: string | null;
  readonly instanceLevel?: boolean;
  readonly actor: AuditEntryView['actor'];
  readonly resource?: { readonly type: string; readonly id: string };
  readonly request?: RequestContext;
  readonly occurredAt?: Date;
}

/** The actor of a request: the user of a session, or the API token (by its name) acting for its user. */
export function actorOf(principal: Principal): AuditEntryView['actor'] {
  const credential = principal.credential;
  return credential.kind === 'api_token'
    ? { kind: 'api_token', userId: principal.userId, name: credential.name, credentialId: credential.id }
    : { kind: 'user', userId: principal.userId, name: principal.email, credentialId: credential.id };
}

/** What a command carries of its request, so that the events it decides can be audited (see RequestOriginSchema). */
export function originOf(principal: Principal, action: string, request: RequestContext): RequestOrigin {
  const actor = actorOf(principal);
  return {
    action,
    actorKind: actor.kind,
    actorName: actor.name,
    credentialId: actor.credentialId ?? '',
    ip: request.ip.slice(0, 64),
    userAgent: request.userAgent.slice(0, 512),
  };
}

interface AuditRow {
  id: string;
  workspace_id: string | null;
  instance_level: boolean;
  action: string;
  actor_kind: 'user' | 'api_token';
  actor_user_id: string;
  actor_name: string;
  credential_id: string | null;
  resource_type: string | null;
  resource_id: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  occurred_at: Date;
}

/**
 * The audit log: every change a person or an API token made. Identity's own changes are recorded in the transaction
 * that makes them, a command's from the events it decided (whose metadata carries its request's origin), so no
 * change is kept without its entry. Entries hold names and ids, never a secret: no password, token, invitation
 * secret or environment value is ever passed here.
 */
export class AuditLog {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  /** Records entries through `db` (a transaction's client, so that they commit or roll back with the change). */
  async record(changes: readonly AuditChange[], db: Queryable = this.pool): Promise<void> {
    if (changes.length === 0) return;
    const rows = changes.map((change) => ({
      id: change.id ?? randomUUID(),
      workspace_id: change.workspaceId,
      instance_level: change.instanceLevel ?? false,
      action: change.action,
      actor_kind: change.actor.kind,
      actor_user_id: change.actor.userId,
      actor_name: change.actor.name,
      credential_id: change.actor.credentialId,
      resource_type: change.resource?.type ?? null,
      resource_id: change.resource?.id ?? null,
      request_id: change.request?.requestId ?? null,
      ip: change.request?.ip ?? null,
      user_agent: change.request?.userAgent ?? null,
      occurred_at: (change.occurredAt ?? new Date()).toISOString(),
    }));
    await db.query(
      `INSERT INTO ${this.schema}.audit_log
         SELECT * FROM jsonb_populate_recordset(NULL::${this.schema}.audit_log, $1::jsonb)
       ON CONFLICT (id) DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }

  /**
   * A page of entries, newest first: of one workspace, or (`instanceLevel`) the instance-level actions of all.
   * Filters: the actor (user id, credential id, email or token name), the action, the resource's id, a time range.
   */
  async list(
    scope: { workspaceId: string } | { instanceLevel: true },
    query: Omit<ListAuditQuery, 'scope'>,
  ): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor, 2) : null;
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT * FROM ${this.schema}.audit_log
        WHERE ${'workspaceId' in scope ? 'workspace_id = $1' : '(instance_level AND $1::text IS NULL)'}
          AND ($2::text IS NULL OR $2 IN (actor_user_id, credential_id, actor_name))
          AND ($3::text IS NULL OR action = $3)
          AND ($4::text IS NULL OR resource_id = $4)
          AND ($5::timestamptz IS NULL OR occurred_at >= $5)
          AND ($6::timestamptz IS NULL OR occurred_at < $6)
          AND ($7::timestamptz IS NULL OR (occurred_at, id) < ($7, $8::uuid))
        ORDER BY occurred_at DESC, id DESC
        LIMIT $9`,
      [
        'workspaceId' in scope ? scope.workspaceId : null,
        query.actor ?? null,
        query.action ?? null,
        query.resourceId ?? null,
        query.from ?? null,
        query.to ?? null,
        after?.[0] ?? null,
        after?.[1] ?? null,
        query.limit + 1,
      ],
    );
    return pageFromRows(rows, query.limit, (row) => [row.occurred_at.toISOString(), row.id], toView);
  }

  /** Forgets entries older than the retention (AUDIT_RETENTION_DAYS). */
  async prune(olderThanDays: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM ${this.schema}.audit_log WHERE occurred_at < now() - make_interval(days => $1)`,
      [olderThanDays],
    );
    return rowCount ?? 0;
  }
}

function toView(row: AuditRow): AuditEntryView {
  return {
    id: row.id,
    action: row.action,
    actor: { kind: row.actor_kind, userId: row.actor_user_id, name: row.actor_name, credentialId: row.credential_id },
    resource: row.resource_type && row.resource_id ? { type: row.resource_type, id: row.resource_id } : null,
    workspaceId: row.workspace_id,
    instanceLevel: row.instance_level,
    requestId: row.request_id,
    ip: row.ip,
    userAgent: row.user_agent,
    occurredAt: row.occurred_at.toISOString(),
  };
}
