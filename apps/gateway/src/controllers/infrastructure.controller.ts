import { Controller, Inject, Req } from '@nestjs/common';
import { apiRoutes, CreateSnapshot, DeleteSnapshot, GetSnapshot, ListProviders, ListSnapshots, RemoveProviderCredentials } from '@platform/contracts';
import { checkSnapshotDeletable, completeSnapshotRequest, Input, Route, saveProviderToken, type CommandGateway, type RouteInput } from '@platform/http-api';
import type { SecretBox } from '@platform/secrets';
import type { FastifyRequest } from 'fastify';
import { COMMANDS, SECRETS } from '../tokens';

/** Provider credentials and snapshots; servers have their own controller. */
@Controller()
export class InfrastructureController {
  constructor(
    @Inject(COMMANDS) private readonly commands: CommandGateway,
    @Inject(SECRETS) private readonly secrets: SecretBox,
  ) {}

  @Route(apiRoutes.listProviders)
  providers(@Req() request: FastifyRequest) {
    return this.commands.relay(request, ListProviders, {});
  }

  @Route(apiRoutes.saveProviderCredentials)
  saveCredentials(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.saveProviderCredentials>) {
    return saveProviderToken(this.commands, this.secrets, request, input.params.provider, input.body.token);
  }

  @Route(apiRoutes.removeProviderCredentials)
  removeCredentials(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.removeProviderCredentials>) {
    return this.commands.relay(request, RemoveProviderCredentials, { provider: input.params.provider });
  }

  @Route(apiRoutes.listSnapshots)
  snapshots(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.listSnapshots>) {
    return this.commands.relay(request, ListSnapshots, input.query);
  }

  @Route(apiRoutes.getSnapshot)
  snapshot(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.getSnapshot>) {
    return this.commands.relay(request, GetSnapshot, { snapshotId: input.params.id });
  }

  @Route(apiRoutes.createSnapshot)
  async createSnapshot(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.createSnapshot>) {
    const spec = await completeSnapshotRequest(this.commands, request, input.body);
    const snapshotId = this.commands.newId(request, 'snapshot');
    const commandId = await this.commands.send(request, CreateSnapshot, { snapshotId, spec });
    return { snapshotId, commandId };
  }

  @Route(apiRoutes.deleteSnapshot)
  async deleteSnapshot(@Req() request: FastifyRequest, @Input() input: RouteInput<typeof apiRoutes.deleteSnapshot>) {
    const snapshotId = input.params.id;
    await checkSnapshotDeletable(this.commands, request, snapshotId);
    const commandId = await this.commands.send(request, DeleteSnapshot, { snapshotId });
    return { snapshotId, commandId };
  }
}
