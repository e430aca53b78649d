import { randomUUID } from 'node:crypto';
import {
  apiRoutes,
  DomainError,
  type LoginRequest,
  type MeResponse,
  type SignupRequest,
  type UserView,
  type WorkspaceView,
} from '@platform/contracts';
import type { Access, Principal } from './access';
import { actorOf, type RequestContext } from './audit-log';
import type { CredentialCache, UsersChanged } from './credential-cache';
import { hashToken, hashTokenHex, newToken, storedTokenHash, tokenKindOf } from './credentials';
import type { IdentityRepository } from './identity-repository';
import { signupClosed, type Instance } from './instance';
import { inviteRefusal, inviteTokenHash } from './invites';
import { hashPassword, verifyPassword } from './passwords';

const DAY_MS = 86_400_000;

const unauthorized = () =>
  new DomainError(
    'unauthorized',
    'the credential is missing, expired or revoked; log in again or use a valid API token',
  );

/**
 * Accounts and their sessions: signing up, logging in and out, and who a credential belongs to. Who may sign up
 * is the instance's signup policy: the first account (which becomes the instance's owner), then only people with
 * an invitation unless signup is open.
 */
export class Accounts {
  private readonly sessionTtlMs: number;

  constructor(
    private readonly repository: IdentityRepository,
    private readonly cache: CredentialCache,
    private readonly usersChanged: UsersChanged,
    private readonly instance: Instance,
    sessionTtlDays = 30,
  ) {
    this.sessionTtlMs = sessionTtlDays * DAY_MS;
  }

  async signup(
    request: SignupRequest,
    context?: RequestContext,
  ): Promise<{ user: UserView; workspace: WorkspaceView; token: string; expiresAt: string }> {
    const { invite } = request;
    // Refused before the password is hashed (the costly part), so a closed door costs the caller nothing to knock on.
    if (invite !== undefined) {
      const found = await this.repository.findInvite(inviteTokenHash(invite));
      if (found?.status !== 'pending' || (found.email !== null && found.email !== request.email))
        throw inviteRefusal(found, request.email);
    } else if (this.instance.settings.signup !== 'open' && (await this.instance.owner())) {
      throw signupClosed();
    }
    const passwordHash = await hashPassword(request.password);
    return this.repository.transaction(async (tx) => {
      const userId = randomUUID();
      const createdAt = await tx.insertUser(userId, request.email, passwordHash);
      if (!createdAt) {
        throw new DomainError(
          'conflict',
          invite === undefined
            ? 'an account with this email exists already; log in instead'
            : 'an account with this email exists already; log in with the invitation instead to join its workspace',
        );
      }
      let workspace: WorkspaceView;
      if (invite !== undefined) {
        workspace = await this.joinByInvite(tx, invite, userId, request.email);
      } else {
        workspace = await tx.insertWorkspace(randomUUID(), request.workspaceName as string, userId);
        // The first account owns the instance; after it, only an open signup lets anyone in without an invitation.
        const owner = await tx.claimInstance(userId, workspace.id);
        if (!owner && this.instance.settings.signup !== 'open') throw signupClosed();
      }
      const { token, expiresAt, sessionId } = await this.startSession(tx, userId, workspace.id);
      // Signups are the instance's business too: its owner sees them all.
      await tx.audit([
        {
          action: apiRoutes.signup.operationId,
          workspaceId: workspace.id,
          instanceLevel: true,
          actor: { kind: 'user', userId, name: request.email, credentialId: sessionId },
          resource: { type: 'user', id: userId },
          request: context,
        },
      ]);
      return {
        user: { id: userId, email: request.email, createdAt: createdAt.toISOString() },
        workspace,
        token,
        expiresAt,
      };
    });
  }

  async login(request: LoginRequest, context?: RequestContext): Promise<{ token: string; expiresAt: string }> {
    const user = await this.repository.findLogin(request.email);
    const valid = await verifyPassword(user?.password_hash, request.password);
    if (!user || !valid) throw new DomainError('unauthorized', 'the email or the password is wrong');
    const { invite } = request;
    if (invite !== undefined) {
      // The session acts in the workspace just joined.
      const { token, expiresAt } = await this.repository.transaction(async (tx) => {
        const workspace = await this.joinByInvite(tx, invite, user.id, request.email);
        const session = await this.startSession(tx, user.id, workspace.id);
        await tx.audit([loggedIn(user.id, request.email, workspace.id, session.sessionId, true, context)]);
        return session;
      });
      this.usersChanged([user.id]);
      return { token, expiresAt };
    }
    if (!user.workspace_id)
      throw new DomainError(
        'forbidden',
        'this account belongs to no workspace; ask an admin for an invitation, then log in with it',
      );
    const workspaceId = user.workspace_id;
    const { token, expiresAt } = await this.repository.transaction(async (tx) => {
      const session = await this.startSession(tx, user.id, workspaceId);
      await tx.audit([loggedIn(user.id, request.email, workspaceId, session.sessionId, false, context)]);
      return session;
    });
    return { token, expiresAt };
  }

  /** Uses the invitation (once, atomically) and makes the user a member of its workspace, in its role. */
  private async joinByInvite(
    tx: IdentityRepository,
    invite: string,
    userId: string,
    email: string,
  ): Promise<WorkspaceView> {
    const tokenHash = inviteTokenHash(invite);
    const redeemed = await tx.redeemInvite(tokenHash, userId, email);
    if (!redeemed) throw inviteRefusal(await tx.findInvite(tokenHash), email);
    const member = await tx.insertMember(redeemed.workspaceId, userId, email, redeemed.role);
    if (!member) {
      throw new DomainError(
        'conflict',
        'you are a member of this workspace already; log in without the invitation (it stays unused)',
      );
    }
    const workspace = await tx.findWorkspace(redeemed.workspaceId, redeemed.role);
    if (!workspace) throw new DomainError('invite_not_found', 'the workspace of this invitation no longer exists');
    return workspace;
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

  async logout(principal: Principal, context?: RequestContext): Promise<void> {
    if (principal.credential.kind !== 'session') {
      throw new DomainError(
        'validation_failed',
        'logout ends a session; revoke an API token with DELETE /v1/api-tokens/{id}',
      );
    }
    const workspaceId = principal.credential.defaultWorkspaceId;
    await this.repository.transaction(async (tx) => {
      await tx.revokeSession(principal.credential.id);
      await tx.audit([
        {
          action: apiRoutes.logout.operationId,
          workspaceId,
          actor: actorOf(principal),
          resource: { type: 'session', id: principal.credential.id },
          request: context,
        },
      ]);
    });
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
  ): Promise<{ token: string; expiresAt: string; sessionId: string }> {
    const token = newToken('session');
    const expiresAt = new Date(Date.now() + this.sessionTtlMs);
    const sessionId = await tx.insertSession(hashToken(token), userId, workspaceId, expiresAt);
    return { token, expiresAt: expiresAt.toISOString(), sessionId };
  }
}

/** A login is audited: it hands out a credential (and, with an invitation, joins a workspace). */
function loggedIn(
  userId: string,
  email: string,
  workspaceId: string,
  sessionId: string,
  joined: boolean,
  context: RequestContext | undefined,
) {
  return {
    action: apiRoutes.login.operationId,
    workspaceId,
    instanceLevel: joined,
    actor: { kind: 'user' as const, userId, name: email, credentialId: sessionId },
    resource: { type: 'session', id: sessionId },
    request: context,
  };
}
