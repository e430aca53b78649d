import {
  apiRoutes,
  DomainError,
  type ApiTokenView,
  type CreateApiTokenRequest,
  type CreatedApiToken,
} from '@platform/contracts';
import type { Access } from './access';
import { actorOf, type RequestContext } from './audit-log';
import type { UsersChanged } from './credential-cache';
import { hashToken, newToken, tokenPrefix } from './credentials';
import type { IdentityRepository } from './identity-repository';

const DAY_MS = 86_400_000;

/** API tokens of a workspace: made from a session, listed and revoked by their owner or an admin. */
export class ApiTokens {
  constructor(
    private readonly repository: IdentityRepository,
    private readonly usersChanged: UsersChanged,
  ) {}

  async create(access: Access, request: CreateApiTokenRequest, context?: RequestContext): Promise<CreatedApiToken> {
    if (access.principal.credential.kind !== 'session') {
      // Otherwise a leaked token could mint others that outlive its revocation.
      throw new DomainError('forbidden', 'API tokens are created from a logged-in session, not with another API token');
    }
    const beyondRole = request.scopes.filter((scope) => !access.scopes.includes(scope));
    if (beyondRole.length) {
      throw new DomainError('forbidden', `a token cannot have scopes its creator lacks: ${beyondRole.join(', ')}`);
    }
    const token = newToken('api_token');
    const created = await this.repository.transaction(async (tx) => {
      const inserted = await tx.insertApiToken({
        tokenHash: hashToken(token),
        prefix: tokenPrefix(token),
        workspaceId: access.workspaceId,
        userId: access.principal.userId,
        name: request.name,
        scopes: request.scopes,
        expiresAt: request.expiresInDays ? new Date(Date.now() + request.expiresInDays * DAY_MS) : null,
      });
      await tx.audit([
        {
          action: apiRoutes.createApiToken.operationId,
          workspaceId: access.workspaceId,
          actor: actorOf(access.principal),
          resource: { type: 'api_token', id: inserted.id },
          request: context,
        },
      ]);
      return inserted;
    });
    return { ...created, token };
  }

  list(
    access: Access,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: ApiTokenView[]; nextCursor: string | null }> {
    return this.repository.listApiTokens(access.workspaceId, ownOnly(access), page);
  }

  async revoke(access: Access, tokenId: string, context?: RequestContext): Promise<void> {
    const owner = await this.repository.transaction(async (tx) => {
      const revoked = await tx.revokeApiToken(tokenId, access.workspaceId, ownOnly(access));
      if (!revoked) throw new DomainError('not_found', `API token ${tokenId} does not exist`);
      await tx.audit([
        {
          action: apiRoutes.revokeApiToken.operationId,
          workspaceId: access.workspaceId,
          actor: actorOf(access.principal),
          resource: { type: 'api_token', id: tokenId },
          request: context,
        },
      ]);
      return revoked;
    });
    this.usersChanged([owner]);
  }
}

/** Admins see and revoke every token of the workspace; everyone else only their own (the user id to filter on). */
function ownOnly(access: Access): string | null {
  return access.scopes.includes('admin') ? null : access.principal.userId;
}
