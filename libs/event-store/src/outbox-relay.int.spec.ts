import { spawn } from 'node:child_process';
import path from 'node:path';
import { Bus } from '@platform/bus';
import type { EventEnvelope } from '@platform/contracts';
import {
  createTestSchema,
  eventsVisibleToReaders,
  eventually,
  testServices,
  uniqueName,
  type TestSchema,
} from '@platform/testing';
import { EventStore } from './event-store';
import { OutboxRelay, RELAY_CHECKPOINT } from './outbox-relay';

const metadata = { workspaceId: 'ws_1', actorId: 'user_1', correlationId: 'corr_1' };
const repoRoot = path.resolve(__dirname, '../../..');

describe('outbox relay (PostgreSQL → NATS JetStream)', () => {
  let db: TestSchema;
  let store: EventStore;
  let bus: Bus;
  let prefix: string;

  beforeEach(async () => {
    db = createTestSchema('relay');
    store = new EventStore(db.pool, db.schema);
    await store.migrate();
    prefix = uniqueName('relay');
    bus = await Bus.connect({ servers: testServices.natsUrl, prefix });
    await bus.ensureStreams();
  });

  afterEach(async () => {
    for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const) {
      await bus.manager.streams.delete(bus.subjects.stream(stream)).catch(() => undefined);
    }
    await bus.close();
    await db.dispose();
  });

  async function collectEvents(count: number): Promise<EventEnvelope[]> {
    const received: EventEnvelope[] = [];
    const subscription = await bus.subscribeEvents({ handle: async (event) => void received.push(event) });
    try {
      await eventually(() => expect(received.length).toBeGreaterThanOrEqual(count));
      // Anything extra (a duplicate) would arrive right behind.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return received;
    } finally {
      await subscription.stop();
    }
  }

  it('publishes each committed event as evt.<context>.<type> with its id, in order per stream', async () => {
    for (let i = 1; i <= 30; i++) {
      await store.append(`ledger-${i % 3}`, [{ type: i % 2 ? 'Deposited' : 'Withdrawn', data: { i }, metadata }]);
    }
    const relay = new OutboxRelay(store, bus, { context: 'ledger', replicaId: 'r1', idleMs: 20 });
    relay.start();
    try {
      const received = await collectEvents(30);
      expect(received).toHaveLength(30);
      expect(received.filter((e) => e.type === 'Deposited')).toHaveLength(15);
      for (const streamId of ['ledger-0', 'ledger-1', 'ledger-2']) {
        const versions = received.filter((e) => e.streamId === streamId).map((e) => e.streamVersion);
        expect(versions).toEqual([...versions].sort((a, b) => a - b));
      }
      const info = await bus.manager.streams.info(bus.subjects.stream('EVENTS'), { subjects_filter: '>' });
      expect(Object.keys(info.state.subjects ?? {}).sort()).toEqual([
        `${prefix}.evt.ledger.Deposited`,
        `${prefix}.evt.ledger.Withdrawn`,
      ]);
    } finally {
      await relay.stop();
    }
  });

  it('republishes after being killed between publish and checkpoint, and subscribers see each event once', async () => {
    const appended: string[] = [];
    for (let i = 0; i < 100; i++) {
      appended.push(
        (await store.append(`ledger-${i % 7}`, [{ type: 'Deposited', data: { i }, metadata }])).eventIds[0],
      );
    }
    const child = spawn(
      process.execPath,
      ['-r', path.join(repoRoot, 'scripts/register.js'), path.join(__dirname, 'test-fixtures/relay-until-killed.ts')],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          DATABASE_URL: testServices.databaseUrl,
          SCHEMA: db.schema,
          NATS_URL: testServices.natsUrl,
          NATS_PREFIX: prefix,
          KILL_AFTER_BATCHES: '3',
          BATCH_SIZE: '20',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (_code, exitSignal) => resolve(exitSignal));
    });
    expect(signal).toBe('SIGKILL');
    const { rows } = await db.pool.query(`SELECT global_position FROM ${db.schema}.checkpoints WHERE name = $1`, [
      RELAY_CHECKPOINT,
    ]);
    // Two batches were checkpointed; the third was published but its checkpoint never written.
    expect(rows).toHaveLength(1);

    const relay = new OutboxRelay(store, bus, { context: 'ledger', replicaId: 'survivor', batchSize: 20 });
    await eventsVisibleToReaders(db);
    let published = 0;
    for (let handled = await relay.publishBatch(); handled > 0; handled = await relay.publishBatch())
      published += handled;
    expect(published).toBe(60); // the third batch again, then the last two

    const received = await collectEvents(100);
    expect(received.map((e) => e.eventId)).toEqual(appended);
  }, 30_000);

  describe('an event the bus refuses for good', () => {
    async function deadLetters(): Promise<{ type: string; reason: string }[]> {
      const { rows } = await db.pool.query<{ type: string; reason: string }>(
        `SELECT type, reason FROM ${db.schema}.relay_dead_letters ORDER BY global_position`,
      );
      return rows;
    }

    it('is dead-lettered with its reason and the events behind it are published', async () => {
      await store.append('ledger-1', [{ type: 'Deposited', data: { i: 1 }, metadata }]);
      // Over NATS's max_payload (1 MiB by default): no publish of it could ever succeed.
      await store.append('ledger-1', [{ type: 'Huge', data: { blob: 'x'.repeat(2 * 1024 * 1024) }, metadata }]);
      // Not a valid envelope (the type must be a name): the bus refuses it.
      await store.append('ledger-2', [{ type: 'not a name!', data: {}, metadata }]);
      await store.append('ledger-1', [{ type: 'Deposited', data: { i: 2 }, metadata }]);
      const logged: object[] = [];
      const logger = { info: () => undefined, warn: () => undefined, error: (details: object) => logged.push(details) };
      const relay = new OutboxRelay(store, bus, { context: 'ledger', replicaId: 'r1', idleMs: 20, logger });
      relay.start();
      try {
        const received = await collectEvents(2);
        expect(received.map((event) => [event.type, event.data])).toEqual([
          ['Deposited', { i: 1 }],
          ['Deposited', { i: 2 }],
        ]);
        expect(await deadLetters()).toEqual([
          { type: 'Huge', reason: expect.stringMatching(/^\d+ bytes, over the bus's limit of \d+$/) },
          { type: 'not a name!', reason: expect.stringContaining('type') },
        ]);
        expect(await relay.deadLetterCount()).toBe(2);
        expect(logged).toEqual([
          expect.objectContaining({ type: 'Huge', reason: expect.any(String) }),
          expect.objectContaining({ type: 'not a name!', reason: expect.any(String) }),
        ]);
      } finally {
        await relay.stop();
      }
    });

    it('is told apart from a bus that is down: that is retried, and nothing is dead-lettered', async () => {
      await store.append('ledger-1', [{ type: 'Deposited', data: { i: 1 }, metadata }]);
      await eventsVisibleToReaders(db);
      await bus.manager.streams.delete(bus.subjects.stream('EVENTS'));
      const relay = new OutboxRelay(store, bus, { context: 'ledger', replicaId: 'r1', idleMs: 20 });
      await expect(relay.publishBatch()).rejects.toThrow('1 of 1 events were not stored');
      expect(await deadLetters()).toEqual([]);

      await bus.ensureStreams();
      expect(await relay.publishBatch()).toBe(1);
      expect((await collectEvents(1)).map((event) => event.data)).toEqual([{ i: 1 }]);
      expect(await relay.deadLetterCount()).toBe(0);
    });
  });
});
