import { randomUUID } from 'node:crypto';
import type { EventDefinition } from './definitions';
import * as contracts from './index';
import type { EventEnvelope } from './messages';
import { PUBLIC_EVENT_FIELDS, publicEvent, type ShownFields } from './public-events';

const envelope = (type: string, data: unknown): EventEnvelope => ({
  eventId: randomUUID(),
  context: 'deployments',
  type,
  schemaVersion: 1,
  data,
  metadata: { workspaceId: 'ws', actorId: 'u', correlationId: 'c' },
  occurredAt: new Date().toISOString(),
  streamId: 'service-1',
  streamVersion: 2,
  position: '7',
});

const eventDefinitions = (Object.values(contracts) as unknown[]).filter(
  (value): value is EventDefinition => (value as { kind?: unknown } | null)?.kind === 'event',
);

function fieldNames(shown: ShownFields): string[] {
  return Object.entries(shown).flatMap(([field, how]) => [field, ...(typeof how === 'object' ? fieldNames(how) : [])]);
}

describe('events as API clients see them', () => {
  it('has decided what every event type of the contracts may show', () => {
    expect(eventDefinitions.length).toBeGreaterThan(30);
    const undecided = eventDefinitions
      .map((definition) => definition.type)
      .filter((type) => !PUBLIC_EVENT_FIELDS[type]);
    expect(undecided).toEqual([]);
  });

  it('never lists a sealed field', () => {
    for (const shown of Object.values(PUBLIC_EVENT_FIELDS))
      expect(fieldNames(shown).filter((field) => /^sealed/i.test(field))).toEqual([]);
  });

  it('leaves out nested sealed values: each target’s agent secret and the environment’s values', () => {
    const data = {
      deploymentId: 'd1',
      serviceId: 's1',
      workspaceId: 'ws',
      source: { type: 'image', image: 'web:1' },
      tag: 'deploy_d1',
      targets: [
        {
          serverId: 'srv1',
          agentUrl: 'http://127.0.0.2:7000',
          sealedAgentSecret: 'v1:k:iv:agent-secret:tag',
          publicIp: '127.0.0.2',
          edgeHttpPort: 8080,
        },
      ],
      env: { API_KEY: 'v1:k:iv:env-secret:tag' },
      port: 3000,
      healthCheckPath: '/',
      batchSize: 1,
      requestedAt: new Date().toISOString(),
    };
    const shown = publicEvent(envelope('DeploymentRequested', data));
    expect(JSON.stringify(shown)).not.toMatch(/secret|v1:/);
    expect(shown?.data).toMatchObject({
      deploymentId: 'd1',
      targets: [{ serverId: 'srv1', agentUrl: 'http://127.0.0.2:7000', publicIp: '127.0.0.2', edgeHttpPort: 8080 }],
      env: { API_KEY: '••••••••' },
    });
    expect(data.targets[0]).toHaveProperty('sealedAgentSecret');
  });

  it('leaves out fields its type does not list, and sends no event of a type that lists none', () => {
    const server = publicEvent(
      envelope('ServerCreated', { serverId: 's1', publicIp: '127.0.0.2', sealedAgentSecret: 'v1:x', extra: 'y' }),
    );
    expect(server?.data).toEqual({ serverId: 's1', publicIp: '127.0.0.2' });
    expect(publicEvent(envelope('SomethingNew', { serverId: 's1' }))).toBeUndefined();
  });
});
