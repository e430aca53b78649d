import {
  DomainError,
  GetServer,
  GetServerAgent,
  type CreateDeploymentRequest,
  type Provider,
  type ProvisionServerRequest,
} from '@platform/contracts';
import type { SecretBox } from '@platform/secrets';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CommandGateway } from '../commands';
import type { EventStreams } from '../events/event-streams';
import { DeploymentsResource } from './deployments';
import { ServersResource, type LocalServersPolicy } from './servers';

const workspaceId = '00000000-0000-4000-8000-0000000000aa';
const serverId = '00000000-0000-4000-8000-0000000000bb';

/** A workspace that may not have servers on this machine: the policy refuses it as `Identity.instance` does. */
const notTheOperators: LocalServersPolicy = {
  mayUseLocalServers: async () => false,
  checkLocalServers: async () => {
    throw new DomainError('forbidden', 'local servers run on the platform’s own machine');
  },
};

/** What the services would answer; records what was queried and sent, so a refusal is seen to come first. */
function commandsAnswering(provider: Provider) {
  const asked: string[] = [];
  const commands = {
    newId: () => '00000000-0000-4000-8000-0000000000cc',
    send: async (_request: unknown, definition: { type: string }) => {
      asked.push(`send ${definition.type}`);
      return '00000000-0000-4000-8000-0000000000dd';
    },
    query: async (_request: unknown, definition: { name: string }) => {
      asked.push(definition.name);
      if (definition.name === GetServer.name) return { id: serverId, provider };
      if (definition.name === GetServerAgent.name)
        return { serverId, agentUrl: 'http://127.0.0.1:1', sealedAgentSecret: 'v1:x', publicIp: '127.0.0.1', edge: {} };
      if (definition.name === 'ListDeployments') return { items: [] };
      if (definition.name === 'ListRegions') return { items: [{ slug: 'local', available: true }] };
      if (definition.name === 'ListSizes') return { items: [{ slug: 'local', regions: ['local'] }] };
      return {};
    },
  };
  return { commands: commands as unknown as CommandGateway, asked };
}

const request = { platform: { requestId: 'r', access: { workspaceId } }, headers: {} } as unknown as FastifyRequest;

describe('local servers, only for the workspaces that may have them', () => {
  it('refuses to create one before anything is asked of the servers context', async () => {
    const { commands, asked } = commandsAnswering('local');
    const servers = new ServersResource(commands, notTheOperators);
    const body: ProvisionServerRequest = { provider: 'local', name: 'intruder' };
    await expect(servers.provision(request, body)).rejects.toMatchObject({ code: 'forbidden' });
    expect(asked).toEqual([]);
  });

  it('refuses a deployment (or a rollback) to a local server such a workspace still has, and lets others through', async () => {
    const deploy = (provider: Provider) => {
      const { commands, asked } = commandsAnswering(provider);
      const deployments = new DeploymentsResource(commands, {} as SecretBox, {} as EventStreams, notTheOperators);
      const body: CreateDeploymentRequest = {
        serviceId: '00000000-0000-4000-8000-0000000000ee',
        source: { type: 'image', image: 'web:1' },
        serverIds: [serverId],
      };
      return { asked, result: deployments.create(request, {} as FastifyReply, body) };
    };
    const local = deploy('local');
    await expect(local.result).rejects.toMatchObject({ code: 'forbidden' });
    expect(local.asked).not.toContain('send DeployService');

    const droplet = deploy('digitalocean');
    await expect(droplet.result).resolves.toMatchObject({ deploymentId: expect.any(String) });
    expect(droplet.asked).toContain('send DeployService');
  });
});
