import { Inject, Injectable } from '@nestjs/common';
import {
  apiRoutes,
  DeployService,
  GetDeployment,
  GetDeploymentLogs,
  GetService,
  ListDeployments,
  RollbackDeployment,
} from '@platform/contracts';
import {
  accessOf,
  deploymentTargets,
  ensureNoRunningDeployment,
  Route,
  sealEnv,
  type CommandGateway,
  type EventStreams,
  type RouteCall,
} from '@platform/http-api';
import type { SecretBox } from '@platform/secrets';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { COMMANDS, EVENT_STREAMS, SECRETS } from '../tokens';

const DEPLOYMENT_ENDS = ['DeploymentSucceeded', 'DeploymentFailed'];

@Injectable()
export class DeploymentsController {
  constructor(
    @Inject(COMMANDS) private readonly commands: CommandGateway,
    @Inject(SECRETS) private readonly secrets: SecretBox,
    @Inject(EVENT_STREAMS) private readonly streams: EventStreams,
  ) {}

  @Route(apiRoutes.listDeployments)
  list({ request, input }: RouteCall<typeof apiRoutes.listDeployments>) {
    return this.commands.relay(request, ListDeployments, input.query);
  }

  @Route(apiRoutes.getDeployment)
  get({ request, input }: RouteCall<typeof apiRoutes.getDeployment>) {
    return this.commands.relay(request, GetDeployment, { deploymentId: input.params.id });
  }

  @Route(apiRoutes.getDeploymentLogs)
  logs({ request, input }: RouteCall<typeof apiRoutes.getDeploymentLogs>) {
    return this.commands.relay(request, GetDeploymentLogs, { deploymentId: input.params.id });
  }

  @Route(apiRoutes.createDeployment)
  async create({ request, reply, input }: RouteCall<typeof apiRoutes.createDeployment>) {
    const { serviceId, source, serverIds, env, strategy } = input.body;
    await this.commands.query(request, GetService, { serviceId });
    await ensureNoRunningDeployment(this.commands, request, serviceId);
    const targets = await deploymentTargets(this.commands, request, serverIds);
    const deploymentId = this.commands.newId(request, 'deployment');
    const start = async () => {
      const commandId = await this.commands.send(request, DeployService, {
        deploymentId,
        serviceId,
        source,
        targets,
        env: sealEnv(this.secrets, request, serviceId, env ?? {}),
        batchSize: strategy?.batchSize ?? 1,
      });
      return { deploymentId, commandId };
    };
    return this.startOrFollow(request, reply, deploymentId, start);
  }

  @Route(apiRoutes.rollbackDeployment)
  async rollback({ request, reply, input }: RouteCall<typeof apiRoutes.rollbackDeployment>) {
    const earlier = await this.commands.query(request, GetDeployment, { deploymentId: input.params.id });
    await ensureNoRunningDeployment(this.commands, request, earlier.serviceId);
    const targets = await deploymentTargets(
      this.commands,
      request,
      earlier.servers.map((server) => server.serverId),
    );
    const deploymentId = this.commands.newId(request, 'deployment');
    const start = async () => {
      const commandId = await this.commands.send(request, RollbackDeployment, {
        deploymentId,
        serviceId: earlier.serviceId,
        rollbackOf: earlier.id,
        targets,
      });
      return { deploymentId, commandId };
    };
    return this.startOrFollow(request, reply, deploymentId, start);
  }

  /** With `Accept: text/event-stream`, the answer follows the deployment until it ends; otherwise 202. */
  private async startOrFollow(
    request: FastifyRequest,
    reply: FastifyReply,
    deploymentId: string,
    start: () => Promise<unknown>,
  ) {
    if (!(request.headers.accept ?? '').includes('text/event-stream')) return start();
    await this.streams.follow(
      request,
      reply,
      { workspaceId: accessOf(request).workspaceId, deploymentId },
      DEPLOYMENT_ENDS,
      start,
    );
    return undefined;
  }
}
