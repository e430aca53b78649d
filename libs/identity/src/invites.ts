import { randomBytes, randomUUID } from 'node:crypto';
import {
  apiRoutes,
  DomainError,
  type CreatedInvite,
  type CreateInviteRequest,
  type InviteView,
} from '@platform/contracts';
import { checkMemberChange, type Access } from './access';
import { actorOf, type RequestContext } from './audit-log';
import { hashToken } from './credentials';
import type { IdentityRepository } from './identity-repository';

const DAY_MS = 86_400_000;
const INVITE_PREFIX = 'pli_';
/** The invitations a list shows: the newest ones. */
const LISTED = 100;

/** An invitation's secret: 256 random bits, recognisable by its prefix; only its hash is stored. */
export function newInviteToken(): string {
  return INVITE_PREFIX + randomBytes(32).toString('base64url');
}

/** The stored form of an invitation's secret (as for API tokens: a fast hash is enough for 256 random bits). */
export function inviteTokenHash(token: string): Buffer {
  return hashToken(token.trim());
}

/**
 * Why an invitation cannot be used by `email`, as the error to answer: each case has its own code, so a person
 * (and the console) can tell a link that was mistyped from one that ran out.
 */
export function inviteRefusal(invite: (InviteView & { workspaceId: string }) | undefined, email: string): DomainError {
  const askAgain = 'ask a workspace admin for a new one';
  if (!invite)
    return new DomainError('invite_not_found', `this invitation does not exist; check the link, or ${askAgain}`);
  switch (invite.status) {
    case 'used':
      return new DomainError('invite_used', `this invitation was used already; each one works once: ${askAgain}`);
    case 'revoked':
      return new DomainError('invite_revoked', `this invitation was revoked; ${askAgain}`);
    case 'expired':
      return new DomainError('invite_expired', `this invitation expired at ${invite.expiresAt}; ${askAgain}`);
    case 'pending':
      if (invite.email !== null && invite.email.toLowerCase() !== email.toLowerCase()) {
        return new DomainError(
          'forbidden',
          `this invitation is for another email address; use the address it was made for, or ${askAgain}`,
        );
      }
  }
  // A pending invitation for this email that could not be used: it changed in between (used, revoked, expired).
  return new DomainError('invite_used', `this invitation was used or revoked a moment ago; ${askAgain}`);
}

/**
 * Invitations to a workspace: an admin makes one for a role (and, if they like, one email); its secret is shown
 * once, works once, and expires. Signing up or logging in with it joins the workspace (see Accounts).
 */
export class Invites {
  constructor(private readonly repository: IdentityRepository) {}

  async create(access: Access, request: CreateInviteRequest, context?: RequestContext): Promise<CreatedInvite> {
    // Inviting someone is adding a member later: the same rules (admins invite members and viewers only).
    checkMemberChange({ actorRole: access.role, targetRole: undefined, nextRole: request.role, owners: 1 });
    const token = newInviteToken();
    const invite = await this.repository.transaction(async (tx) => {
      const inserted = await tx.insertInvite({
        id: randomUUID(),
        tokenHash: inviteTokenHash(token),
        workspaceId: access.workspaceId,
        email: request.email ?? null,
        role: request.role,
        createdBy: access.principal.userId,
        expiresAt: new Date(Date.now() + request.expiresInDays * DAY_MS),
      });
      await tx.audit([inviteChange(access, apiRoutes.createInvite.operationId, inserted.id, context)]);
      return inserted;
    });
    return { ...invite, token };
  }

  list(access: Access): Promise<InviteView[]> {
    return this.repository.listInvites(access.workspaceId, LISTED);
  }

  async revoke(access: Access, inviteId: string, context?: RequestContext): Promise<void> {
    await this.repository.transaction(async (tx) => {
      const invite = await tx.revokeInvite(access.workspaceId, inviteId);
      if (!invite) throw new DomainError('not_found', `invitation ${inviteId} does not exist`);
      if (invite.status !== 'revoked') {
        throw new DomainError(
          'conflict',
          `invitation ${inviteId} is ${invite.status} already; only a pending one is revoked`,
        );
      }
      await tx.audit([inviteChange(access, apiRoutes.revokeInvite.operationId, inviteId, context)]);
    });
  }
}

/** Invitations are the instance's business too: its owner sees who invited whom into every workspace. */
function inviteChange(access: Access, action: string, inviteId: string, context: RequestContext | undefined) {
  return {
    action,
    workspaceId: access.workspaceId,
    instanceLevel: true,
    actor: actorOf(access.principal),
    resource: { type: 'invite', id: inviteId },
    request: context,
  };
}
