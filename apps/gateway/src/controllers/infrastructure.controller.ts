import { Inject, Injectable } from '@nestjs/common';
import {
  apiRoutes,
  CreateSnapshot,
  DeleteSnapshot,
  GetSnapshot,
  ListProviders,
  ListSnapshots,
  RemoveProviderCredentials,
} from '@platform/contracts';
import {
  checkSnapshotDeletable,
  completeSnapshotRequest,
  Route,
  saveProviderToken,
  type CommandGateway,
  type RouteCall,
} from '@platform/http-api';
import type { SecretBox } from '@platform/secrets';
import { COMMANDS, SECRETS } from '../tokens';

/** Provider credentials and snapshots; servers have their own controller. */
@Injectable()
export class InfrastructureController {
  constructor(
    @Inject(COMMANDS) private readonly commands: CommandGateway,
    @Inject(SECRETS) private readonly secrets: SecretBox,
  ) {}

  @Route(apiRoutes.listProviders)
  providers({ request }: RouteCall<typeof apiRoutes.listProviders>) {
    return this.commands.relay(request, ListProviders, {});
  }

  @Route(apiRoutes.saveProviderCredentials)
  saveCredentials({ request, input }: RouteCall<typeof apiRoutes.saveProviderCredentials>) {
    return saveProviderToken(this.commands, this.secrets, request, input.params.provider, input.body.token);
  }

  @Route(apiRoutes.removeProviderCredentials)
  removeCredentials({ request, input }: RouteCall<typeof apiRoutes.removeProviderCredentials>) {
    return this.commands.relay(request, RemoveProviderCredentials, { provider: input.params.provider });
  }

  @Route(apiRoutes.listSnapshots)
  snapshots({ request, input }: RouteCall<typeof apiRoutes.listSnapshots>) {
    return this.commands.relay(request, ListSnapshots, input.query);
  }

  @Route(apiRoutes.getSnapshot)
  snapshot({ request, input }: RouteCall<typeof apiRoutes.getSnapshot>) {
    return this.commands.relay(request, GetSnapshot, { snapshotId: input.params.id });
  }

  @Route(apiRoutes.createSnapshot)
  async createSnapshot({ request, input }: RouteCall<typeof apiRoutes.createSnapshot>) {
    const spec = await completeSnapshotRequest(this.commands, request, input.body);
    const snapshotId = this.commands.newId(request, 'snapshot');
    const commandId = await this.commands.send(request, CreateSnapshot, { snapshotId, spec });
    return { snapshotId, commandId };
  }

  @Route(apiRoutes.deleteSnapshot)
  async deleteSnapshot({ request, input }: RouteCall<typeof apiRoutes.deleteSnapshot>) {
    const snapshotId = input.params.id;
    await checkSnapshotDeletable(this.commands, request, snapshotId);
    const commandId = await this.commands.send(request, DeleteSnapshot, { snapshotId });
    return { snapshotId, commandId };
  }
}
