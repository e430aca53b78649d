import { randomUUID } from 'node:crypto';
import { deployTag } from '@platform/contracts';
import { EventStore, ProjectionRunner, runMigrations } from '@platform/event-store';
import { createTestSchema, eventsVisibleToReaders, type TestSchema } from '@platform/testing';
import { DeploymentQueries } from '../deployments/queries';
import { ProjectQueries } from '../projects/queries';
import { servicesProjection } from './projection';
import { ServiceQueries } from './queries';

const metadata = { workspaceId: 'ws_1', actorId: 'user_1', correlationId: 'corr_1' };

describe('services projection (projects, services and their deployments)', () => {
  let db: TestSchema;
  let store: EventStore;
  let runner: ProjectionRunner;
  const [projectId, serviceId, first, second] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  // A deployment lists its servers in the order of their ids (a jsonb object's key order), so the two are in order.
  const [one, two] = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];

  beforeEach(async () => {
    db = createTestSchema('services_projection');
    store = new EventStore(db.pool, db.schema);
    await store.migrate();
    await runMigrations(db.pool, db.schema, servicesProjection.migrations ?? []);
    runner = new ProjectionRunner(store, servicesProjection, { replicaId: 'test' });
  });
  afterEach(() => db.dispose());

  async function record(streamId: string, ...events: { type: string; data: object }[]) {
    await store.append(
      streamId,
      events.map((event) => ({ ...event, metadata })),
    );
  }
  async function project() {
    await eventsVisibleToReaders(db);
    while ((await runner.processBatch()) > 0);
  }
  const requested = (deploymentId: string) => ({
    type: 'DeploymentRequested',
    data: {
      deploymentId,
      serviceId,
      workspaceId: 'ws_1',
      source: { type: 'image', image: 'registry.test/acme/web:1' },
      tag: deployTag(deploymentId),
      targets: [one, two].map((serverId, i) => ({
        serverId,
        agentUrl: `http://10.0.0.${i + 1}:7100`,
        sealedAgentSecret: 'v1:x',
        publicIp: `10.0.0.${i + 1}`,
        edgeHttpPort: 80,
      })),
      env: {},
      port: 3000,
      healthCheckPath: '/',
      batchSize: 1,
      rollbackOf: null,
      requestedAt: new Date().toISOString(),
    },
  });
  const onServer = (type: string, deploymentId: string, serverId: string, extra: object = {}) => ({
    type,
    data: { deploymentId, serverId, ...extra },
  });

  it("keeps a service's current deployment with the deployment that succeeded, and a failed one's progress", async () => {
    await record(`project-${projectId}`, {
      type: 'ProjectCreated',
      data: { projectId, workspaceId: 'ws_1', name: 'shop' },
    });
    await record(
      `service-${serviceId}`,
      {
        type: 'ServiceCreated',
        data: { serviceId, projectId, workspaceId: 'ws_1', name: 'web', port: 3000, healthCheckPath: '/', env: {} },
      },
      requested(first),
      onServer('ImageReady', first, one, { image: 'i', how: 'pulled', agentMs: 1 }),
    );
    await project();
    const deployments = new DeploymentQueries(db.pool, db.schema);
    expect(await deployments.get('ws_1', { deploymentId: first })).toMatchObject({
      status: 'building',
      servers: [
        { serverId: one, status: 'image_ready', reason: null, url: 'http://10.0.0.1:80' },
        { serverId: two, status: 'pending', reason: null, url: 'http://10.0.0.2:80' },
      ],
    });
    expect(await deployments.inProgress()).toEqual([{ deploymentId: first, serviceId }]);

    await record(
      `service-${serviceId}`,
      onServer('ServerSwitched', first, one, { container: 'c1', image: 'i', switchedAfterMs: 1, agentMs: 1 }),
      onServer('ServerSwitched', first, two, { container: 'c2', image: 'i', switchedAfterMs: 1, agentMs: 1 }),
      { type: 'DeploymentSucceeded', data: { deploymentId: first, durationMs: 1200 } },
      requested(second),
      onServer('ServerSwitched', second, one, { container: 'c3', image: 'i', switchedAfterMs: 1, agentMs: 1 }),
      onServer('ServerDeployFailed', second, two, { reason: 'unhealthy' }),
      onServer('ServerRolledBack', second, one, { container: 'c4', reason: null }),
      { type: 'DeploymentLogged', data: { deploymentId: second, serverId: two, step: 'cutover', lines: ['a', 'b'] } },
      { type: 'DeploymentFailed', data: { deploymentId: second, serverId: two, reason: 'unhealthy', durationMs: 900 } },
    );
    await project();

    const projects = await new ProjectQueries(db.pool, db.schema).list('ws_1', { limit: 10 });
    expect(projects.items).toEqual([{ id: projectId, name: 'shop', createdAt: expect.any(String) }]);
    const services = await new ServiceQueries(db.pool, db.schema).list('ws_1', { projectId, limit: 10 });
    expect(services.items).toEqual([
      expect.objectContaining({ id: serviceId, hostname: 'web.localhost', currentDeploymentId: first }),
    ]);
    expect(await deployments.get('ws_1', { deploymentId: first })).toMatchObject({
      status: 'succeeded',
      durationMs: 1200,
    });
    expect(await deployments.get('ws_1', { deploymentId: second })).toMatchObject({
      status: 'failed',
      failureReason: 'unhealthy',
      servers: [
        { serverId: one, status: 'rolled_back', reason: null },
        { serverId: two, status: 'failed', reason: 'unhealthy' },
      ],
    });
    expect((await deployments.logs('ws_1', { deploymentId: second })).lines.map((line) => line.line)).toEqual([
      'a',
      'b',
    ]);
    expect(await deployments.inProgress()).toEqual([]);
    // Another workspace sees none of it.
    await expect(deployments.get('ws_2', { deploymentId: first })).rejects.toMatchObject({ code: 'not_found' });
    await expect(new ServiceQueries(db.pool, db.schema).list('ws_2', { projectId, limit: 10 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
