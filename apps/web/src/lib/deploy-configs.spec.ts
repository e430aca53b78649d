import type { DeployConfigView, EventEnvelope } from '@platform/contracts';
import { applyDeployConfigEvent } from './deploy-configs';

const id = '5127241c-1aaa-45d9-a896-a60322464bb6';
const fields = { name: 'web', serviceId: id, source: { type: 'image' as const, image: 'nginx:1.27' }, serverIds: [id] };

function event(type: string, streamVersion: number, data: unknown): EventEnvelope {
  return {
    eventId: `${type}-${streamVersion}`,
    context: 'deployments',
    type,
    schemaVersion: 1,
    streamId: `deployConfig-${id}`,
    streamVersion,
    position: String(streamVersion),
    data,
    metadata: { workspaceId: 'w', actorId: 'u', correlationId: 'c' },
    occurredAt: `2026-11-27T03:4${streamVersion}:00.000Z`,
  };
}

describe('applyDeployConfigEvent', () => {
  it('adds, updates (never backwards) and removes configs from the events alone', () => {
    let items: readonly DeployConfigView[] = [];
    items = applyDeployConfigEvent(
      items,
      event('DeployConfigCreated', 1, { deployConfigId: id, workspaceId: 'w', fields }),
    );
    expect(items).toEqual([
      { ...fields, id, version: 1, createdAt: '2026-11-27T03:41:00.000Z', updatedAt: '2026-11-27T03:41:00.000Z' },
    ]);
    expect(
      applyDeployConfigEvent(items, event('DeployConfigCreated', 1, { deployConfigId: id, workspaceId: 'w', fields })),
    ).toBe(items);

    items = applyDeployConfigEvent(
      items,
      event('DeployConfigUpdated', 3, { deployConfigId: id, workspaceId: 'w', fields: { ...fields, name: 'api' } }),
    );
    expect(items[0]).toMatchObject({
      name: 'api',
      version: 3,
      createdAt: '2026-11-27T03:41:00.000Z',
      updatedAt: '2026-11-27T03:43:00.000Z',
    });
    const stale = applyDeployConfigEvent(
      items,
      event('DeployConfigUpdated', 2, { deployConfigId: id, workspaceId: 'w', fields }),
    );
    expect(stale[0].name).toBe('api');

    expect(
      applyDeployConfigEvent(items, event('DeployConfigDeleted', 4, { deployConfigId: id, workspaceId: 'w' })),
    ).toEqual([]);
    expect(applyDeployConfigEvent(items, event('ServerProvisioned', 1, {}))).toBe(items);
  });
});
