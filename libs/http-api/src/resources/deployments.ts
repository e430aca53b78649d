import {
  DomainError,
  envSecretContext,
  GetServerAgent,
  ListDeployments,
  type DeploymentTarget,
  type SealedEnv,
} from '@platform/contracts';
import type { SecretBox } from '@platform/secrets';
import type { FastifyRequest } from 'fastify';
import type { CommandGateway } from '../commands';
import { accessOf } from '../request-state';

/** Environment values sealed as soon as they arrive: commands and events only ever carry them sealed. */
export function sealEnv(
  secrets: SecretBox,
  request: FastifyRequest,
  serviceId: string,
  env: Record<string, string>,
): SealedEnv {
  const { workspaceId } = accessOf(request);
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [
      name,
      secrets.seal(value, envSecretContext(workspaceId, serviceId, name)),
    ]),
  );
}

/**
 * The servers a deployment goes to, each ready and of the caller's workspace; a server of another workspace
 * is not found, exactly like one that does not exist.
 */
export async function deploymentTargets(
  commands: CommandGateway,
  request: FastifyRequest,
  serverIds: readonly string[],
): Promise<DeploymentTarget[]> {
  return Promise.all(
    serverIds.map(async (serverId, index) => {
      try {
        const agent = await commands.query(request, GetServerAgent, { serverId });
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

/**
 * A service deploys one at a time: a second deployment while one runs is refused at once with which one runs
 * (the service's decider refuses it too, for two requests that race past this check).
 */
export async function ensureNoRunningDeployment(
  commands: CommandGateway,
  request: FastifyRequest,
  serviceId: string,
): Promise<void> {
  const latest = await commands.query(request, ListDeployments, { serviceId, limit: 1 });
  const running = latest.items.find(
    (deployment) => deployment.status !== 'succeeded' && deployment.status !== 'failed',
  );
  if (running) {
    throw new DomainError(
      'conflict',
      `deployment ${running.id} of this service is still running; wait until it ends, then deploy again`,
      [{ deploymentId: running.id, status: running.status }],
    );
  }
}
