import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@platform/contracts';
import { publicEvent } from './event-feed';

const envelope = (data: unknown): EventEnvelope => ({
  eventId: randomUUID(),
  context: 'servers',
  type: 'ServerCreated',
  schemaVersion: 1,
  data,
  metadata: { workspaceId: 'ws', actorId: 'u', correlationId: 'c' },
  occurredAt: new Date().toISOString(),
  streamId: 'server-1',
  streamVersion: 2,
  position: '7',
});

describe('events as API clients see them', () => {
  it('leaves out the sealed secrets an event carries for the services, and nothing else', () => {
    const event = envelope({ serverId: 's1', publicIp: '127.0.0.2', sealedAgentSecret: 'v1:k:iv:ct:tag' });
    expect(publicEvent(event).data).toEqual({ serverId: 's1', publicIp: '127.0.0.2' });
    expect(publicEvent(event).eventId).toBe(event.eventId);
    expect(event.data).toHaveProperty('sealedAgentSecret');
  });

  it('passes events without sealed values through as they are', () => {
    const event = envelope({ serverId: 's1' });
    expect(publicEvent(event)).toBe(event);
  });
});
