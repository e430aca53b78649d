import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeployService,
  DomainError,
  GetDeployment,
  GetDeploymentLogs,
  GetServer,
  GetServerAgent,
  GetService,
  ListDeployments,
  RollbackDeployment,
  type CreateDeploymentRequest,
  type DeploymentTarget,
} from '@platform/contracts';
import type { SecretBox } from '@platform/secrets';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteQuery } from '../api-router';
import type { CommandGateway } from '../commands';
import type { EventStreams } from '../events/event-streams';
import { accessOf } from '../request-state';
import { sealEnv } from './sealed-env';
import type { LocalServersPolicy } from './servers';

/** How long a deployment seen running in the read model is looked at again before a new one is refused. */
/** A server still coming up is waited for this long, so that a script may deploy right after creating it. */
const SERVER_READY_WAIT_MS = 120_000;
const SERVER_READY_POLL_MS = 250;
const SERVER_COMING_UP = new Set(['provisioning', 'booting']);
const RUNNING_RECHECK_MS = 2_000;
const RUNNING_RECHECK_INTERVAL_MS = 100;

const DEPLOYMENT_ENDS = ['DeploymentSucceeded', 'DeploymentFailed'];

/** Deployments and rollbacks of a service, answered with 202 or followed live until they end. */
export class DeploymentsResource {
  constructor(
    private readonly commands: CommandGateway,
    private readonly secrets: SecretBox,
    private readonly streams: EventStreams,
    private readonly localServers: LocalServersPolicy,
  ) {}

  list(request: FastifyRequest, query: RouteQuery<'listDeployments'>) {
    return this.commands.relay(request, ListDeployments, query);
  }

  get(request: FastifyRequest, deploymentId: string) {
    return this.commands.relay(request, GetDeployment, { deploymentId });
  }

  logs(request: FastifyRequest, deploymentId: string) {
    return this.commands.relay(request, GetDeploymentLogs, { deploymentId });
  }

  async create(request: FastifyRequest, reply: FastifyReply, body: CreateDeploymentRequest) {
    const { serviceId, source, serverIds, env, strategy } = body;
    await this.commands.query(request, GetService, { serviceId });
    await this.ensureNoRunningDeployment(request, serviceId);
    await this.checkLocalTargets(request, serverIds);
    const targets = await this.deploymentTargets(request, serverIds);
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

  /**
   * Deploys an earlier deployment's image again: to its own servers, or to `onServers` (a server that never ran it
   * gets it too, where images go through a registry).
   */
  async rollback(
    request: FastifyRequest,
    reply: FastifyReply,
    earlierDeploymentId: string,
    onServers?: readonly string[],
  ) {
    const earlier = await this.commands.query(request, GetDeployment, { deploymentId: earlierDeploymentId });
    await this.ensureNoRunningDeployment(request, earlier.serviceId);
    const serverIds = onServers ?? earlier.servers.map((server) => server.serverId);
    await this.checkLocalTargets(request, serverIds);
    const targets = await this.deploymentTargets(request, serverIds);
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

  /**
   * A workspace that may not use this machine's servers deploys to none (it may still have some from before the
   * operator took that away). Looked up only for such a workspace: the others pay nothing for it.
   */
  private async checkLocalTargets(request: FastifyRequest, serverIds: readonly string[]): Promise<void> {
    const { workspaceId } = accessOf(request);
    if (await this.localServers.mayUseLocalServers(workspaceId)) return;
    const servers = await Promise.all(
      // A server that is not found is refused, saying which, by deploymentTargets.
      serverIds.map((serverId) => this.commands.query(request, GetServer, { serverId }).catch(() => undefined)),
    );
    if (servers.some((server) => server?.provider === 'local')) await this.localServers.checkLocalServers(workspaceId);
  }

  /**
   * The servers a deployment goes to, each ready and of the caller's workspace; a server of another workspace
   * is not found, exactly like one that does not exist.
   */
  private async deploymentTargets(request: FastifyRequest, serverIds: readonly string[]): Promise<DeploymentTarget[]> {
    return Promise.all(
      serverIds.map(async (serverId, index) => {
        try {
          const agent = await this.readyAgent(request, serverId);
          return {
            serverId,
            agentUrl: agent.agentUrl,
            sealedAgentSecret: agent.sealedAgentSecret,
            publicIp: agent.publicIp,
            edgeHttpPort: agent.edge.httpPort,
          };
        } catch (error) {
          if (error instanceof DomainError && (error.code === 'not_found' || error.code === 'conflict')) {
            throw new DomainError(error.code, error.message, [
              { path: `body.serverIds.${index}`, message: error.message },
            ]);
          }
          throw error;
        }
      }),
    );
  }

  /** The server's agent once the server is ready: one still provisioning or booting is waited for, within bounds. */
  private async readyAgent(request: FastifyRequest, serverId: string) {
    const deadline = Date.now() + SERVER_READY_WAIT_MS;
    for (;;) {
      try {
        return await this.commands.query(request, GetServerAgent, { serverId });
      } catch (error) {
        const status = error instanceof DomainError ? notReadyStatus(error) : undefined;
        if (!status || !SERVER_COMING_UP.has(status) || Date.now() >= deadline) throw error;
        await sleep(SERVER_READY_POLL_MS);
      }
    }
  }

  /**
   * A service deploys one at a time: a second deployment while one runs is refused with which one runs (the
   * service's decider refuses it too, for two requests that race past this check). The read model this reads may
   * trail the events a client reacts to by a moment (a success seen on the event stream, then the next deploy), so a
   * deployment seen running is looked at again for up to RUNNING_RECHECK_MS before the new one is refused.
   */
  private async ensureNoRunningDeployment(request: FastifyRequest, serviceId: string): Promise<void> {
    const deadline = Date.now() + RUNNING_RECHECK_MS;
    for (;;) {
      const latest = await this.commands.query(request, ListDeployments, { serviceId, limit: 1 });
      const running = latest.items.find(
        (deployment) => deployment.status !== 'succeeded' && deployment.status !== 'failed',
      );
      if (!running) return;
      if (Date.now() >= deadline) {
        throw new DomainError(
          'conflict',
          `deployment ${running.id} of this service is still running; wait until it ends, then deploy again`,
          [{ deploymentId: running.id, status: running.status }],
        );
      }
      await sleep(RUNNING_RECHECK_INTERVAL_MS);
    }
  }
}

/** The status of a server the query found not ready, from its refusal's details. */
function notReadyStatus(error: DomainError): string | undefined {
  const detail = (error.details ?? []).find(
    (item): item is { reason: string; status: string } =>
      typeof item === 'object' && item !== null && (item as { reason?: unknown }).reason === 'server_not_ready',
  );
  return detail?.status;
}
