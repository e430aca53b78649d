import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts';
import { deciderSpecification } from '@platform/decider';
import { serverDecider, type ServerEvent } from './decider';

const now = new Date('2026-11-27T10:00:00.000Z');
const metadata = { workspaceId: 'ws_a', actorId: 'u', correlationId: 'c' };
const spec = deciderSpecification(serverDecider, { metadata, now });
const otherWorkspace = deciderSpecification(serverDecider, { metadata: { ...metadata, workspaceId: 'ws_b' }, now });

const serverId = randomUUID();
const serverSpec = { provider: 'local' as const, name: 'web-1', region: 'local', size: 'local' };
const requested: ServerEvent = {
  type: 'ServerProvisionRequested',
  data: { serverId, workspaceId: 'ws_a', spec: serverSpec, requestedAt: now.toISOString() },
};
const created: ServerEvent = {
  type: 'ServerCreated',
  data: {
    serverId,
    providerServerId: 'p-1',
    publicIp: '127.0.0.2',
    agentUrl: 'http://127.0.0.2:7100',
    edge: { httpPort: 80, httpsPort: 443 },
    sealedAgentSecret: 'v1:abc:iv:ct:tag',
  },
};
const ready: ServerEvent = { type: 'ServerReady', data: { serverId, agentVersion: '0.1.0' } };
const code = (expected: string) => (error: unknown) => expect((error as DomainError).code).toBe(expected);

describe('server decider', () => {
  it('requests a server in the caller workspace, once', () => {
    spec
      .given([])
      .when({ type: 'ProvisionServer', data: { serverId, spec: serverSpec } })
      .then([requested]);
    spec
      .given([requested])
      .when({ type: 'ProvisionServer', data: { serverId, spec: serverSpec } })
      .thenThrows(code('conflict'));
  });

  it('records the provisioning steps in order and ignores reports that no longer fit', () => {
    spec.given([requested]).when({ type: 'RecordServerCreated', data: created.data }).then([created]);
    spec.given([requested, created]).when({ type: 'RecordServerCreated', data: created.data }).thenNothingHappens();
    spec
      .given([requested, created])
      .when({ type: 'RecordServerReady', data: { serverId, agentVersion: '0.1.0' } })
      .then([ready]);
    spec
      .given([requested])
      .when({ type: 'RecordServerReady', data: { serverId, agentVersion: '0.1.0' } })
      .thenNothingHappens();
    spec
      .given([requested, created, ready])
      .when({ type: 'RecordProvisionFailed', data: { serverId, step: 'boot', reason: 'x' } })
      .thenNothingHappens();
  });

  it('destroys a server of the workspace only, once', () => {
    const destroy = { type: 'DestroyServer' as const, data: { serverId, force: false } };
    spec
      .given([requested, created, ready])
      .when(destroy)
      .then([{ type: 'ServerDestroyRequested', data: { serverId, force: false } }]);
    spec
      .given([requested, created, ready, { type: 'ServerDestroyRequested', data: { serverId, force: false } }])
      .when(destroy)
      .thenNothingHappens();
    otherWorkspace.given([requested, created, ready]).when(destroy).thenThrows(code('not_found'));
    spec.given([]).when(destroy).thenThrows(code('not_found'));
    spec
      .given([
        requested,
        created,
        ready,
        { type: 'ServerDestroyRequested', data: { serverId, force: false } },
        { type: 'ServerDestroyed', data: { serverId } },
      ])
      .when(destroy)
      .thenThrows(code('not_found'));
  });

  it('keeps the cloud server id when creation finishes after a destroy was asked, so it can be deleted', () => {
    const destroying: ServerEvent = { type: 'ServerDestroyRequested', data: { serverId, force: false } };
    spec.given([requested, destroying]).when({ type: 'RecordServerCreated', data: created.data }).then([created]);
    const state = [requested, destroying, created].reduce(
      (state, event) => serverDecider.evolve(state, event),
      serverDecider.initialState(),
    );
    expect(state).toMatchObject({ status: 'destroying', created: { providerServerId: 'p-1' } });
  });
});
