import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestSchema, eventsVisibleToReaders, eventually, testServices, type TestSchema } from '@platform/testing';
import { EventStore } from './event-store';
import { runMigrations } from './migrations';
import { projectedSignal, projectionCheckpointName, ProjectionRunner } from './projections';
import { readModelChannel } from './read-model-changes';
import { ledgerProjection } from './test-fixtures/ledger-projection';

const metadata = { workspaceId: 'ws_1', actorId: 'user_1', correlationId: 'corr_1' };
const repoRoot = path.resolve(__dirname, '../../..');

async function appendLedgerEvents(store: EventStore, count: number): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) =>
        store.append(`account-${(i + j) % 10}`, [{ type: 'Deposited', data: { amount: i + j + 1 }, metadata }]),
      ),
    );
  }
}

async function ledgerState(db: TestSchema) {
  const rows = await db.pool.query<{ event_id: string; n: string }>(
    `SELECT event_id, count(*) AS n FROM ${db.schema}.ledger_rows GROUP BY event_id`,
  );
  const totals = await db.pool.query(
    `SELECT stream_id, total, events FROM ${db.schema}.ledger_totals ORDER BY stream_id`,
  );
  return { distinct: rows.rows.length, doubled: rows.rows.filter((r) => Number(r.n) > 1).length, totals: totals.rows };
}

function runUntilKilled(db: TestSchema, killAfter: number, batchSize: number): Promise<NodeJS.Signals | null> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      path.join(repoRoot, 'scripts/register.js'),
      path.join(__dirname, 'test-fixtures/projection-until-killed.ts'),
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: testServices.databaseUrl,
        SCHEMA: db.schema,
        KILL_AFTER: String(killAfter),
        BATCH_SIZE: String(batchSize),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve(signal));
  });
}

describe('projections', () => {
  let db: TestSchema;
  let store: EventStore;

  beforeEach(async () => {
    db = createTestSchema('projection');
    store = new EventStore(db.pool, db.schema);
    await store.migrate();
    await runMigrations(db.pool, db.schema, ledgerProjection().migrations ?? []);
  });
  afterEach(() => db.dispose());

  it('resumes after being killed mid-batch without losing or doubling a row, and a rebuild gives the same table', async () => {
    await appendLedgerEvents(store, 500);

    // Killed in the 6th batch of 50, after 25 of its events were written but before its commit.
    expect(await runUntilKilled(db, 275, 50)).toBe('SIGKILL');
    const afterCrash = await ledgerState(db);
    expect(afterCrash.distinct).toBe(250);
    expect(afterCrash.doubled).toBe(0);

    const runner = new ProjectionRunner(store, ledgerProjection(), { replicaId: 'survivor', batchSize: 50 });
    await eventsVisibleToReaders(db);
    expect(await runner.catchUp()).toBe(250);
    const caughtUp = await ledgerState(db);
    expect(caughtUp.distinct).toBe(500);
    expect(caughtUp.doubled).toBe(0);
    expect(caughtUp.totals.reduce((sum, row) => sum + Number(row.total), 0)).toBe((500 * 501) / 2);

    await runner.rebuild();
    expect((await ledgerState(db)).distinct).toBe(0);
    expect(await runner.catchUp()).toBe(500);
    expect(await ledgerState(db)).toEqual(caughtUp);
  }, 30_000);

  it('is advanced by one replica at a time, and a standby takes over when the leader stops', async () => {
    const replicas = ['replica-a', 'replica-b'].map(
      (replicaId) => new ProjectionRunner(store, ledgerProjection(), { replicaId, idleMs: 20, standbyMs: 50 }),
    );
    replicas.forEach((replica) => replica.start());
    try {
      await appendLedgerEvents(store, 200);
      await eventually(async () => expect((await ledgerState(db)).distinct).toBe(200));
      const leaders = replicas.filter((replica) => replica.isLeader);
      expect(leaders).toHaveLength(1);
      const checkpoint = await db.pool.query(`SELECT updated_by FROM ${db.schema}.checkpoints WHERE name = $1`, [
        projectionCheckpointName('ledger'),
      ]);
      const leaderId = checkpoint.rows[0].updated_by as string;
      expect(['replica-a', 'replica-b']).toContain(leaderId);

      const leader = replicas[leaderId === 'replica-a' ? 0 : 1];
      const standby = replicas[leaderId === 'replica-a' ? 1 : 0];
      await leader.stop();
      await store.append(`account-${randomUUID()}`, [{ type: 'Deposited', data: { amount: 1 }, metadata }]);
      await eventually(async () => expect((await ledgerState(db)).distinct).toBe(201));
      expect(standby.isLeader).toBe(true);
      expect((await ledgerState(db)).doubled).toBe(0);
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
    }
  }, 30_000);

  it('refuses to move a checkpoint that another replica moved first', async () => {
    await appendLedgerEvents(store, 10);
    const a = new ProjectionRunner(store, ledgerProjection(), { replicaId: 'a', batchSize: 10 });
    const b = new ProjectionRunner(store, ledgerProjection(), { replicaId: 'b', batchSize: 10 });
    await eventsVisibleToReaders(db);
    const handled = await Promise.all([a.processBatch(), b.processBatch()]);
    expect(handled.sort()).toEqual([0, 10]);
    expect((await ledgerState(db)).doubled).toBe(0);
    expect((await ledgerState(db)).distinct).toBe(10);
  });

  it('moves past events of types it does not project without a transaction, a change notice or a wake-up', async () => {
    const runner = new ProjectionRunner(
      store,
      { ...ledgerProjection(), eventTypes: ['Deposited'] },
      { replicaId: 'a', batchSize: 4 },
    );
    const projected: string[] = [];
    store.signals.on(projectedSignal('ledger'), () => projected.push('ledger'));
    const listener = new Client({ connectionString: testServices.databaseUrl });
    await listener.connect();
    const notices: string[] = [];
    listener.on('notification', (notice) => notices.push(notice.payload ?? ''));
    await listener.query(`LISTEN ${readModelChannel(db.schema)}`);
    try {
      const noise = (n: number) => Array.from({ length: n }, () => ({ type: 'Audited', data: {}, metadata }));
      await store.append('audit', noise(3));
      await eventsVisibleToReaders(db);
      expect(await runner.processBatch()).toBe(3);
      expect(await runner.processBatch()).toBe(0);

      await store.append('account-1', [{ type: 'Deposited', data: { amount: 5 }, metadata }]);
      await store.append('audit', noise(4));
      await eventsVisibleToReaders(db);
      // A full window (4 of the 5 new events): one deposit and three others; then the last other one alone.
      expect(await runner.processBatch()).toBe(4);
      expect(await runner.processBatch()).toBe(1);
      expect(await runner.processBatch()).toBe(0);

      expect((await ledgerState(db)).distinct).toBe(1);
      expect(projected).toEqual(['ledger']);
      await sleep(200);
      expect(notices).toEqual([JSON.stringify(['ws_1'])]);
      const { rows } = await db.pool.query(`SELECT global_position FROM ${db.schema}.checkpoints WHERE name = $1`, [
        projectionCheckpointName('ledger'),
      ]);
      const last = await db.pool.query(`SELECT max(global_position) AS last FROM ${db.schema}.events`);
      expect(rows[0].global_position).toBe(last.rows[0].last);
    } finally {
      await listener.end();
    }
  });

  it('wakes, when it projects some types only, for appends of those types and not for others', async () => {
    const runner = new ProjectionRunner(
      store,
      { ...ledgerProjection(), eventTypes: ['Deposited'] },
      { replicaId: 'a', idleMs: 60_000 },
    );
    const checkpoint = async () =>
      (
        await db.pool.query(`SELECT global_position FROM ${db.schema}.checkpoints WHERE name = $1`, [
          projectionCheckpointName('ledger'),
        ])
      ).rows[0]?.global_position as string | undefined;
    runner.start();
    try {
      // The first step runs as the loop starts (nothing to read yet); then only a signal can wake it (idle: 60 s).
      await sleep(300);
      const before = await checkpoint();
      await store.append('audit', [{ type: 'Audited', data: {}, metadata }]);
      await sleep(300);
      expect(await checkpoint()).toBe(before);

      await store.append('account-1', [{ type: 'Deposited', data: { amount: 5 }, metadata }]);
      await eventually(async () => expect((await ledgerState(db)).distinct).toBe(1));
      const last = await db.pool.query(`SELECT max(global_position) AS last FROM ${db.schema}.events`);
      await eventually(async () => expect(await checkpoint()).toBe(last.rows[0].last));
    } finally {
      await runner.stop();
    }
  });
});
