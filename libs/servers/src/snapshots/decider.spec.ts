import { randomUUID } from 'node:crypto';
import { EXPECTED_AGENT_VERSION, type DomainError } from '@platform/contracts';
import { deciderSpecification } from '@platform/decider';
import { snapshotDecider, type SnapshotEvent } from './decider';

const now = new Date('2026-11-27T10:00:00.000Z');
const metadata = { workspaceId: 'ws_a', actorId: 'u', correlationId: 'c' };
const spec = deciderSpecification(snapshotDecider, { metadata, now });
const otherWorkspace = deciderSpecification(snapshotDecider, { metadata: { ...metadata, workspaceId: 'ws_b' }, now });

const snapshotId = randomUUID();
const snapshotSpec = { provider: 'digitalocean' as const, region: 'fra1', size: 's-1vcpu-1gb' };
const requested: SnapshotEvent = {
  type: 'SnapshotRequested',
  data: {
    snapshotId,
    workspaceId: 'ws_a',
    spec: snapshotSpec,
    agentVersion: EXPECTED_AGENT_VERSION,
    requestedAt: now.toISOString(),
  },
};
const builderCreated: SnapshotEvent = {
  type: 'SnapshotBuilderCreated',
  data: {
    snapshotId,
    builderServerId: '100001',
    agentUrl: 'http://127.0.0.9:7100',
    sealedAgentSecret: 'v1:k:iv:ct:tag',
  },
};
const builderReady: SnapshotEvent = {
  type: 'SnapshotBuilderReady',
  data: { snapshotId, agentVersion: EXPECTED_AGENT_VERSION },
};
const taken: SnapshotEvent = {
  type: 'SnapshotTaken',
  data: { snapshotId, providerSnapshotId: '555', regions: ['fra1'], sizeGb: 2.3 },
};
const ready: SnapshotEvent = { type: 'SnapshotReady', data: { snapshotId } };
const built = [requested, builderCreated, builderReady, taken, ready];
const code = (expected: string) => (error: unknown) => expect((error as DomainError).code).toBe(expected);

describe('snapshot decider', () => {
  it('requests a snapshot in the caller workspace carrying the expected agent version, once', () => {
    spec
      .given([])
      .when({ type: 'CreateSnapshot', data: { snapshotId, spec: snapshotSpec } })
      .then([requested]);
    spec
      .given([requested])
      .when({ type: 'CreateSnapshot', data: { snapshotId, spec: snapshotSpec } })
      .thenThrows(code('conflict'));
  });

  it('records the building steps in order and drops reports that no longer fit', () => {
    spec.given([requested]).when({ type: 'RecordBuilderCreated', data: builderCreated.data }).then([builderCreated]);
    spec
      .given([requested, builderCreated])
      .when({ type: 'RecordBuilderCreated', data: builderCreated.data })
      .thenNothingHappens();
    spec.given([requested]).when({ type: 'RecordBuilderReady', data: builderReady.data }).thenNothingHappens();
    spec
      .given([requested, builderCreated])
      .when({ type: 'RecordBuilderReady', data: builderReady.data })
      .then([builderReady]);
    spec
      .given([requested, builderCreated])
      .when({ type: 'RecordSnapshotTaken', data: taken.data })
      .thenNothingHappens();
    spec
      .given([requested, builderCreated, builderReady])
      .when({ type: 'RecordSnapshotTaken', data: taken.data })
      .then([taken]);
    spec
      .given([requested, builderCreated, builderReady, taken])
      .when({ type: 'RecordSnapshotReady', data: ready.data })
      .then([ready]);
    spec.given(built).when({ type: 'RecordSnapshotReady', data: ready.data }).thenNothingHappens();
  });

  it('fails a snapshot only while it is being built', () => {
    const failed: SnapshotEvent = {
      type: 'SnapshotFailed',
      data: { snapshotId, step: 'wait-for-agent', reason: 'the agent did not answer' },
    };
    spec.given([requested, builderCreated]).when({ type: 'RecordSnapshotFailed', data: failed.data }).then([failed]);
    spec.given(built).when({ type: 'RecordSnapshotFailed', data: failed.data }).thenNothingHappens();
    const state = [requested, builderCreated, failed].reduce(
      (s, e) => snapshotDecider.evolve(s, e),
      snapshotDecider.initialState(),
    );
    expect(state).toMatchObject({ status: 'failed', step: null, failure: 'the agent did not answer' });
  });

  it('deletes a ready or failed snapshot of the workspace only, never one being built', () => {
    const remove = { type: 'DeleteSnapshot' as const, data: { snapshotId } };
    const deleting: SnapshotEvent = { type: 'SnapshotDeleteRequested', data: { snapshotId } };
    spec.given(built).when(remove).then([deleting]);
    spec
      .given([...built, deleting])
      .when(remove)
      .thenNothingHappens();
    spec.given([requested, builderCreated]).when(remove).thenThrows(code('conflict'));
    otherWorkspace.given(built).when(remove).thenThrows(code('not_found'));
    spec.given([]).when(remove).thenThrows(code('not_found'));
    spec
      .given([...built, deleting, { type: 'SnapshotDeleted', data: { snapshotId } }])
      .when(remove)
      .thenThrows(code('not_found'));
  });

  it('leaves a snapshot whose deletion failed failed, with the reason, so it can be deleted again', () => {
    const deleting: SnapshotEvent = { type: 'SnapshotDeleteRequested', data: { snapshotId } };
    const deleteFailed: SnapshotEvent = {
      type: 'SnapshotDeleteFailed',
      data: { snapshotId, reason: 'DigitalOcean said no' },
    };
    spec
      .given([...built, deleting])
      .when({ type: 'RecordSnapshotDeleteFailed', data: deleteFailed.data })
      .then([deleteFailed]);
    spec
      .given([...built, deleting, deleteFailed])
      .when({ type: 'DeleteSnapshot', data: { snapshotId } })
      .then([deleting]);
  });
});
