import { randomBytes } from 'node:crypto';
import { DomainError, type QueryDefinition } from '@platform/contracts';
import { SecretBox } from '@platform/secrets';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CommandGateway } from '../commands';
import type { EventStreams } from '../events/event-streams';
import { DeploymentsResource } from './deployments';
import type { LocalServersPolicy } from './servers';

const serviceId = '11111111-0000-4000-8000-000000000001';
const serverId = '22222222-0000-4000-8000-000000000002';
const agent = {
  serverId,
  agentUrl: 'http://127.0.0.2:4200',
  sealedAgentSecret: 'sealed',
  publicIp: '127.0.0.2',
  edge: { httpPort: 80, httpsPort: 443 },
};

/** The gateway's view of the services: the server answers with these statuses, one per ask, then ready. */
function commandsSeeing(statuses: string[]) {
  const sent: unknown[] = [];
  let asked = 0;
  const commands = {
    newId: () => '33333333-0000-4000-8000-000000000003',
    query: (_request: unknown, definition: QueryDefinition) => {
      if (definition.name === 'GetServerAgent') {
        const status = statuses[asked++];
        if (status === undefined) return Promise.resolve(agent);
        return Promise.reject(
          new DomainError('conflict', `server ${serverId} is ${status}, not ready`, [
            { reason: 'server_not_ready', serverId, status },
          ]),
        );
      }
      if (definition.name === 'ListDeployments') return Promise.resolve({ items: [], nextCursor: null });
      return Promise.resolve({});
    },
    send: (_request: unknown, _definition: unknown, data: unknown) => {
      sent.push(data);
      return Promise.resolve('44444444-0000-4000-8000-000000000004');
    },
  };
  return { commands: commands as unknown as CommandGateway, sent, asked: () => asked };
}

const request = {
  headers: {},
  platform: { requestId: 'r1', access: { principal: { userId: 'u1' }, workspaceId: 'w1' } },
} as unknown as FastifyRequest;
const body = { serviceId, source: { type: 'image' as const, image: 'nginx:1.27' }, serverIds: [serverId] };
const secrets = new SecretBox(randomBytes(32));
const everyoneMay: LocalServersPolicy = {
  mayUseLocalServers: () => Promise.resolve(true),
  checkLocalServers: () => Promise.resolve(),
};

describe('DeploymentsResource.create', () => {
  it('waits for a server that is still coming up, so a script can deploy right after creating it', async () => {
    const seen = commandsSeeing(['provisioning', 'booting']);
    const resource = new DeploymentsResource(seen.commands, secrets, {} as EventStreams, everyoneMay);
    await expect(resource.create(request, {} as FastifyReply, body)).resolves.toEqual({
      deploymentId: '33333333-0000-4000-8000-000000000003',
      commandId: '44444444-0000-4000-8000-000000000004',
    });
    expect(seen.asked()).toBe(3);
    expect(seen.sent).toEqual([expect.objectContaining({ targets: [expect.objectContaining({ serverId })] })]);
  });

  it('refuses at once a server that will not come up, naming the field, and sends nothing', async () => {
    const seen = commandsSeeing(['failed']);
    const resource = new DeploymentsResource(seen.commands, secrets, {} as EventStreams, everyoneMay);
    const refusal = await resource.create(request, {} as FastifyReply, body).catch((error: unknown) => error);
    expect((refusal as DomainError).code).toBe('conflict');
    expect((refusal as DomainError).details).toEqual([
      { path: 'body.serverIds.0', message: `server ${serverId} is failed, not ready` },
    ]);
    expect(seen.asked()).toBe(1);
    expect(seen.sent).toEqual([]);
  });
});
