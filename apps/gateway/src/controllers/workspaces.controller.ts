import { Controller, Inject } from '@nestjs/common';
import { apiRoutes } from '@platform/contracts';
import { CallerAccess, IDENTITY, Input, Route, type RouteInput } from '@platform/http-api';
import type { Access, IdentityService } from '@platform/identity';

@Controller()
export class WorkspacesController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityService) {}

  @Route(apiRoutes.me)
  me(@CallerAccess() access: Access) {
    return this.identity.me(access);
  }

  @Route(apiRoutes.listWorkspaces)
  listWorkspaces(@CallerAccess() access: Access) {
    return { items: this.identity.listWorkspaces(access.principal) };
  }

  @Route(apiRoutes.createWorkspace)
  createWorkspace(@CallerAccess() access: Access, @Input() input: RouteInput<typeof apiRoutes.createWorkspace>) {
    return this.identity.createWorkspace(access, input.body.name);
  }

  @Route(apiRoutes.listMembers)
  async listMembers(@CallerAccess() access: Access) {
    return { items: await this.identity.listMembers(access) };
  }

  @Route(apiRoutes.addMember)
  addMember(@CallerAccess() access: Access, @Input() input: RouteInput<typeof apiRoutes.addMember>) {
    return this.identity.addMember(access, input.body.email, input.body.role);
  }

  @Route(apiRoutes.updateMember)
  updateMember(@CallerAccess() access: Access, @Input() input: RouteInput<typeof apiRoutes.updateMember>) {
    return this.identity.updateMember(access, input.params.userId, input.body.role);
  }

  @Route(apiRoutes.removeMember)
  removeMember(@CallerAccess() access: Access, @Input() input: RouteInput<typeof apiRoutes.removeMember>) {
    return this.identity.removeMember(access, input.params.userId);
  }
}
