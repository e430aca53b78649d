import { randomUUID } from 'node:crypto';
import { apiRoutes, DomainError, type MemberView, type Role, type WorkspaceView } from '@platform/contracts';
import { checkMemberChange, type Access, type Principal } from './access';
import { actorOf, type RequestContext } from './audit-log';
import type { UsersChanged } from './credential-cache';
import type { IdentityRepository } from './identity-repository';

/** Workspaces and their members: who belongs to which workspace, in which role. */
export class Workspaces {
  constructor(
    private readonly repository: IdentityRepository,
    private readonly usersChanged: UsersChanged,
    private readonly maxWorkspacesPerUser: number,
  ) {}

  list(principal: Principal): WorkspaceView[] {
    return [...principal.workspaces];
  }

  async create(access: Access, name: string, context?: RequestContext): Promise<WorkspaceView> {
    if (access.principal.credential.kind !== 'session') {
      throw new DomainError(
        'forbidden',
        'an API token acts in its own workspace only; create workspaces from a session',
      );
    }
    const userId = access.principal.userId;
    const workspace = await this.repository.transaction(async (tx) => {
      const made = await tx.lockUserAndCountWorkspacesMade(userId);
      if (made >= this.maxWorkspacesPerUser) {
        throw new DomainError(
          'workspace_limit_reached',
          `you have created ${made} workspaces, the most one user may on this instance (its setting ` +
            `MAX_WORKSPACES_PER_USER); work in one you have, or ask the operator to raise the limit`,
          [{ created: made, limit: this.maxWorkspacesPerUser }],
        );
      }
      const created = await tx.insertWorkspace(randomUUID(), name, userId);
      await tx.audit([
        {
          action: apiRoutes.createWorkspace.operationId,
          workspaceId: created.id,
          instanceLevel: true,
          actor: actorOf(access.principal),
          resource: { type: 'workspace', id: created.id },
          request: context,
        },
      ]);
      return created;
    });
    this.usersChanged([userId]);
    return workspace;
  }

  listMembers(access: Access): Promise<MemberView[]> {
    return this.repository.listMembers(access.workspaceId);
  }

  async addMember(access: Access, email: string, role: Role, context?: RequestContext): Promise<MemberView> {
    const member = await this.repository.transaction(async (tx) => {
      await tx.lockWorkspace(access.workspaceId);
      checkMemberChange({ actorRole: access.role, targetRole: undefined, nextRole: role, owners: 1 });
      const userId = await tx.findUserIdByEmail(email);
      if (!userId)
        throw new DomainError(
          'not_found',
          `no account uses ${email}; ask them to sign up first, then add them, or invite them instead (an invitation signs them up and adds them at once)`,
        );
      const added = await tx.insertMember(access.workspaceId, userId, email, role);
      if (!added) throw new DomainError('conflict', `${email} is a member already; change their role instead`);
      await tx.audit([memberChange(access, apiRoutes.addMember.operationId, userId, context)]);
      return added;
    });
    this.usersChanged([member.userId]);
    return member;
  }

  async updateMember(access: Access, userId: string, role: Role, context?: RequestContext): Promise<MemberView> {
    const member = await this.repository.transaction(async (tx) => {
      const target = await this.memberForChange(tx, access, userId);
      checkMemberChange({ actorRole: access.role, targetRole: target.role, nextRole: role, owners: target.owners });
      await tx.audit([memberChange(access, apiRoutes.updateMember.operationId, userId, context)]);
      return tx.updateMemberRole(access.workspaceId, userId, target.email, role);
    });
    this.usersChanged([userId]);
    return member;
  }

  async removeMember(access: Access, userId: string, context?: RequestContext): Promise<void> {
    await this.repository.transaction(async (tx) => {
      const target = await this.memberForChange(tx, access, userId);
      checkMemberChange({
        actorRole: access.role,
        targetRole: target.role,
        nextRole: undefined,
        owners: target.owners,
      });
      await tx.deleteMember(access.workspaceId, userId);
      // Their tokens for this workspace go with the membership.
      await tx.revokeMemberApiTokens(access.workspaceId, userId);
      await tx.audit([memberChange(access, apiRoutes.removeMember.operationId, userId, context)]);
    });
    this.usersChanged([userId]);
  }

  /** Locking the workspace first serializes member changes, so two demotions cannot leave it without an owner. */
  private async memberForChange(tx: IdentityRepository, access: Access, userId: string) {
    await tx.lockWorkspace(access.workspaceId);
    const target = await tx.findMemberWithOwnerCount(access.workspaceId, userId);
    if (!target) throw new DomainError('not_found', `user ${userId} is not a member of this workspace`);
    return target;
  }
}

function memberChange(access: Access, action: string, userId: string, context: RequestContext | undefined) {
  return {
    action,
    workspaceId: access.workspaceId,
    actor: actorOf(access.principal),
    resource: { type: 'member', id: userId },
    request: context,
  };
}
