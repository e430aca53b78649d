import { setTimeout as sleep } from 'node:timers/promises';
import { createTestSchema, eventually, type TestSchema } from '@platform/testing';
import { EventStore } from './event-store';
import { runMigrations } from './migrations';
import { ProjectionRunner } from './projections';
import {
  announceReadModelChange,
  readModelChannel,
  ReadModelChanges,
  type ReadModelChangeListener,
} from './read-model-changes';
import { ledgerProjection } from './test-fixtures/ledger-projection';

/** Records what the feed says: the workspaces it named, and the rest in order. */
class Recorder implements ReadModelChangeListener {
  readonly heard: string[] = [];
  readonly workspaces = new Set<string>();
  changed(workspaceIds: Iterable<string>): void {
    for (const workspaceId of workspaceIds) this.workspaces.add(workspaceId);
  }
  changedAll(): void {
    this.heard.push('all');
  }
  suspend(): void {
    this.heard.push('suspend');
  }
  resume(): void {
    this.heard.push('resume');
  }
}

const metadataIn = (workspaceId: string) => ({ workspaceId, actorId: 'user_1', correlationId: 'corr_1' });

describe('read model changes', () => {
  let db: TestSchema;
  let store: EventStore;
  let runner: ProjectionRunner;
  let recorder: Recorder;
  let changes: ReadModelChanges;

  beforeEach(async () => {
    db = createTestSchema('rm_changes');
    store = new EventStore(db.pool, db.schema);
    await store.migrate();
    const projection = ledgerProjection();
    await runMigrations(db.pool, db.schema, projection.migrations ?? []);
    runner = new ProjectionRunner(store, projection, { replicaId: 'r1' });
    recorder = new Recorder();
    changes = await ReadModelChanges.start({
      connection: db.pool.options,
      schema: db.schema,
      listener: recorder,
      retryMs: 50,
    });
  });

  afterEach(async () => {
    await changes.stop();
    await db.dispose();
  });

  it('announces the workspaces of each committed batch, once it is committed', async () => {
    await store.append('account-1', [{ type: 'Deposited', data: { amount: 1 }, metadata: metadataIn('ws_a') }]);
    await store.append('account-2', [{ type: 'Deposited', data: { amount: 2 }, metadata: metadataIn('ws_b') }]);
    await store.append('account-3', [{ type: 'Deposited', data: { amount: 3 }, metadata: metadataIn('ws_a') }]);
    await sleep(100);
    expect(recorder.workspaces.size).toBe(0);

    // Other tests' transactions can hold events back from a batch for a while: catch up until they are all in.
    await eventually(async () => {
      await runner.catchUp();
      expect([...recorder.workspaces].sort()).toEqual(['ws_a', 'ws_b']);
    });

    await runner.rebuild();
    await eventually(async () => expect(recorder.heard).toEqual(['resume', 'all']));
  });

  it('says nothing of a transaction that rolled back, and everything when the notice would be too long', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await announceReadModelChange(client, db.schema, ['ws_rolled_back']);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await announceReadModelChange(
        client,
        db.schema,
        Array.from({ length: 500 }, (_, index) => `workspace-${index}`),
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await eventually(async () => expect(recorder.heard).toEqual(['resume', 'all']));
  });

  it('suspends the listener while its connection is down and resumes it when it listens again', async () => {
    await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`,
      [`LISTEN "${readModelChannel(db.schema)}"%`],
    );
    await eventually(async () => expect(recorder.heard).toEqual(['resume', 'suspend', 'resume']));
    expect(changes.listening).toBe(true);

    await store.append('account-1', [{ type: 'Deposited', data: { amount: 1 }, metadata: metadataIn('ws_c') }]);
    await eventually(async () => {
      await runner.catchUp();
      expect([...recorder.workspaces]).toEqual(['ws_c']);
    });
  });
});
