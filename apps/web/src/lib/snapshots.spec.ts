import type { EventEnvelope, SnapshotView } from '@platform/contracts';
import { applySnapshotEvent, mergeSnapshot, snapshotsForRegion } from './snapshots';

const id = '5127241c-1aaa-45d9-a896-a60322464bb6';
let position = 0;
const envelope = (type: string, data: unknown, occurredAt = '2026-11-27T03:43:02.600Z'): EventEnvelope => ({
  eventId: `0b6943ab-0744-8242-aa42-3a733f3fc${String(++position).padStart(3, '0')}`,
  context: 'servers',
  type,
  schemaVersion: 1,
  streamId: `snapshot-${id}`,
  streamVersion: position,
  position: String(position),
  data,
  metadata: { workspaceId: 'w', actorId: 'u', correlationId: 'c' },
  occurredAt,
});

const spec = { provider: 'digitalocean', region: 'fra1', size: 's-1vcpu-1gb' };

describe('snapshots', () => {
  it('follows a build from request to ready, step by step', () => {
    let items: readonly SnapshotView[] = [];
    items = applySnapshotEvent(
      items,
      envelope('SnapshotRequested', {
        snapshotId: id,
        workspaceId: 'w',
        spec,
        agentVersion: '1.2.0',
        requestedAt: '2026-11-27T03:43:02.000Z',
      }),
    );
    expect(items).toMatchObject([
      {
        id,
        name: 'snapshot 5127241c',
        status: 'building',
        step: 'create-builder',
        region: 'fra1',
        agentVersion: '1.2.0',
      },
    ]);
    // The same request seen twice (a replay after reconnecting) adds no second row.
    expect(
      applySnapshotEvent(
        items,
        envelope('SnapshotRequested', {
          snapshotId: id,
          workspaceId: 'w',
          spec,
          agentVersion: '1.2.0',
          requestedAt: 'x',
        }),
      ),
    ).toHaveLength(1);
    items = applySnapshotEvent(
      items,
      envelope('SnapshotBuilderCreated', {
        snapshotId: id,
        builderServerId: 'b',
        agentUrl: 'http://b',
        sealedAgentSecret: 'v1:x',
      }),
    );
    expect(items[0].step).toBe('wait-for-agent');
    items = applySnapshotEvent(items, envelope('SnapshotBuilderReady', { snapshotId: id, agentVersion: '1.2.1' }));
    expect(items[0]).toMatchObject({ step: 'snapshot', agentVersion: '1.2.1' });
    items = applySnapshotEvent(
      items,
      envelope('SnapshotTaken', { snapshotId: id, providerSnapshotId: '42', regions: ['fra1', 'ams3'], sizeGb: 2.5 }),
    );
    expect(items[0]).toMatchObject({
      step: 'remove-builder',
      providerSnapshotId: '42',
      regions: ['fra1', 'ams3'],
      sizeGb: 2.5,
    });
    items = applySnapshotEvent(items, envelope('SnapshotReady', { snapshotId: id }));
    expect(items[0]).toMatchObject({ status: 'ready', step: null });
    expect(snapshotsForRegion(items, 'ams3').map((item) => item.id)).toEqual([id]);
    expect(snapshotsForRegion(items, 'nyc3')).toEqual([]);

    items = applySnapshotEvent(items, envelope('SnapshotDeleteRequested', { snapshotId: id }));
    expect(items[0].status).toBe('deleting');
    expect(snapshotsForRegion(items, 'fra1')).toEqual([]);
    const failedDelete = applySnapshotEvent(
      items,
      envelope('SnapshotDeleteFailed', { snapshotId: id, reason: 'the API is down' }),
    );
    expect(failedDelete[0]).toMatchObject({
      status: 'failed',
      failureReason: 'deleting failed: the API is down; delete it again',
    });
    expect(applySnapshotEvent(items, envelope('SnapshotDeleted', { snapshotId: id }))).toEqual([]);
  });

  it('keeps the reason a build failed for', () => {
    let items = applySnapshotEvent(
      [],
      envelope('SnapshotRequested', { snapshotId: id, workspaceId: 'w', spec, agentVersion: '1', requestedAt: 'x' }),
    );
    items = applySnapshotEvent(
      items,
      envelope('SnapshotFailed', { snapshotId: id, step: 'wait-for-agent', reason: 'the agent never answered' }),
    );
    expect(items[0]).toMatchObject({ status: 'failed', step: null, failureReason: 'the agent never answered' });
  });

  it("takes the API's view over the row built from events, unless an event is newer", () => {
    const fromEvents = applySnapshotEvent(
      [],
      envelope(
        'SnapshotRequested',
        { snapshotId: id, workspaceId: 'w', spec, agentVersion: '1', requestedAt: '2026-11-27T03:43:02.000Z' },
        '2026-11-27T03:43:02.000Z',
      ),
    );
    const api: SnapshotView = { ...fromEvents[0], name: 'platform-1-fra1', updatedAt: '2026-11-27T03:43:02.000Z' };
    expect(mergeSnapshot(fromEvents, api)[0].name).toBe('platform-1-fra1');
    const moved = applySnapshotEvent(
      fromEvents,
      envelope('SnapshotFailed', { snapshotId: id, step: 'create-builder', reason: 'no' }, '2026-11-27T03:43:05.000Z'),
    );
    expect(mergeSnapshot(moved, api)[0]).toMatchObject({
      name: 'platform-1-fra1',
      status: 'failed',
      failureReason: 'no',
    });
    expect(mergeSnapshot(moved, { ...api, status: 'deleted' })).toEqual([]);
  });
});
