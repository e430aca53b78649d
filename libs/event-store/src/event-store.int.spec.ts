import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestSchema, eventually, testServices, type TestSchema } from '@platform/testing';
import { CheckpointStore } from './checkpoints';
import { EventStore } from './event-store';
import { eventStoreMigrations } from './migrations';
import { StreamVersionConflictError, type NewEvent, type StoredEvent } from './types';

const metadata = { workspaceId: 'ws_1', actorId: 'user_1', correlationId: 'corr_1' };
const event = (type: string, data: unknown = {}, eventId?: string): NewEvent => ({ type, data, metadata, eventId });

/** Reads what follows checkpoint `name` and moves the checkpoint past it, as the relay and the projections do. */
async function readOnAndAdvance(store: EventStore, name: string, options: { limit?: number; types?: string[] } = {}) {
  const batch = await store.readAfterCheckpoint(name, options);
  if (batch.through)
    await new CheckpointStore(store.schema, 'test').advance(store.pool, name, batch.checkpoint, batch.through);
  return batch;
}

describe('EventStore (PostgreSQL)', () => {
  let db: TestSchema;
  let store: EventStore;

  beforeAll(async () => {
    db = createTestSchema('eventstore', 40);
    store = new EventStore(db.pool, db.schema);
    await store.migrate();
  });
  afterAll(() => db.dispose());

  it('appends and reads a stream in version order, with metadata', async () => {
    const streamId = `cart-${randomUUID()}`;
    const first = await store.append(streamId, [event('Opened', { n: 1 }), event('ItemAdded', { n: 2 })], {
      expectedVersion: 'no_stream',
    });
    expect(first.nextExpectedVersion).toBe(2);
    expect(first.alreadyAppended).toBe(false);
    await store.append(streamId, [event('ItemAdded', { n: 3 })], { expectedVersion: 2 });

    const { events, version } = await store.readStream(streamId);
    expect(version).toBe(3);
    expect(events.map((e) => [e.type, e.streamVersion, e.data])).toEqual([
      ['Opened', 1, { n: 1 }],
      ['ItemAdded', 2, { n: 2 }],
      ['ItemAdded', 3, { n: 3 }],
    ]);
    expect(events[0].metadata).toEqual(metadata);
    expect((await store.readStream(streamId, { fromVersion: 2 })).events.map((e) => e.streamVersion)).toEqual([3]);
  });

  it('refuses a wrong expected version with a typed conflict that tells the actual version', async () => {
    const streamId = `cart-${randomUUID()}`;
    await store.append(streamId, [event('Opened')], { expectedVersion: 'no_stream' });

    const tooOld = store.append(streamId, [event('X')], { expectedVersion: 0 });
    await expect(tooOld).rejects.toBeInstanceOf(StreamVersionConflictError);
    await expect(store.append(streamId, [event('X')], { expectedVersion: 'no_stream' })).rejects.toMatchObject({
      code: 'stream_version_conflict',
      actual: 1,
    });
    // Ahead of the stream: must not leave a hole in the versions.
    await expect(store.append(streamId, [event('X')], { expectedVersion: 5 })).rejects.toMatchObject({ actual: 1 });
    await expect(store.append(`none-${randomUUID()}`, [event('X')], { expectedVersion: 1 })).rejects.toMatchObject({
      actual: 0,
    });
    expect((await store.readStream(streamId)).version).toBe(1);

    const anyResult = await store.append(streamId, [event('Y'), event('Z')], { expectedVersion: 'any' });
    expect(anyResult.nextExpectedVersion).toBe(3);
  });

  it('treats an append of event ids already stored as done, reporting the original positions', async () => {
    const streamId = `cart-${randomUUID()}`;
    const ids = [randomUUID(), randomUUID()];
    const original = await store.append(streamId, [event('A', {}, ids[0]), event('B', {}, ids[1])], {
      expectedVersion: 'no_stream',
    });
    const retried = await store.append(streamId, [event('A', {}, ids[0]), event('B', {}, ids[1])], {
      expectedVersion: 'no_stream',
    });
    expect(retried).toEqual({ ...original, alreadyAppended: true });
    const retriedAny = await store.append(streamId, [event('A', {}, ids[0]), event('B', {}, ids[1])]);
    expect(retriedAny.globalPositions).toEqual(original.globalPositions);
    expect((await store.readStream(streamId)).version).toBe(2);

    // Concurrent retries of one append: both succeed, one row each.
    const racer = `cart-${randomUUID()}`;
    const id = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.append(racer, [event('A', {}, id)], { expectedVersion: 'no_stream' })),
    );
    expect(new Set(results.map((r) => r.globalPositions[0])).size).toBe(1);
    expect(results.filter((r) => !r.alreadyAppended)).toHaveLength(1);
    expect((await store.readStream(racer)).events).toHaveLength(1);
  });

  it('lets exactly one of 32 concurrent appends at the same expected version through', async () => {
    const streamId = `hot-${randomUUID()}`;
    await store.append(streamId, [event('Opened')], { expectedVersion: 'no_stream' });

    // One store per writer, as replicas would be: one store never sends two appends to a stream at once.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 32 }, (_, i) =>
        new EventStore(db.pool, db.schema).append(streamId, [event('Raced', { i })], { expectedVersion: 1 }),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(31);
    for (const failure of lost) expect(failure.reason).toBeInstanceOf(StreamVersionConflictError);

    const { events } = await store.readStream(streamId);
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2]);
  });

  it('answers writers of one process racing on one stream each with the conflict or the append it gets', async () => {
    const streamId = `hot-${randomUUID()}`;
    await store.append(streamId, [event('Opened')]);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => store.append(streamId, [event('Raced', { i })], { expectedVersion: 1 })),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
      expect(outcome.reason).toBeInstanceOf(StreamVersionConflictError);
      expect(outcome.reason).toMatchObject({ actual: 2 });
    }
    // The loser that reloads and tries again at the new version gets through.
    await expect(store.append(streamId, [event('Again')], { expectedVersion: 2 })).resolves.toMatchObject({
      nextExpectedVersion: 3,
    });
    expect((await store.readStream(streamId)).events.map((e) => e.type)).toEqual(['Opened', 'Raced', 'Again']);
  });

  it('keeps versions contiguous when 32 writers append with "any"', async () => {
    const streamId = `hot-${randomUUID()}`;
    await Promise.all(
      Array.from({ length: 32 }, (_, i) => new EventStore(db.pool, db.schema).append(streamId, [event('Any', { i })])),
    );
    const { events } = await store.readStream(streamId);
    expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => (e.data as { i: number }).i)).size).toBe(32);
  });

  it('appends made at the same time go through or fail each on its own guard', async () => {
    const [fresh, existing, exact, ahead, anyVersion] = Array.from({ length: 5 }, () => `cart-${randomUUID()}`);
    for (const streamId of [existing, exact, ahead, anyVersion]) await store.append(streamId, [event('Opened')]);

    const outcomes = await Promise.allSettled([
      store.append(fresh, [event('A'), event('B')], { expectedVersion: 'no_stream' }),
      store.append(exact, [event('C')], { expectedVersion: 1 }),
      store.append(ahead, [event('D')], { expectedVersion: 4 }),
      store.append(anyVersion, [event('E'), event('F')]),
    ]);
    expect(
      outcomes.map((outcome) =>
        outcome.status === 'fulfilled'
          ? outcome.value.nextExpectedVersion
          : (outcome.reason as StreamVersionConflictError).actual,
      ),
    ).toEqual([2, 2, 1, 3]);
    expect(outcomes[2]).toMatchObject({ status: 'rejected', reason: expect.any(StreamVersionConflictError) });

    // Among good appends, one refused by a unique index (its stream exists) and one repeating stored events.
    const storedIds = (await store.readStream(fresh)).events.map((e) => e.eventId);
    const again = await Promise.allSettled([
      store.append(existing, [event('G')], { expectedVersion: 'no_stream' }),
      store.append(fresh, [event('A', {}, storedIds[0]), event('B', {}, storedIds[1])], {
        expectedVersion: 'no_stream',
      }),
      store.append(exact, [event('H')], { expectedVersion: 2 }),
      store.append(anyVersion, [event('I')]),
    ]);
    expect(again[0]).toMatchObject({ status: 'rejected', reason: { code: 'stream_version_conflict', actual: 1 } });
    expect(again[1]).toMatchObject({ status: 'fulfilled', value: { alreadyAppended: true, nextExpectedVersion: 2 } });
    expect(again[2]).toMatchObject({ status: 'fulfilled', value: { alreadyAppended: false, nextExpectedVersion: 3 } });
    expect(again[3]).toMatchObject({ status: 'fulfilled', value: { alreadyAppended: false, nextExpectedVersion: 4 } });

    const versions = async (streamId: string) =>
      (await store.readStream(streamId)).events.map((e) => `${e.streamVersion}:${e.type}`);
    expect(await versions(fresh)).toEqual(['1:A', '2:B']);
    expect(await versions(existing)).toEqual(['1:Opened']);
    expect(await versions(exact)).toEqual(['1:Opened', '2:C', '3:H']);
    expect(await versions(ahead)).toEqual(['1:Opened']);
    expect(await versions(anyVersion)).toEqual(['1:Opened', '2:E', '3:F', '4:I']);
  });

  it('stores event data and metadata exactly as given', async () => {
    const streamId = `cart-${randomUUID()}`;
    const tricky = {
      quote: 'say "hi"\\n',
      unicode: 'zażółć 🚀',
      nested: [1, [2, { deep: null }], true],
      empty: {},
      number: 1.5e-7,
    };
    const special = { ...metadata, correlationId: 'with "quotes" and \\ backslash' };
    // Several events travel as one JSON document, a single one as plain parameters: both keep everything.
    await store.append(streamId, [event('Tricky', tricky), { type: 'Nothing', data: null, metadata: special }]);
    await store.append(streamId, [{ type: 'TrickyAlone', data: tricky, metadata: special }]);
    await store.append(streamId, [{ type: 'NothingAlone', data: null, metadata }]);
    const { events } = await store.readStream(streamId);
    expect(events.map((e) => [e.type, e.data, e.metadata])).toEqual([
      ['Tricky', tricky, metadata],
      ['Nothing', null, special],
      ['TrickyAlone', tricky, special],
      ['NothingAlone', null, metadata],
    ]);
  });

  it('appends to one stream made at the same time still build on each other', async () => {
    const streamId = `cart-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.append(streamId, [event('N', { i })])));
    expect(results.map((result) => result.nextExpectedVersion).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await store.readStream(streamId)).events.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads of several streams made at the same time each get their own stream, from their own version', async () => {
    const streams = Array.from({ length: 4 }, () => `cart-${randomUUID()}`);
    for (const [index, streamId] of streams.entries()) {
      await store.append(
        streamId,
        Array.from({ length: index + 1 }, (_, n) => event(`E${n + 1}`, { streamId })),
      );
    }
    const reads = await Promise.all([
      ...streams.map((streamId) => store.readStream(streamId)),
      store.readStream(streams[3], { fromVersion: 2 }),
      store.readStream(`none-${randomUUID()}`),
      store.readStream(streams[0], { fromVersion: 1 }),
    ]);
    expect(reads.map((read) => [read.version, read.events.map((e) => e.type).join(',')])).toEqual([
      [1, 'E1'],
      [2, 'E1,E2'],
      [3, 'E1,E2,E3'],
      [4, 'E1,E2,E3,E4'],
      [4, 'E3,E4'],
      [0, ''],
      [1, ''],
    ]);
    for (const [index, streamId] of streams.entries())
      expect(
        reads[index].events.every(
          (e) => e.streamId === streamId && (e.data as { streamId: string }).streamId === streamId,
        ),
      ).toBe(true);
  });

  it('never reads past an event that a slower transaction commits later (the sequence-gap case)', async () => {
    const fresh = createTestSchema('gap');
    const gapStore = new EventStore(fresh.pool, fresh.schema);
    await gapStore.migrate();
    const a = new Client({ connectionString: testServices.databaseUrl });
    const b = new Client({ connectionString: testServices.databaseUrl });
    await a.connect();
    await b.connect();
    try {
      const before = await gapStore.append('s-0', [event('Before')]);
      // A takes a position first and stays open; B takes a later position and commits.
      await a.query('BEGIN');
      await gapStore.append('s-a', [event('FromA')], { client: a });
      await b.query('BEGIN');
      await gapStore.append('s-b', [event('FromB')], { client: b });
      await b.query('COMMIT');

      const seen: StoredEvent[] = [];
      const readOn = async () => seen.push(...(await readOnAndAdvance(gapStore, 'reader')).events);
      // Other tests' transactions may hold the reader back for a moment too; wait until it has 'Before'.
      await eventually(async () => {
        await readOn();
        expect(seen.map((e) => e.type)).toContain('Before');
      });
      await readOn();
      // B committed but sits behind A's open transaction: the reader stops before both.
      expect(seen.map((e) => e.type)).toEqual(['Before']);
      expect(seen[0].globalPosition).toBe(before.globalPositions[0]);

      await a.query('COMMIT');
      await eventually(async () => {
        await readOn();
        expect(seen.map((e) => e.type)).toEqual(['Before', 'FromA', 'FromB']);
      });
      expect(Number(seen[1].globalPosition)).toBeLessThan(Number(seen[2].globalPosition));
    } finally {
      await a.end();
      await b.end();
      await fresh.dispose();
    }
  });

  it('reads all events filtered by type, in commit order, in batches', async () => {
    const fresh = createTestSchema('readall');
    const local = new EventStore(fresh.pool, fresh.schema);
    await local.migrate();
    try {
      for (let i = 0; i < 25; i++) await local.append(`s-${i % 3}`, [event(i % 2 ? 'Odd' : 'Even', { i })]);
      const all: StoredEvent[] = [];
      // Reads in batches of 7 until all 25 are in (another test's open transaction may hold the reader back a moment).
      await eventually(async () => {
        all.push(...(await readOnAndAdvance(local, 'all', { limit: 7 })).events);
        expect(all).toHaveLength(25);
      });
      expect(all.map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      // Of other types, only the position comes back: the reader goes past all 25, with the 12 it asked for.
      const odd: StoredEvent[] = [];
      let read = 0;
      await eventually(async () => {
        const batch = await readOnAndAdvance(local, 'odd', { types: ['Odd'], limit: 10 });
        odd.push(...batch.events);
        read += batch.read;
        expect(read).toBe(25);
      });
      expect(odd.map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: 12 }, (_, i) => 2 * i + 1));
      expect(await readOnAndAdvance(local, 'odd', { types: ['Odd'] })).toMatchObject({ events: [], read: 0 });
    } finally {
      await fresh.dispose();
    }
  });

  it('runs its migrations once even when replicas start together', async () => {
    const fresh = createTestSchema('migrate');
    try {
      await Promise.all(Array.from({ length: 4 }, () => new EventStore(fresh.pool, fresh.schema).migrate()));
      const { rows } = await fresh.pool.query(`SELECT id FROM ${fresh.schema}.schema_migrations`);
      expect(rows).toHaveLength(eventStoreMigrations.length);
    } finally {
      await fresh.dispose();
    }
  });
});
