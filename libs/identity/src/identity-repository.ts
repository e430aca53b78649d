import { randomUUID } from 'node:crypto';
import {
  decodeCursor,
  pageFromRows,
  type ApiTokenView,
  type InviteView,
  type MemberView,
  type Role,
  type Scope,
  type WorkspaceView,
} from '@platform/contracts';
import { runMigrations } from '@platform/event-store';
import type { Pool, PoolClient } from 'pg';
import type { Principal } from './access';
import { AuditLog, type AuditChange } from './audit-log';
import type { TokenKind } from './credentials';
import { identityMigrations } from './migrations';

const UNIQUE_VIOLATION = '23505';

type Queryable = Pick<Pool | PoolClient, 'query'>;

/**
 * The SQL of the `identity` schema (users, workspaces, memberships, sessions, API tokens), in one place. The
 * services above it decide who may do what; this reads and writes rows. A repository made by `transaction`
 * runs every query in that transaction.
 */
export class IdentityRepository {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly db: Queryable = pool,
  ) {}

  async migrate(): Promise<void> {
    await runMigrations(this.pool, this.schema, identityMigrations);
  }

  async transaction<T>(work: (tx: IdentityRepository) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(new IdentityRepository(this.pool, this.schema, client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Records changes in the audit log through this repository's connection: in its transaction, if it has one. */
  audit(changes: readonly AuditChange[]): Promise<void> {
    return new AuditLog(this.pool, this.schema).record(changes, this.db);
  }

  // Accounts and sessions

  /** The new user's creation time, or undefined when an account uses this email already. */
  async insertUser(userId: string, email: string, passwordHash: string): Promise<Date | undefined> {
    try {
      const { rows } = await this.db.query<{ created_at: Date }>(
        `INSERT INTO ${this.schema}.users (id, email, password_hash) VALUES ($1, $2, $3) RETURNING created_at`,
        [userId, email, passwordHash],
      );
      return rows[0].created_at;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return undefined;
      throw error;
    }
  }

  /** A user by email, with their password hash and the workspace they joined first (if any). */
  async findLogin(
    email: string,
  ): Promise<{ id: string; password_hash: string; workspace_id: string | null } | undefined> {
    const { rows } = await this.db.query<{ id: string; password_hash: string; workspace_id: string | null }>(
      `SELECT u.id, u.password_hash,
              (SELECT m.workspace_id FROM ${this.schema}.memberships m WHERE m.user_id = u.id ORDER BY m.created_at LIMIT 1) AS workspace_id
         FROM ${this.schema}.users u WHERE lower(u.email) = lower($1)`,
      [email],
    );
    return rows[0];
  }

  /** The new session's id. */
  async insertSession(tokenHash: Buffer, userId: string, workspaceId: string, expiresAt: Date): Promise<string> {
    const id = randomUUID();
    await this.db.query(
      `INSERT INTO ${this.schema}.sessions (id, token_hash, user_id, default_workspace_id, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [id, tokenHash, userId, workspaceId, expiresAt],
    );
    return id;
  }

  async revokeSession(sessionId: string): Promise<void> {
    await this.db.query(`UPDATE ${this.schema}.sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [
      sessionId,
    ]);
  }

  /**
   * The principal behind a live session or API token, with when its credential expires (null: never); an API
   * token found is marked used in the same round trip.
   */
  async findPrincipal(
    kind: TokenKind,
    tokenHash: Buffer,
  ): Promise<{ principal: Principal; expiresAt: Date | null } | undefined> {
    const { rows } = await this.db.query<PrincipalRow>(
      kind === 'session' ? this.sessionQuery() : this.apiTokenQuery(),
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return undefined;
    const principal: Principal = {
      userId: row.user_id,
      email: row.email,
      createdAt: row.user_created_at.toISOString(),
      credential:
        kind === 'session'
          ? { kind, id: row.credential_id, defaultWorkspaceId: row.workspace_id }
          : {
              kind,
              id: row.credential_id,
              name: row.token_name ?? '',
              workspaceId: row.workspace_id,
              scopes: row.scopes ?? [],
            },
      memberships: new Map((row.memberships ?? []).map((m) => [m.workspace_id, m.role])),
      workspaces: (row.memberships ?? []).map((m) => ({
        id: m.workspace_id,
        name: m.name,
        role: m.role,
        createdAt: new Date(m.created_at).toISOString(),
      })),
    };
    return { principal, expiresAt: row.expires_at };
  }

  private sessionQuery(): string {
    return `SELECT s.id AS credential_id, s.user_id, u.email, u.created_at AS user_created_at,
                   s.default_workspace_id AS workspace_id, NULL::text[] AS scopes, NULL::text AS token_name, s.expires_at,
                   (SELECT json_agg(json_build_object('workspace_id', m.workspace_id, 'role', m.role, 'name', w.name, 'created_at', w.created_at)
                                    ORDER BY m.created_at, w.id)
                      FROM ${this.schema}.memberships m JOIN ${this.schema}.workspaces w ON w.id = m.workspace_id
                     WHERE m.user_id = s.user_id) AS memberships
              FROM ${this.schema}.sessions s JOIN ${this.schema}.users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`;
  }

  private apiTokenQuery(): string {
    // Marks the token used in the same round trip as the lookup (a lookup happens when the cache misses).
    return `WITH token AS (
              UPDATE ${this.schema}.api_tokens SET last_used_at = now()
               WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
              RETURNING id, user_id, workspace_id, scopes, name, expires_at
            )
            SELECT t.id AS credential_id, t.user_id, u.email, u.created_at AS user_created_at, t.workspace_id, t.scopes,
                   t.name AS token_name,
                   t.expires_at,
                   (SELECT json_agg(json_build_object('workspace_id', m.workspace_id, 'role', m.role, 'name', w.name, 'created_at', w.created_at))
                      FROM ${this.schema}.memberships m JOIN ${this.schema}.workspaces w ON w.id = m.workspace_id
                     WHERE m.user_id = t.user_id AND m.workspace_id = t.workspace_id) AS memberships
              FROM token t JOIN ${this.schema}.users u ON u.id = t.user_id`;
  }

  // API tokens

  async insertApiToken(token: {
    tokenHash: Buffer;
    prefix: string;
    workspaceId: string;
    userId: string;
    name: string;
    scopes: readonly Scope[];
    expiresAt: Date | null;
  }): Promise<ApiTokenView> {
    const { rows } = await this.db.query<ApiTokenRow>(
      `INSERT INTO ${this.schema}.api_tokens (id, token_hash, prefix, workspace_id, user_id, name, scopes, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${API_TOKEN_COLUMNS}`,
      [
        randomUUID(),
        token.tokenHash,
        token.prefix,
        token.workspaceId,
        token.userId,
        token.name,
        token.scopes,
        token.expiresAt,
      ],
    );
    return toTokenView(rows[0]);
  }

  /** The workspace's live tokens, newest first; only `userId`'s when it is given. */
  async listApiTokens(
    workspaceId: string,
    userId: string | null,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: ApiTokenView[]; nextCursor: string | null }> {
    const after = page.cursor ? decodeCursor(page.cursor, 2) : undefined;
    const { rows } = await this.db.query<ApiTokenRow>(
      `SELECT ${API_TOKEN_COLUMNS} FROM ${this.schema}.api_tokens
        WHERE workspace_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR user_id = $3)
          ${after ? 'AND (created_at, id) < ($4::timestamptz, $5::uuid)' : ''}
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      [workspaceId, page.limit + 1, userId, ...(after ? [after[0], after[1]] : [])],
    );
    return pageFromRows(rows, page.limit, (row) => [row.created_at.toISOString(), row.id], toTokenView);
  }

  /** Revokes a live token of the workspace (only one of `userId`'s when it is given); its owner, or undefined. */
  async revokeApiToken(tokenId: string, workspaceId: string, userId: string | null): Promise<string | undefined> {
    const { rows } = await this.db.query<{ user_id: string }>(
      `UPDATE ${this.schema}.api_tokens SET revoked_at = now()
        WHERE id = $1 AND workspace_id = $2 AND revoked_at IS NULL AND ($3::uuid IS NULL OR user_id = $3) RETURNING user_id`,
      [tokenId, workspaceId, userId],
    );
    return rows[0]?.user_id;
  }

  async revokeMemberApiTokens(workspaceId: string, userId: string): Promise<void> {
    await this.db.query(
      `UPDATE ${this.schema}.api_tokens SET revoked_at = now() WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [workspaceId, userId],
    );
  }

  // The instance

  /** The instance's owner (its first account) and the workspace they made at signup; undefined until then. */
  async findInstance(): Promise<{ ownerUserId: string; firstWorkspaceId: string } | undefined> {
    const { rows } = await this.db.query<{ owner_user_id: string; first_workspace_id: string }>(
      `SELECT owner_user_id, first_workspace_id FROM ${this.schema}.instance`,
    );
    return rows[0] && { ownerUserId: rows[0].owner_user_id, firstWorkspaceId: rows[0].first_workspace_id };
  }

  /**
   * Makes the user the instance's owner unless it has one already: whether they became it. Of two first signups
   * at once, the second waits on the first's row and gets false once it commits.
   */
  async claimInstance(userId: string, workspaceId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO ${this.schema}.instance (owner_user_id, first_workspace_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [userId, workspaceId],
    );
    return rowCount === 1;
  }

  // Invitations

  async insertInvite(invite: {
    id: string;
    tokenHash: Buffer;
    workspaceId: string;
    email: string | null;
    role: Role;
    createdBy: string;
    expiresAt: Date;
  }): Promise<InviteView> {
    const { rows } = await this.db.query<InviteRow>(
      `INSERT INTO ${this.schema}.invites (id, token_hash, workspace_id, email, role, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${this.inviteColumns()}`,
      [invite.id, invite.tokenHash, invite.workspaceId, invite.email, invite.role, invite.createdBy, invite.expiresAt],
    );
    return toInviteView(rows[0]);
  }

  /** The workspace's newest invitations, newest first. */
  async listInvites(workspaceId: string, limit: number): Promise<InviteView[]> {
    const { rows } = await this.db.query<InviteRow>(
      `SELECT ${this.inviteColumns()} FROM ${this.schema}.invites WHERE workspace_id = $1
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      [workspaceId, limit],
    );
    return rows.map(toInviteView);
  }

  /** Revokes a pending invitation of the workspace: the invitation as it is now, or undefined if there is none. */
  async revokeInvite(workspaceId: string, inviteId: string): Promise<InviteView | undefined> {
    const { rows } = await this.db.query<InviteRow>(
      `WITH revoked AS (
         UPDATE ${this.schema}.invites SET revoked_at = now()
          WHERE id = $1 AND workspace_id = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
         RETURNING *
       )
       SELECT ${this.inviteColumns()} FROM revoked
       UNION ALL
       SELECT ${this.inviteColumns()} FROM ${this.schema}.invites
        WHERE id = $1 AND workspace_id = $2 AND NOT EXISTS (SELECT 1 FROM revoked)`,
      [inviteId, workspaceId],
    );
    return rows[0] && toInviteView(rows[0]);
  }

  /** An invitation by its secret's hash, with the workspace it is for. */
  async findInvite(tokenHash: Buffer): Promise<(InviteView & { workspaceId: string }) | undefined> {
    const { rows } = await this.db.query<InviteRow & { workspace_id: string }>(
      `SELECT ${this.inviteColumns()}, workspace_id FROM ${this.schema}.invites WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0] && { ...toInviteView(rows[0]), workspaceId: rows[0].workspace_id };
  }

  /**
   * Uses a pending invitation that `email` may use, in one statement: of two uses at once, the second finds it
   * used. The workspace and role it gives, or undefined when it cannot be used (see findInvite for why).
   */
  async redeemInvite(
    tokenHash: Buffer,
    userId: string,
    email: string,
  ): Promise<{ workspaceId: string; role: Role } | undefined> {
    const { rows } = await this.db.query<{ workspace_id: string; role: Role }>(
      `UPDATE ${this.schema}.invites SET used_at = now(), used_by = $2
        WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
          AND (email IS NULL OR lower(email) = lower($3))
       RETURNING workspace_id, role`,
      [tokenHash, userId, email],
    );
    return rows[0] && { workspaceId: rows[0].workspace_id, role: rows[0].role };
  }

  private inviteColumns(): string {
    return `id, email, role, created_at, expires_at, used_at,
            CASE WHEN used_at IS NOT NULL THEN 'used' WHEN revoked_at IS NOT NULL THEN 'revoked'
                 WHEN expires_at <= now() THEN 'expired' ELSE 'pending' END AS status`;
  }

  // Workspaces and members

  /** A workspace as one of its members sees it. */
  async findWorkspace(workspaceId: string, role: Role): Promise<WorkspaceView | undefined> {
    const { rows } = await this.db.query<{ name: string; created_at: Date }>(
      `SELECT name, created_at FROM ${this.schema}.workspaces WHERE id = $1`,
      [workspaceId],
    );
    return rows[0] && { id: workspaceId, name: rows[0].name, role, createdAt: rows[0].created_at.toISOString() };
  }

  /**
   * How many workspaces the user has made, holding their row until the transaction ends: two creations at once
   * are counted one after the other.
   */
  async lockUserAndCountWorkspacesMade(userId: string): Promise<number> {
    await this.db.query(`SELECT 1 FROM ${this.schema}.users WHERE id = $1 FOR UPDATE`, [userId]);
    const { rows } = await this.db.query<{ made: number }>(
      `SELECT count(*)::int AS made FROM ${this.schema}.workspaces WHERE created_by = $1`,
      [userId],
    );
    return rows[0].made;
  }

  /** A new workspace, made by its owner, who is its first member. */
  async insertWorkspace(workspaceId: string, name: string, ownerId: string): Promise<WorkspaceView> {
    const {
      rows: [workspace],
    } = await this.db.query<{ created_at: Date }>(
      `INSERT INTO ${this.schema}.workspaces (id, name, created_by) VALUES ($1, $2, $3) RETURNING created_at`,
      [workspaceId, name, ownerId],
    );
    await this.db.query(
      `INSERT INTO ${this.schema}.memberships (workspace_id, user_id, role) VALUES ($1, $2, 'owner')`,
      [workspaceId, ownerId],
    );
    return { id: workspaceId, name, role: 'owner', createdAt: workspace.created_at.toISOString() };
  }

  /** Holds the workspace's row until the transaction ends. */
  async lockWorkspace(workspaceId: string): Promise<void> {
    await this.db.query(`SELECT 1 FROM ${this.schema}.workspaces WHERE id = $1 FOR UPDATE`, [workspaceId]);
  }

  async listMembers(workspaceId: string): Promise<MemberView[]> {
    const { rows } = await this.db.query<MemberRow>(
      `SELECT m.user_id, u.email, m.role, m.created_at FROM ${this.schema}.memberships m
         JOIN ${this.schema}.users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.created_at, m.user_id`,
      [workspaceId],
    );
    return rows.map(toMemberView);
  }

  async findUserIdByEmail(email: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM ${this.schema}.users WHERE lower(email) = lower($1)`,
      [email],
    );
    return rows[0]?.id;
  }

  /** The new member, or undefined when the user is a member already. */
  async insertMember(workspaceId: string, userId: string, email: string, role: Role): Promise<MemberView | undefined> {
    const { rows } = await this.db.query<MemberRow>(
      `INSERT INTO ${this.schema}.memberships (workspace_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING user_id, $4::text AS email, role, created_at`,
      [workspaceId, userId, role, email],
    );
    return rows[0] && toMemberView(rows[0]);
  }

  /** A member's role and email, with how many owners the workspace has; undefined if they are no member. */
  async findMemberWithOwnerCount(
    workspaceId: string,
    userId: string,
  ): Promise<{ role: Role; email: string; owners: number } | undefined> {
    const { rows } = await this.db.query<{ role: Role; email: string; owners: number }>(
      `SELECT m.role, u.email,
              (SELECT count(*)::int FROM ${this.schema}.memberships o WHERE o.workspace_id = $1 AND o.role = 'owner') AS owners
         FROM ${this.schema}.memberships m JOIN ${this.schema}.users u ON u.id = m.user_id
        WHERE m.workspace_id = $1 AND m.user_id = $2`,
      [workspaceId, userId],
    );
    return rows[0];
  }

  async updateMemberRole(workspaceId: string, userId: string, email: string, role: Role): Promise<MemberView> {
    const { rows } = await this.db.query<MemberRow>(
      `UPDATE ${this.schema}.memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2
       RETURNING user_id, $4::text AS email, role, created_at`,
      [workspaceId, userId, role, email],
    );
    return toMemberView(rows[0]);
  }

  async deleteMember(workspaceId: string, userId: string): Promise<void> {
    await this.db.query(`DELETE FROM ${this.schema}.memberships WHERE workspace_id = $1 AND user_id = $2`, [
      workspaceId,
      userId,
    ]);
  }
}

interface PrincipalRow {
  credential_id: string;
  token_name: string | null;
  user_id: string;
  email: string;
  user_created_at: Date;
  workspace_id: string;
  scopes: Scope[] | null;
  expires_at: Date | null;
  memberships: { workspace_id: string; role: Role; name: string; created_at: string }[] | null;
}

const API_TOKEN_COLUMNS = 'id, name, scopes, prefix, created_at, expires_at, last_used_at';

interface ApiTokenRow {
  id: string;
  name: string;
  scopes: Scope[];
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

interface InviteRow {
  id: string;
  email: string | null;
  role: Role;
  status: InviteView['status'];
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

function toInviteView(row: InviteRow): InviteView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    usedAt: row.used_at?.toISOString() ?? null,
  };
}

interface MemberRow {
  user_id: string;
  email: string;
  role: Role;
  created_at: Date;
}

function toTokenView(row: ApiTokenRow): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    prefix: row.prefix,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

function toMemberView(row: MemberRow): MemberView {
  return { userId: row.user_id, email: row.email, role: row.role, joinedAt: row.created_at.toISOString() };
}
