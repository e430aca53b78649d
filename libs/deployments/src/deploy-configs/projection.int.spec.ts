import { randomUUID } from 'node:crypto';
import { EventStore, ProjectionRunner, runMigrations } from '@platform/event-store';
import { createTestSchema, eventsVisibleToReaders, type TestSchema } from '@platform/testing';
import { deployConfigsProjection } from './projection';

const metadata = { workspaceId: 'ws_1', actorId: 'user_1', correlationId: 'corr_1' };
const fields = (name: string) => ({
  name,
  serviceId: randomUUID(),
  source: { type: 'image' as const, image: `registry.local/acme/${name}:1` },
  serverIds: [randomUUID()],
});

describe('deploy_configs projection', () => {
  let db: TestSchema;
  let store: EventStore;

  beforeEach(async () => {
    db = createTestSchema('deployconfigs');
    store = new EventStore(db.pool, db.schema);
    await store.migrate();
    await runMigrations(db.pool, db.schema, deployConfigsProjection.migrations ?? []);
  });
  afterEach(() => db.dispose());

  async function record(deployConfigId: string, type: string, data: object): Promise<Date> {
    await store.append(`deploy-config-${deployConfigId}`, [
      { type, data: { deployConfigId, workspaceId: 'ws_1', ...data }, metadata },
    ]);
    const { events } = await store.readStream(`deploy-config-${deployConfigId}`);
    return events[events.length - 1].createdAt;
  }

  async function rows() {
    const { rows } = await db.pool.query<{
      id: string;
      name: string;
      version: number;
      created_at: Date;
      updated_at: Date;
    }>(`SELECT id, name, version, created_at, updated_at FROM ${db.schema}.deploy_configs ORDER BY name`);
    return rows;
  }

  it('leaves each config where the last of its events in a batch put it', async () => {
    const [kept, dropped, added] = [randomUUID(), randomUUID(), randomUUID()];
    const keptCreated = await record(kept, 'DeployConfigCreated', { fields: fields('api') });
    await record(dropped, 'DeployConfigCreated', { fields: fields('batch') });
    const keptUpdated = await record(kept, 'DeployConfigUpdated', { fields: fields('api-renamed') });
    await record(dropped, 'DeployConfigDeleted', { name: 'batch' });
    await record(added, 'DeployConfigCreated', { fields: fields('web') });

    const runner = new ProjectionRunner(store, deployConfigsProjection, { replicaId: 'test' });
    await eventsVisibleToReaders(db);
    expect(await runner.processBatch()).toBe(5);
    expect(await rows()).toEqual([
      { id: kept, name: 'api-renamed', version: 2, created_at: keptCreated, updated_at: keptUpdated },
      { id: added, name: 'web', version: 1, created_at: expect.any(Date), updated_at: expect.any(Date) },
    ]);

    // A later batch updates a known row without touching its creation time, and deletes another.
    const keptUpdatedAgain = await record(kept, 'DeployConfigUpdated', { fields: fields('api-final') });
    await record(added, 'DeployConfigDeleted', { name: 'web' });
    await eventsVisibleToReaders(db);
    expect(await runner.processBatch()).toBe(2);
    expect(await rows()).toEqual([
      { id: kept, name: 'api-final', version: 3, created_at: keptCreated, updated_at: keptUpdatedAgain },
    ]);
  });

  it('keeps every field of a config as its event gave it', async () => {
    const [withStrategy, without] = [randomUUID(), randomUUID()];
    const given = { ...fields('api "quoted"'), serverIds: [randomUUID(), randomUUID()], strategy: { batchSize: 3 } };
    await record(withStrategy, 'DeployConfigCreated', { fields: given });
    await record(without, 'DeployConfigCreated', { fields: fields('web') });
    await eventsVisibleToReaders(db);
    await new ProjectionRunner(store, deployConfigsProjection, { replicaId: 'test' }).processBatch();

    const { rows: stored } = await db.pool.query(
      `SELECT id, workspace_id, name, service_id, source, server_ids, strategy FROM ${db.schema}.deploy_configs ORDER BY name`,
    );
    expect(stored[0]).toEqual({
      id: withStrategy,
      workspace_id: 'ws_1',
      name: given.name,
      service_id: given.serviceId,
      source: given.source,
      server_ids: given.serverIds,
      strategy: given.strategy,
    });
    expect(stored[1]).toMatchObject({ id: without, strategy: null });
  });
});
