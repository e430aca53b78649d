import { randomUUID } from 'node:crypto';
import {
  DomainError,
  type LoginRequest,
  type MeResponse,
  type SignupRequest,
  type UserView,
  type WorkspaceView,
} from '@platform/contracts';
import type { Access, Principal } from './access';
import type { CredentialCache, UsersChanged } from './credential-cache';
import { hashToken, hashTokenHex, newToken, storedTokenHash, tokenKindOf } from './credentials';
import type { IdentityRepository } from './identity-repository';
import { hashPassword, verifyPassword } from './passwords';

const DAY_MS = 86_400_000;

const unauthorized = () =>
  new DomainError(
    'unauthorized',
    'the credential is missing, expired or revoked; log in again or use a valid API token',
  );

/** Accounts and their sessions: signing up, logging in and out, and who a credential belongs to. */
export class Accounts {
  private readonly sessionTtlMs: number;

  constructor(
    private readonly repository: IdentityRepository,
    private readonly cache: CredentialCache,
    private readonly usersChanged: UsersChanged,
    sessionTtlDays = 30,
  ) {
    this.sessionTtlMs = sessionTtlDays * DAY_MS;
  }

  async signup(
    request: SignupRequest,
  ): Promise<{ user: UserView; workspace: WorkspaceView; token: string; expiresAt: string }> {
    const passwordHash = await hashPassword(request.password);
    return this.repository.transaction(async (tx) => {
      const userId = randomUUID();
      const workspaceId = randomUUID();
      const createdAt = await tx.insertUser(userId, request.email, passwordHash);
      if (!createdAt) throw new DomainError('conflict', 'an account with this email exists already; log in instead');
      const workspace = await tx.insertWorkspace(workspaceId, request.workspaceName, userId);
      const { token, expiresAt } = await this.startSession(tx, userId, workspaceId);
      return {
        user: { id: userId, email: request.email, createdAt: createdAt.toISOString() },
        workspace,
        token,
        expiresAt,
      };
    });
  }

  async login(request: LoginRequest): Promise<{ token: string; expiresAt: string }> {
    const user = await this.repository.findLogin(request.email);
    const valid = await verifyPassword(user?.password_hash, request.password);
    if (!user || !valid) throw new DomainError('unauthorized', 'the email or the password is wrong');
    if (!user.workspace_id)
      throw new DomainError('forbidden', 'this account belongs to no workspace; ask an owner to add you');
    return this.repository.transaction((tx) => this.startSession(tx, user.id, user.workspace_id as string));
  }

  /** The principal behind a bearer token or session cookie, or `unauthorized`. */
  async authenticate(token: string): Promise<Principal> {
    const kind = tokenKindOf(token);
    if (!kind || token.length > 100) throw unauthorized();
    const key = hashTokenHex(token);
    const cached = this.cache.get(key);
    if (cached) return cached;

    const found = await this.repository.findPrincipal(kind, storedTokenHash(key));
    if (!found) throw unauthorized();
    this.cache.set(key, found.principal, found.expiresAt ? found.expiresAt.getTime() : Number.MAX_SAFE_INTEGER);
    return found.principal;
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.credential.kind !== 'session') {
      throw new DomainError(
        'validation_failed',
        'logout ends a session; revoke an API token with DELETE /v1/api-tokens/{id}',
      );
    }
    await this.repository.revokeSession(principal.credential.id);
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

  private async startSession(
    tx: IdentityRepository,
    userId: string,
    workspaceId: string,
  ): Promise<{ token: string; expiresAt: string }> {
    const token = newToken('session');
    const expiresAt = new Date(Date.now() + this.sessionTtlMs);
    await tx.insertSession(hashToken(token), userId, workspaceId, expiresAt);
    return { token, expiresAt: expiresAt.toISOString() };
  }
}
