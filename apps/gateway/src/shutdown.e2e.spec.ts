import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Bus } from '@platform/bus';
import { createTestSchema, testServices, uniqueName, type TestSchema } from '@platform/testing';
import { startGateway } from './start-gateway';

describe('gateway stop', () => {
  let db: TestSchema;
  beforeAll(() => {
    db = createTestSchema('shutdown');
  });
  afterAll(() => db.dispose());

  it('waits for requests in progress only as long as SHUTDOWN_GRACE_MS, then cuts them', async () => {
    const prefix = uniqueName('shutdown');
    const gateway = await startGateway({
      handleSignals: false,
      env: {
        DATABASE_URL: testServices.databaseUrl,
        NATS_URL: testServices.natsUrl,
        NATS_PREFIX: prefix,
        REDIS_URL: testServices.redisUrl,
        REDIS_PREFIX: `${prefix}:`,
        IDENTITY_SCHEMA: `${db.schema}_id`,
        GATEWAY_SCHEMA: `${db.schema}_gw`,
        GATEWAY_PORT: '0',
        LOG_LEVEL: 'silent',
        PLATFORM_SECRET_KEY: randomBytes(32).toString('hex'),
        SHUTDOWN_GRACE_MS: '500',
      },
    });
    const { port } = new URL(gateway.url);
    // A client that never finishes its request: its headers stop halfway.
    const stalled: Socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write('GET /v1/me HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    const cut = new Promise((resolve) => stalled.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    await gateway.stop();
    await cut;
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(400);
    expect(took).toBeLessThan(5000);

    const cleanup = await Bus.connect({ servers: testServices.natsUrl, prefix });
    for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const) {
      await cleanup.manager.streams.delete(cleanup.subjects.stream(stream)).catch(() => undefined);
    }
    await cleanup.close();
    for (const schema of [`${db.schema}_id`, `${db.schema}_gw`])
      await db.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }, 30_000);
});
