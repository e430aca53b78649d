import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { runMigrations } from '@platform/event-store';
import { createTestSchema, type TestSchema } from '@platform/testing';
import { webhookEndpointsProjection } from '../endpoints/projection';
import { DeliveryStore } from './store';

describe('DeliveryStore', () => {
  let db: TestSchema;
  let store: DeliveryStore;
  const workspaceId = 'ws_a';
  const [first, second, paused, elsewhere, unsubscribed] = [
    randomUUID(),
    randomUUID(),
    randomUUID(),
    randomUUID(),
    randomUUID(),
  ];
  const types = ['DeploymentRequested', 'ServerSwitched', 'DeploymentSucceeded'];

  beforeAll(async () => {
    db = createTestSchema('wh_store');
    store = new DeliveryStore(db.pool, db.schema);
    await runMigrations(db.pool, db.schema, webhookEndpointsProjection.migrations ?? []);
    await store.migrate();
    // The endpoints read model as its projection keeps it: who is subscribed to what.
    for (const [id, workspace, enabled, eventTypes] of [
      [first, workspaceId, true, types],
      [second, workspaceId, true, types],
      [paused, workspaceId, false, types],
      [elsewhere, 'ws_b', true, types],
      [unsubscribed, workspaceId, true, ['DeploymentFailed']],
    ] as const) {
      await db.pool.query(
        `INSERT INTO ${db.schema}.webhook_endpoints (id, workspace_id, url, description, event_types, enabled, sealed_secret,
                                                    created_at, updated_at)
         VALUES ($1, $2, 'https://hooks.example.com/', '', $3, $4, 'v1:k', now(), now())`,
        [id, workspace, eventTypes, enabled],
      );
    }
  });
  afterAll(() => db.dispose());

  const message = (type: string) => ({ id: randomUUID(), type, body: `{"type":"${type}"}` });
  const ok = { status: 200, latencyMs: 3, responseBody: 'ok' };

  it('stores one delivery per enabled subscribed endpoint of the workspace, however often the event arrives', async () => {
    const event = message('DeploymentSucceeded');
    expect(await store.enqueue(workspaceId, event)).toBe(2);
    expect(await store.enqueue(workspaceId, event)).toBe(0);
    const due = await store.due(10, 10, []);
    expect([...due.values()].map((list) => list.map((delivery) => delivery.messageId))).toEqual([
      [event.id],
      [event.id],
    ]);
    for (const delivery of [...due.values()].flat()) await store.record(delivery, ok, { kind: 'succeeded' });
  });

  it("gives each endpoint's due deliveries in the order of their events, none of a busy endpoint, none done", async () => {
    const events = [message('DeploymentRequested'), message('ServerSwitched'), message('DeploymentSucceeded')];
    for (const event of events) await store.enqueue(workspaceId, event);
    const due = await store.due(10, 10, [second]);
    expect([...due.keys()]).toEqual([first]);
    expect(due.get(first)!.map((delivery) => delivery.messageId)).toEqual(events.map((event) => event.id));
    expect(due.get(first)!.map((delivery) => delivery.attempts)).toEqual([1, 1, 1]);

    const [done, retried, failed] = due.get(first)!;
    await store.record(done, ok, { kind: 'succeeded' });
    await store.record(
      retried,
      { status: 500, latencyMs: 4, responseBody: 'x'.repeat(10) },
      { kind: 'retry', delayMs: 60_000 },
    );
    await store.record(failed, { latencyMs: 15_000, responseBody: '', error: 'no answer' }, { kind: 'failed' });
    // Done, waiting for its retry, given up: nothing of the first endpoint is due now.
    expect((await store.due(10, 10, [second])).size).toBe(0);

    const log = await store.list(workspaceId, { endpointId: first, limit: 10 });
    expect(log.items.slice(0, 3).map((delivery) => [delivery.eventType, delivery.status, delivery.attempts])).toEqual([
      ['DeploymentSucceeded', 'failed', 1],
      ['ServerSwitched', 'pending', 1],
      ['DeploymentRequested', 'succeeded', 1],
    ]);
    expect(log.items[1]).toMatchObject({ responseStatus: 500, latencyMs: 4 });
    expect(Date.parse(log.items[1].nextAttemptAt!) - Date.now()).toBeGreaterThan(50_000);
  });

  it('redelivers the failed deliveries since a time, and one by id; only within the workspace', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    expect(await store.redeliver('ws_b', first, { since })).toBe(0);
    expect(await store.redeliver(workspaceId, first, { since })).toBe(1);
    const [again] = (await store.due(10, 10, [second])).get(first)!;
    expect(again).toMatchObject({ attempts: 1 });
    await expect(store.redeliver('ws_b', first, { deliveryId: again.id })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('remembers since when an endpoint fails, until it succeeds', async () => {
    const since = await store.failingSince(first);
    expect((await store.failingSince(first)).getTime()).toBe(since.getTime());
    await store.markHealthy(first);
    await sleep(20);
    // A failure after a success starts the count again.
    expect((await store.failingSince(first)).getTime()).toBeGreaterThan(since.getTime());
  });
});
