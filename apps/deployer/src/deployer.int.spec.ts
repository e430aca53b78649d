import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '@platform/bus';
import {
  CreateDeployConfig,
  DeleteDeployConfig,
  GetDeployConfig,
  ListDeployConfigs,
  UpdateDeployConfig,
  type DeployConfigFields,
  type EventEnvelope,
} from '@platform/contracts';
import { projectionCheckpointName } from '@platform/event-store';
import { ServiceRuntime, startService, type RunningService } from '@platform/service-kit';
import { createTestSchema, eventually, testServices, uniqueName, type TestSchema } from '@platform/testing';
import { DeployerModule, deployerDefinition } from './deployer.module';

const workspaceA = { workspaceId: 'ws_a', actorId: 'user_a', correlationId: 'corr-a' };
const workspaceB = { workspaceId: 'ws_b', actorId: 'user_b', correlationId: 'corr-b' };

function fields(name: string): DeployConfigFields {
  return {
    name,
    serviceId: randomUUID(),
    source: { type: 'image', image: 'registry.local/acme/web:1.0.0' },
    serverIds: [randomUUID()],
  };
}

describe('deployer service (PostgreSQL + NATS JetStream)', () => {
  let db: TestSchema;
  let prefix: string;
  let caFile: string;
  let client: Bus;
  let seen: EventEnvelope[];
  const replicas: RunningService[] = [];

  const startReplica = async (replicaId: string) => {
    const service = await startService({
      definition: deployerDefinition,
      module: DeployerModule,
      defaultHttpPort: 0,
      handleSignals: false,
      env: {
        DATABASE_URL: testServices.databaseUrl,
        DATABASE_SCHEMA: db.schema,
        NATS_URL: testServices.natsUrl,
        NATS_PREFIX: prefix,
        LOG_LEVEL: 'silent',
        REPLICA_ID: replicaId,
        PLATFORM_SECRET_KEY: 'a'.repeat(64),
        PLATFORM_CA_FILE: caFile,
      },
    });
    replicas.push(service);
    return service;
  };
  const stopReplica = async (service: RunningService) => {
    replicas.splice(replicas.indexOf(service), 1);
    await service.stop();
  };
  const eventsOf = (type: string) => seen.filter((event) => event.type === type);

  beforeAll(async () => {
    db = createTestSchema('deployer');
    prefix = uniqueName('deployer');
    caFile = join(tmpdir(), `${prefix}-platform-ca.json`);
    client = await Bus.connect({ servers: testServices.natsUrl, prefix, name: 'test-client' });
    await client.ensureStreams();
    seen = [];
    await client.subscribeEvents({
      filterSubject: client.subjects.eventsOf('deployments'),
      handle: async (event) => {
        seen.push(event);
      },
    });
  });

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((service) => service.stop()));
  });

  afterAll(async () => {
    for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const) {
      await client.manager.streams.delete(client.subjects.stream(stream)).catch(() => undefined);
    }
    await client.close();
    await db.dispose();
    await rm(caFile, { force: true });
  });

  it('takes a deploy config through its whole life: command, events on NATS, read model, queries', async () => {
    await startReplica('r1');
    const id = randomUUID();
    const sent = await client.sendCommand(
      CreateDeployConfig,
      { deployConfigId: id, fields: fields('web') },
      workspaceA,
    );

    const view = await eventually(() =>
      client.query(GetDeployConfig, { workspaceId: 'ws_a', params: { deployConfigId: id } }),
    );
    expect(view).toMatchObject({ id, name: 'web', version: 1 });
    await eventually(() =>
      expect(eventsOf('DeployConfigCreated').map((e) => e.data)).toContainEqual(
        expect.objectContaining({ deployConfigId: id }),
      ),
    );
    const created = eventsOf('DeployConfigCreated').find(
      (e) => (e.data as { deployConfigId: string }).deployConfigId === id,
    );
    expect(created?.metadata).toMatchObject({
      workspaceId: 'ws_a',
      commandId: sent.commandId,
      correlationId: 'corr-a',
    });

    await client.sendCommand(UpdateDeployConfig, { deployConfigId: id, fields: fields('web v2') }, workspaceA);
    await eventually(async () =>
      expect(
        await client.query(GetDeployConfig, { workspaceId: 'ws_a', params: { deployConfigId: id } }),
      ).toMatchObject({
        name: 'web v2',
        version: 2,
      }),
    );

    // Another workspace sees nothing and changes nothing.
    await expect(
      client.query(GetDeployConfig, { workspaceId: 'ws_b', params: { deployConfigId: id } }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await client.query(ListDeployConfigs, { workspaceId: 'ws_b', params: {} })).items).toEqual([]);
    const intruderCommandId = randomUUID();
    const intrusion = client.watchCommandOutcome(intruderCommandId, { timeoutMs: 10_000 });
    await client.sendCommand(DeleteDeployConfig, { deployConfigId: id }, workspaceB, { commandId: intruderCommandId });
    expect(await intrusion.outcome()).toMatchObject({ ok: false, error: { code: 'not_found' } });

    await client.sendCommand(DeleteDeployConfig, { deployConfigId: id }, workspaceA);
    await eventually(async () =>
      expect(
        client.query(GetDeployConfig, { workspaceId: 'ws_a', params: { deployConfigId: id } }),
      ).rejects.toMatchObject({
        code: 'not_found',
      }),
    );
    await eventually(() => expect(eventsOf('DeployConfigDeleted')).toHaveLength(1));
    expect(eventsOf('DeployConfigDeleted')[0].metadata.workspaceId).toBe('ws_a');
  });

  it('handles a command sent while the service was down once it starts, and a command sent twice once', async () => {
    const id = randomUUID();
    const commandId = randomUUID();
    const first = await client.sendCommand(
      CreateDeployConfig,
      { deployConfigId: id, fields: fields('queued') },
      workspaceA,
      { commandId },
    );
    const again = await client.sendCommand(
      CreateDeployConfig,
      { deployConfigId: id, fields: fields('queued') },
      workspaceA,
      { commandId },
    );
    expect([first.duplicate, again.duplicate]).toEqual([false, true]);

    await startReplica('late');
    await eventually(() => client.query(GetDeployConfig, { workspaceId: 'ws_a', params: { deployConfigId: id } }));
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.events WHERE stream_id = $1`, [
      `deployConfig-${id}`,
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('shares the commands between two replicas, each handled once, with the projection advanced by one replica', async () => {
    const [a, b] = await Promise.all([startReplica('replica-a'), startReplica('replica-b')]);
    const ids = Array.from({ length: 40 }, () => randomUUID());
    await Promise.all(
      ids.map((id, i) =>
        client.sendCommand(CreateDeployConfig, { deployConfigId: id, fields: fields(`config ${i}`) }, workspaceA),
      ),
    );

    await eventually(async () => {
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM ${db.schema}.deploy_configs WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      expect(rows[0].n).toBe(ids.length);
    }, 20_000);
    const { rows } = await db.pool.query(
      `SELECT stream_id, count(*)::int AS n FROM ${db.schema}.events WHERE stream_id = ANY($1::text[]) GROUP BY stream_id`,
      [ids.map((id) => `deployConfig-${id}`)],
    );
    expect(rows).toHaveLength(ids.length);
    expect(rows.every((row) => row.n === 1)).toBe(true);

    const checkpoint = await db.pool.query(`SELECT updated_by FROM ${db.schema}.checkpoints WHERE name = $1`, [
      projectionCheckpointName('deploy_configs'),
    ]);
    const leaders = [a, b].filter((replica) => replica.app.get(ServiceRuntime).leadership.projections.deploy_configs);
    expect(leaders).toHaveLength(1);
    expect(checkpoint.rows[0].updated_by).toBe(leaders[0].config.replicaId);

    // The standby takes over the projection when the leader stops.
    await stopReplica(leaders[0]);
    const late = randomUUID();
    await client.sendCommand(
      CreateDeployConfig,
      { deployConfigId: late, fields: fields('after failover') },
      workspaceA,
    );
    await eventually(
      () => client.query(GetDeployConfig, { workspaceId: 'ws_a', params: { deployConfigId: late } }),
      15_000,
    );
  }, 40_000);

  it('answers /healthz and /readyz with the state of its dependencies', async () => {
    const service = await startReplica('health');
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { database: true, nats: true, migrations: true },
      relayDeadLetters: 0,
    });
  });

  it('lists a workspace page by page without repeats', async () => {
    await startReplica('pager');
    const ids = Array.from({ length: 7 }, () => randomUUID());
    for (const id of ids)
      await client.sendCommand(CreateDeployConfig, { deployConfigId: id, fields: fields('paged') }, workspaceB);
    await eventually(async () =>
      expect(
        (await client.query(ListDeployConfigs, { workspaceId: 'ws_b', params: { limit: 200 } })).items,
      ).toHaveLength(7),
    );

    const collected: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.query(ListDeployConfigs, {
        workspaceId: 'ws_b',
        params: { limit: 3, ...(cursor ? { cursor } : {}) },
      });
      collected.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(collected.sort()).toEqual([...ids].sort());
    await expect(
      client.query(ListDeployConfigs, { workspaceId: 'ws_b', params: { cursor: 'garbage' } }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });
});
