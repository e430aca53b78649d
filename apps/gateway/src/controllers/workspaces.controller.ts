import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { IDENTITY, Route, type RouteCall } from '@platform/http-api';
import type { Identity } from '@platform/identity';

@Injectable()
export class WorkspacesController {
  constructor(@Inject(IDENTITY) private readonly identity: Identity) {}

  @Route(apiRoutes.me)
  me({ access }: RouteCall<typeof apiRoutes.me>) {
    return this.identity.accounts.me(access);
  }

  @Route(apiRoutes.listWorkspaces)
  listWorkspaces({ access }: RouteCall<typeof apiRoutes.listWorkspaces>) {
    return { items: this.identity.workspaces.list(access.principal) };
  }

  @Route(apiRoutes.createWorkspace)
  createWorkspace({ access, input }: RouteCall<typeof apiRoutes.createWorkspace>) {
    return this.identity.workspaces.create(access, input.body.name);
  }

  @Route(apiRoutes.listMembers)
  async listMembers({ access }: RouteCall<typeof apiRoutes.listMembers>) {
    return { items: await this.identity.workspaces.listMembers(access) };
  }

  @Route(apiRoutes.addMember)
  addMember({ access, input }: RouteCall<typeof apiRoutes.addMember>) {
    return this.identity.workspaces.addMember(access, input.body.email, input.body.role);
  }

  @Route(apiRoutes.updateMember)
  updateMember({ access, input }: RouteCall<typeof apiRoutes.updateMember>) {
    return this.identity.workspaces.updateMember(access, input.params.userId, input.body.role);
  }

  @Route(apiRoutes.removeMember)
  removeMember({ access, input }: RouteCall<typeof apiRoutes.removeMember>) {
    return this.identity.workspaces.removeMember(access, input.params.userId);
  }

  @Route(apiRoutes.listInvites)
  async listInvites({ access }: RouteCall<typeof apiRoutes.listInvites>) {
    return { items: await this.identity.invites.list(access) };
  }

  @Route(apiRoutes.createInvite)
  createInvite({ access, input }: RouteCall<typeof apiRoutes.createInvite>) {
    return this.identity.invites.create(access, input.body);
  }

  @Route(apiRoutes.revokeInvite)
  revokeInvite({ access, input }: RouteCall<typeof apiRoutes.revokeInvite>) {
    return this.identity.invites.revoke(access, input.params.id);
  }
}
