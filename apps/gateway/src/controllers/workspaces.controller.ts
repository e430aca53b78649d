import { Inject, Injectable } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { IDENTITY, requestContextOf, Route, type RouteCall } from '@platform/http-api';
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
  createWorkspace({ access, input, request }: RouteCall<typeof apiRoutes.createWorkspace>) {
    return this.identity.workspaces.create(access, input.body.name, requestContextOf(request));
  }

  @Route(apiRoutes.listMembers)
  async listMembers({ access }: RouteCall<typeof apiRoutes.listMembers>) {
    return { items: await this.identity.workspaces.listMembers(access) };
  }

  @Route(apiRoutes.addMember)
  addMember({ access, input, request }: RouteCall<typeof apiRoutes.addMember>) {
    return this.identity.workspaces.addMember(access, input.body.email, input.body.role, requestContextOf(request));
  }

  @Route(apiRoutes.updateMember)
  updateMember({ access, input, request }: RouteCall<typeof apiRoutes.updateMember>) {
    return this.identity.workspaces.updateMember(
      access,
      input.params.userId,
      input.body.role,
      requestContextOf(request),
    );
  }

  @Route(apiRoutes.removeMember)
  removeMember({ access, input, request }: RouteCall<typeof apiRoutes.removeMember>) {
    return this.identity.workspaces.removeMember(access, input.params.userId, requestContextOf(request));
  }

  @Route(apiRoutes.listInvites)
  async listInvites({ access }: RouteCall<typeof apiRoutes.listInvites>) {
    return { items: await this.identity.invites.list(access) };
  }

  @Route(apiRoutes.createInvite)
  createInvite({ access, input, request }: RouteCall<typeof apiRoutes.createInvite>) {
    return this.identity.invites.create(access, input.body, requestContextOf(request));
  }

  @Route(apiRoutes.revokeInvite)
  revokeInvite({ access, input, request }: RouteCall<typeof apiRoutes.revokeInvite>) {
    return this.identity.invites.revoke(access, input.params.id, requestContextOf(request));
  }
}
