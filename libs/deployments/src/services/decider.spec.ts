import { randomUUID } from 'node:crypto';
import { DomainError, deployTag } from '@platform/contracts';
import { deciderSpecification, foldEvents } from '@platform/decider';
import { serviceDecider, type ServiceEvent } from './decider';

const now = new Date('2026-11-27T10:00:00.000Z');
const metadata = { workspaceId: 'ws_a', actorId: 'u', correlationId: 'c' };
const spec = deciderSpecification(serviceDecider, { metadata, now });
const stranger = deciderSpecification(serviceDecider, { metadata: { ...metadata, workspaceId: 'ws_b' }, now });

const serviceId = randomUUID();
const projectId = randomUUID();
const serverId = randomUUID();
const target = {
  serverId,
  agentUrl: 'http://127.0.0.2:7100',
  sealedAgentSecret: 'v1:k:i:c:t',
  publicIp: '127.0.0.2',
  edgeHttpPort: 80,
};
const created: ServiceEvent = {
  type: 'ServiceCreated',
  data: {
    serviceId,
    projectId,
    workspaceId: 'ws_a',
    name: 'web',
    port: 3000,
    healthCheckPath: '/health',
    env: { A: 'v1:s:a' },
  },
};
const d1 = randomUUID();
const d2 = randomUUID();
const source = { type: 'image' as const, image: 'registry.local/web:1' };
const requested = (deploymentId: string): ServiceEvent => ({
  type: 'DeploymentRequested',
  data: {
    deploymentId,
    serviceId,
    workspaceId: 'ws_a',
    source,
    tag: deployTag(deploymentId),
    targets: [target],
    env: { A: 'v1:s:a', B: 'v1:s:b' },
    port: 3000,
    healthCheckPath: '/health',
    batchSize: 1,
    rollbackOf: null,
    requestedAt: now.toISOString(),
  },
});
const succeeded = (deploymentId: string): ServiceEvent => ({
  type: 'DeploymentSucceeded',
  data: { deploymentId, durationMs: 1000 },
});
const code = (expected: string) => (error: unknown) => expect((error as DomainError).code).toBe(expected);

describe('service decider', () => {
  it('deploys with the service settings and its environment merged with the deployment one, tagged deploy_<id>', () => {
    spec
      .given([created])
      .when({
        type: 'DeployService',
        data: { deploymentId: d1, serviceId, source, targets: [target], env: { B: 'v1:s:b' }, batchSize: 1 },
      })
      .then([requested(d1)]);
  });

  it('deploys one at a time: a second deployment while one runs is refused with a reason', () => {
    spec
      .given([created, requested(d1)])
      .when({
        type: 'DeployService',
        data: { deploymentId: d2, serviceId, source, targets: [target], env: {}, batchSize: 1 },
      })
      .thenThrows((error) => {
        code('conflict')(error);
        expect((error as DomainError).message).toContain(d1);
      });
    spec
      .given([created, requested(d1), succeeded(d1)])
      .when({
        type: 'DeployService',
        data: { deploymentId: d2, serviceId, source, targets: [target], env: {}, batchSize: 1 },
      })
      .then([{ ...requested(d2), data: { ...requested(d2).data, env: { A: 'v1:s:a' } } } as ServiceEvent]);
  });

  it('rolls back to the exact tag and environment of a deployment that succeeded', () => {
    const rollback = randomUUID();
    const events = spec.given([created, requested(d1), succeeded(d1)]);
    events
      .when({
        type: 'RollbackDeployment',
        data: { deploymentId: rollback, serviceId, rollbackOf: d1, targets: [target] },
      })
      .then([
        {
          type: 'DeploymentRequested',
          data: {
            ...(requested(d1).data as object),
            deploymentId: rollback,
            tag: deployTag(d1),
            rollbackOf: d1,
            batchSize: 1,
          } as never,
        },
      ]);
    spec
      .given([
        created,
        requested(d1),
        { type: 'DeploymentFailed', data: { deploymentId: d1, serverId, reason: 'x', durationMs: 1 } },
      ])
      .when({
        type: 'RollbackDeployment',
        data: { deploymentId: rollback, serviceId, rollbackOf: d1, targets: [target] },
      })
      .thenThrows(code('conflict'));
  });

  it('moves a failing deployment into rolling back, then failed, and keeps the last success as current', () => {
    const state = foldEvents(serviceDecider, [
      created,
      requested(d1),
      succeeded(d1),
      requested(d2),
      { type: 'ServerDeployFailed', data: { deploymentId: d2, serverId, reason: 'unhealthy' } },
    ]);
    expect(state).toMatchObject({ active: d2, current: d1, deployments: { [d2]: { status: 'rolling_back' } } });
    spec
      .given([
        created,
        requested(d1),
        succeeded(d1),
        requested(d2),
        { type: 'ServerDeployFailed', data: { deploymentId: d2, serverId, reason: 'unhealthy' } },
      ])
      .when({
        type: 'RecordServerSwitched',
        data: { deploymentId: d2, serverId, container: 'c', image: 'i', switchedAfterMs: 1, agentMs: 1 },
      })
      .thenNothingHappens();
  });

  it('answers another workspace as if the service did not exist', () => {
    stranger
      .given([created])
      .when({
        type: 'DeployService',
        data: { deploymentId: d1, serviceId, source, targets: [target], env: {}, batchSize: 1 },
      })
      .thenThrows(code('not_found'));
    stranger
      .given([created])
      .when({ type: 'UpdateService', data: { serviceId, setEnv: {}, unsetEnv: [] } })
      .thenThrows(code('not_found'));
  });
});
