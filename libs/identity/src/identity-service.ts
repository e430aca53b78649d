import { randomUUID } from 'node:crypto';
import {
  decodeCursor,
  DomainError,
  pageFromRows,
  type ApiTokenView,
  type CreateApiTokenRequest,
  type CreatedApiToken,
  type LoginRequest,
  type MemberView,
  type MeResponse,
  type Role,
  type Scope,
  type SignupRequest,
  type UserView,
  type WorkspaceView,
} from '@platform/contracts';
import { runMigrations } from '@platform/event-store';
import type { Pool, PoolClient } from 'pg';
import { checkMemberChange, type Access, type Principal } from './access';
import { CredentialCache } from './credential-cache';
import { hashToken, hashTokenHex, newToken, storedTokenHash, tokenKindOf, tokenPrefix } from './credentials';
import { identityMigrations } from './migrations';
import { hashPassword, verifyPassword } from './passwords';

const UNIQUE_VIOLATION = '23505';
const DAY_MS = 86_400_000;

export interface IdentityOptions {
  readonly sessionTtlDays?: number;
  readonly cache?: CredentialCache;
  /** Told which users' credentials changed, so other replicas can forget them too. */
  readonly onUsersChanged?: (userIds: string[]) => void;
}

interface PrincipalRow {
  credential_id: string;
  user_id: string;
  email: string;
  user_created_at: Date;
  workspace_id: string;
  scopes: Scope[] | null;
  expires_at: Date | null;
  memberships: { workspace_id: string; role: Role; name: string; created_at: string }[] | null;
}

const unauthorized = () =>
  new DomainError(
    'unauthorized',
    'the credential is missing, expired or revoked; log in again or use a valid API token',
  );

/**
 * Users, workspaces, memberships, sessions and API tokens, in the `identity` schema. Every method that acts
 * inside a workspace takes the caller's Access and touches only that workspace.
 */
export class IdentityService {
  readonly cache: CredentialCache;
  private readonly sessionTtlMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly options: IdentityOptions = {},
  ) {
    this.cache = options.cache ?? new CredentialCache();
    this.sessionTtlMs = (options.sessionTtlDays ?? 30) * DAY_MS;
  }

  async migrate(): Promise<void> {
    await runMigrations(this.pool, this.schema, identityMigrations);
  }

  async signup(
    request: SignupRequest,
  ): Promise<{ user: UserView; workspace: WorkspaceView; token: string; expiresAt: string }> {
    const passwordHash = await hashPassword(request.password);
    return this.transaction(async (tx) => {
      const userId = randomUUID();
      const workspaceId = randomUUID();
      let user: { created_at: Date };
      try {
        ({
          rows: [user],
        } = await tx.query<{ created_at: Date }>(
          `INSERT INTO ${this.schema}.users (id, email, password_hash) VALUES ($1, $2, $3) RETURNING created_at`,
          [userId, request.email, passwordHash],
        ));
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
          throw new DomainError('conflict', 'an account with this email exists already; log in instead');
        }
        throw error;
      }
      const workspace = await this.insertWorkspace(tx, workspaceId, request.workspaceName, userId);
      const { token, expiresAt } = await this.insertSession(tx, userId, workspaceId);
      return {
        user: { id: userId, email: request.email, createdAt: user.created_at.toISOString() },
        workspace,
        token,
        expiresAt,
      };
    });
  }

  async login(request: LoginRequest): Promise<{ token: string; expiresAt: string }> {
    const { rows } = await this.pool.query<{ id: string; password_hash: string; workspace_id: string | null }>(
      `SELECT u.id, u.password_hash,
              (SELECT m.workspace_id FROM ${this.schema}.memberships m WHERE m.user_id = u.id ORDER BY m.created_at LIMIT 1) AS workspace_id
         FROM ${this.schema}.users u WHERE lower(u.email) = lower($1)`,
      [request.email],
    );
    const user = rows[0];
    const valid = await verifyPassword(user?.password_hash, request.password);
    if (!user || !valid) throw new DomainError('unauthorized', 'the email or the password is wrong');
    if (!user.workspace_id)
      throw new DomainError('forbidden', 'this account belongs to no workspace; ask an owner to add you');
    return this.transaction((tx) => this.insertSession(tx, user.id, user.workspace_id as string));
  }

  /** The principal behind a bearer token or session cookie, or `unauthorized`. */
  async authenticate(token: string): Promise<Principal> {
    const kind = tokenKindOf(token);
    if (!kind || token.length > 100) throw unauthorized();
    const key = hashTokenHex(token);
    const cached = this.cache.get(key);
    if (cached) return cached;

    const { rows } = await this.pool.query<PrincipalRow>(
      kind === 'session' ? this.sessionQuery() : this.apiTokenQuery(),
      [storedTokenHash(key)],
    );
    const row = rows[0];
    if (!row) throw unauthorized();
    const principal: Principal = {
      userId: row.user_id,
      email: row.email,
      createdAt: row.user_created_at.toISOString(),
      credential:
        kind === 'session'
          ? { kind, id: row.credential_id, defaultWorkspaceId: row.workspace_id }
          : { kind, id: row.credential_id, workspaceId: row.workspace_id, scopes: row.scopes ?? [] },
      memberships: new Map((row.memberships ?? []).map((m) => [m.workspace_id, m.role])),
      workspaces: (row.memberships ?? []).map((m) => ({
        id: m.workspace_id,
        name: m.name,
        role: m.role,
        createdAt: new Date(m.created_at).toISOString(),
      })),
    };
    this.cache.set(key, principal, row.expires_at ? row.expires_at.getTime() : Number.MAX_SAFE_INTEGER);
    return principal;
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.credential.kind !== 'session') {
      throw new DomainError(
        'validation_failed',
        'logout ends a session; revoke an API token with DELETE /v1/api-tokens/{id}',
      );
    }
    await this.pool.query(
      `UPDATE ${this.schema}.sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`,
      [principal.credential.id],
    );
    this.usersChanged([principal.userId]);
  }

  /** Answered from the resolved credential, which changes to memberships refresh at once. */
  me(access: Access): MeResponse {
    const { principal } = access;
    const workspace = principal.workspaces.find((w) => w.id === access.workspaceId);
    if (!workspace) throw new DomainError('not_found', `workspace ${access.workspaceId} does not exist`);
    return {
      user: { id: principal.userId, email: principal.email, createdAt: principal.createdAt },
      workspace,
      workspaces: [...principal.workspaces],
      credential: { kind: principal.credential.kind, scopes: [...access.scopes] },
    };
  }

  listWorkspaces(principal: Principal): WorkspaceView[] {
    return [...principal.workspaces];
  }

  async createWorkspace(access: Access, name: string): Promise<WorkspaceView> {
    if (access.principal.credential.kind !== 'session') {
      throw new DomainError(
        'forbidden',
        'an API token acts in its own workspace only; create workspaces from a session',
      );
    }
    const workspace = await this.transaction((tx) =>
      this.insertWorkspace(tx, randomUUID(), name, access.principal.userId),
    );
    this.usersChanged([access.principal.userId]);
    return workspace;
  }

  async createApiToken(access: Access, request: CreateApiTokenRequest): Promise<CreatedApiToken> {
    if (access.principal.credential.kind !== 'session') {
      // Otherwise a leaked token could mint others that outlive its revocation.
      throw new DomainError('forbidden', 'API tokens are created from a logged-in session, not with another API token');
    }
    const beyondRole = request.scopes.filter((scope) => !access.scopes.includes(scope));
    if (beyondRole.length) {
      throw new DomainError('forbidden', `a token cannot have scopes its creator lacks: ${beyondRole.join(', ')}`);
    }
    const token = newToken('api_token');
    const { rows } = await this.pool.query<ApiTokenRow>(
      `INSERT INTO ${this.schema}.api_tokens (id, token_hash, prefix, workspace_id, user_id, name, scopes, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${API_TOKEN_COLUMNS}`,
      [
        randomUUID(),
        hashToken(token),
        tokenPrefix(token),
        access.workspaceId,
        access.principal.userId,
        request.name,
        request.scopes,
        request.expiresInDays ? new Date(Date.now() + request.expiresInDays * DAY_MS) : null,
      ],
    );
    return { ...toTokenView(rows[0]), token };
  }

  async listApiTokens(
    access: Access,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: ApiTokenView[]; nextCursor: string | null }> {
    const after = page.cursor ? decodeCursor(page.cursor, 2) : undefined;
    const { rows } = await this.pool.query<ApiTokenRow>(
      `SELECT ${API_TOKEN_COLUMNS} FROM ${this.schema}.api_tokens
        WHERE workspace_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR user_id = $3)
          ${after ? 'AND (created_at, id) < ($4::timestamptz, $5::uuid)' : ''}
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      [access.workspaceId, page.limit + 1, ownOnly(access), ...(after ? [after[0], after[1]] : [])],
    );
    return pageFromRows(rows, page.limit, (row) => [row.created_at.toISOString(), row.id], toTokenView);
  }

  async revokeApiToken(access: Access, tokenId: string): Promise<void> {
    const { rows } = await this.pool.query<{ user_id: string }>(
      `UPDATE ${this.schema}.api_tokens SET revoked_at = now()
        WHERE id = $1 AND workspace_id = $2 AND revoked_at IS NULL AND ($3::uuid IS NULL OR user_id = $3) RETURNING user_id`,
      [tokenId, access.workspaceId, ownOnly(access)],
    );
    if (!rows[0]) throw new DomainError('not_found', `API token ${tokenId} does not exist`);
    this.usersChanged([rows[0].user_id]);
  }

  async listMembers(access: Access): Promise<MemberView[]> {
    const { rows } = await this.pool.query<MemberRow>(
      `SELECT m.user_id, u.email, m.role, m.created_at FROM ${this.schema}.memberships m
         JOIN ${this.schema}.users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.created_at, m.user_id`,
      [access.workspaceId],
    );
    return rows.map(toMemberView);
  }

  async addMember(access: Access, email: string, role: Role): Promise<MemberView> {
    const member = await this.transaction(async (tx) => {
      await this.lockWorkspace(tx, access.workspaceId);
      checkMemberChange({ actorRole: access.role, targetRole: undefined, nextRole: role, owners: 1 });
      const { rows: users } = await tx.query<{ id: string }>(
        `SELECT id FROM ${this.schema}.users WHERE lower(email) = lower($1)`,
        [email],
      );
      if (!users[0])
        throw new DomainError('not_found', `no account uses ${email}; ask them to sign up first, then add them`);
      const { rows } = await tx.query<MemberRow>(
        `INSERT INTO ${this.schema}.memberships (workspace_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING user_id, $4::text AS email, role, created_at`,
        [access.workspaceId, users[0].id, role, email],
      );
      if (!rows[0]) throw new DomainError('conflict', `${email} is a member already; change their role instead`);
      return toMemberView(rows[0]);
    });
    this.usersChanged([member.userId]);
    return member;
  }

  async updateMember(access: Access, userId: string, role: Role): Promise<MemberView> {
    const member = await this.transaction(async (tx) => {
      const { target, owners } = await this.memberForChange(tx, access, userId);
      checkMemberChange({ actorRole: access.role, targetRole: target.role, nextRole: role, owners });
      const { rows } = await tx.query<MemberRow>(
        `UPDATE ${this.schema}.memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2
         RETURNING user_id, $4::text AS email, role, created_at`,
        [access.workspaceId, userId, role, target.email],
      );
      return toMemberView(rows[0]);
    });
    this.usersChanged([userId]);
    return member;
  }

  async removeMember(access: Access, userId: string): Promise<void> {
    await this.transaction(async (tx) => {
      const { target, owners } = await this.memberForChange(tx, access, userId);
      checkMemberChange({ actorRole: access.role, targetRole: target.role, nextRole: undefined, owners });
      await tx.query(`DELETE FROM ${this.schema}.memberships WHERE workspace_id = $1 AND user_id = $2`, [
        access.workspaceId,
        userId,
      ]);
      // Their tokens for this workspace go with the membership.
      await tx.query(
        `UPDATE ${this.schema}.api_tokens SET revoked_at = now() WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL`,
        [access.workspaceId, userId],
      );
    });
    this.usersChanged([userId]);
  }

  private async memberForChange(tx: PoolClient, access: Access, userId: string) {
    await this.lockWorkspace(tx, access.workspaceId);
    const { rows } = await tx.query<{ role: Role; email: string; owners: number }>(
      `SELECT m.role, u.email,
              (SELECT count(*)::int FROM ${this.schema}.memberships o WHERE o.workspace_id = $1 AND o.role = 'owner') AS owners
         FROM ${this.schema}.memberships m JOIN ${this.schema}.users u ON u.id = m.user_id
        WHERE m.workspace_id = $1 AND m.user_id = $2`,
      [access.workspaceId, userId],
    );
    if (!rows[0]) throw new DomainError('not_found', `user ${userId} is not a member of this workspace`);
    return { target: rows[0], owners: rows[0].owners };
  }

  /** Serializes member changes per workspace, so two demotions cannot leave it without an owner. */
  private async lockWorkspace(tx: PoolClient, workspaceId: string): Promise<void> {
    await tx.query(`SELECT 1 FROM ${this.schema}.workspaces WHERE id = $1 FOR UPDATE`, [workspaceId]);
  }

  private async insertWorkspace(
    tx: PoolClient,
    workspaceId: string,
    name: string,
    ownerId: string,
  ): Promise<WorkspaceView> {
    const {
      rows: [workspace],
    } = await tx.query<{ created_at: Date }>(
      `INSERT INTO ${this.schema}.workspaces (id, name) VALUES ($1, $2) RETURNING created_at`,
      [workspaceId, name],
    );
    await tx.query(`INSERT INTO ${this.schema}.memberships (workspace_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      workspaceId,
      ownerId,
    ]);
    return { id: workspaceId, name, role: 'owner', createdAt: workspace.created_at.toISOString() };
  }

  private async insertSession(
    tx: PoolClient,
    userId: string,
    workspaceId: string,
  ): Promise<{ token: string; expiresAt: string }> {
    const token = newToken('session');
    const expiresAt = new Date(Date.now() + this.sessionTtlMs);
    await tx.query(
      `INSERT INTO ${this.schema}.sessions (id, token_hash, user_id, default_workspace_id, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [randomUUID(), hashToken(token), userId, workspaceId, expiresAt],
    );
    return { token, expiresAt: expiresAt.toISOString() };
  }

  private sessionQuery(): string {
    return `SELECT s.id AS credential_id, s.user_id, u.email, u.created_at AS user_created_at,
                   s.default_workspace_id AS workspace_id, NULL::text[] AS scopes, s.expires_at,
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
              RETURNING id, user_id, workspace_id, scopes, expires_at
            )
            SELECT t.id AS credential_id, t.user_id, u.email, u.created_at AS user_created_at, t.workspace_id, t.scopes,
                   t.expires_at,
                   (SELECT json_agg(json_build_object('workspace_id', m.workspace_id, 'role', m.role, 'name', w.name, 'created_at', w.created_at))
                      FROM ${this.schema}.memberships m JOIN ${this.schema}.workspaces w ON w.id = m.workspace_id
                     WHERE m.user_id = t.user_id AND m.workspace_id = t.workspace_id) AS memberships
              FROM token t JOIN ${this.schema}.users u ON u.id = t.user_id`;
  }

  private usersChanged(userIds: string[]): void {
    this.cache.forgetUsers(userIds);
    this.options.onUsersChanged?.(userIds);
  }

  private async transaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/** Admins see and revoke every token of the workspace; everyone else only their own (the user id to filter on). */
function ownOnly(access: Access): string | null {
  return access.scopes.includes('admin') ? null : access.principal.userId;
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
