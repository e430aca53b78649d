import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { EventEnvelope } from '@platform/contracts';
import { eventually } from '@platform/testing';
import { SseConnection } from './sse-connection';

function entry(sequence: number, padding: number) {
  const event: EventEnvelope = {
    eventId: randomUUID(),
    context: 'deployments',
    type: 'DeployConfigCreated',
    schemaVersion: 1,
    streamId: 's',
    streamVersion: sequence,
    position: String(sequence),
    data: { padding: 'x'.repeat(padding) },
    metadata: { workspaceId: 'ws', actorId: 'a', correlationId: 'c' },
    occurredAt: new Date().toISOString(),
  };
  return { sequence, event };
}

/** A client that opens the stream and then never reads: its bytes pile up in the socket. */
function stalledClient(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      socket.once('data', () => {
        socket.pause();
        resolve(socket);
      });
    });
  });
}

describe('SSE connection over a real socket', () => {
  let server: FastifyInstance;
  const connections: SseConnection[] = [];

  beforeAll(async () => {
    server = Fastify();
    server.decorateRequest('platform', null as never);
    server.get('/events', (_request, reply) => {
      connections.push(
        new SseConnection(
          reply,
          { workspaceId: 'ws' },
          {
            requestId: 'r',
            heartbeatMs: 60_000,
            maxBufferedBytes: 256 * 1024,
            userId: 'u',
            reauthorize: async () => undefined,
          },
        ),
      );
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    for (const connection of connections) connection.end();
    await server.close();
  });

  it('disconnects a client that stops reading instead of buffering for it without end, while a reading client gets everything', async () => {
    const port = (server.server.address() as { port: number }).port;
    const stalled = await stalledClient(port);
    const reader = await fetch(`http://127.0.0.1:${port}/events`);
    const received: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of reader.body as ReadableStream<Uint8Array>)
          received.push(decoder.decode(chunk, { stream: true }));
      } catch {
        // The assertions below tell whether this client was cut off.
      }
    })();
    await eventually(() => expect(connections).toHaveLength(2));
    const [slow, fast] = connections;

    let slowAccepted = 0;
    const frames = 1000;
    for (let sequence = 1; sequence <= frames; sequence++) {
      if (slow.send(entry(sequence, 16 * 1024))) slowAccepted++;
      expect(fast.send(entry(sequence, 16 * 1024))).toBe(true);
      // Let the reading client drain, as it would between events.
      await eventually(() => expect(fast.bufferedBytes).toBeLessThan(64 * 1024), 5000, 1);
    }
    expect(slowAccepted).toBeLessThan(frames);
    expect(slow.send(entry(frames + 1, 10))).toBe(false);
    await eventually(() => expect(received.join('').split('\nevent: ').length - 1).toBe(frames), 20_000);
    fast.end();
    await reading;
    stalled.destroy();
  }, 30_000);
});
