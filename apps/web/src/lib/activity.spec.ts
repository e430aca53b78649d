import type { EventEnvelope } from '@platform/contracts';
import { describeEvent, eventFromMessage, humanizeType, mergeEvents } from './activity';

const envelope = (type: string, data: unknown): EventEnvelope => ({
  eventId: '0b6943ab-0744-8242-aa42-3a733f3fcc78',
  context: 'deployments',
  type,
  schemaVersion: 1,
  streamId: 'deployConfig-1',
  streamVersion: 1,
  position: '1',
  data,
  metadata: { workspaceId: 'w', actorId: 'u', correlationId: 'c' },
  occurredAt: '2026-11-27T03:43:02.600Z',
});

describe('activity', () => {
  it('describes deploy config events with a link to the config', () => {
    const id = '5127241c-1aaa-45d9-a896-a60322464bb6';
    expect(
      describeEvent(envelope('DeployConfigCreated', { deployConfigId: id, workspaceId: 'w', fields: { name: 'web' } })),
    ).toEqual({
      title: 'Deploy config “web” created',
      href: `/deploy-configs/${id}`,
    });
    expect(describeEvent(envelope('DeployConfigDeleted', { deployConfigId: id, workspaceId: 'w' })).title).toBe(
      'Deploy config 5127241c deleted',
    );
    expect(
      describeEvent(envelope('DeployConfigDeleted', { deployConfigId: id, workspaceId: 'w', name: 'web to prod' }))
        .title,
    ).toBe('Deploy config “web to prod” deleted');
  });

  it('tells the workspace a webhook was disabled, why, and where to enable it again', () => {
    const data = { endpointId: 'e', workspaceId: 'w', url: 'https://ci.example.com/hook', detail: 'answered 410' };
    expect(describeEvent(envelope('WebhookEndpointDisabled', { ...data, reason: 'gone' }))).toEqual({
      title: 'Webhook to https://ci.example.com/hook disabled: it answered 410 Gone',
      href: '/settings/webhooks',
    });
    expect(describeEvent(envelope('WebhookEndpointDisabled', { ...data, reason: 'failing' })).title).toBe(
      'Webhook to https://ci.example.com/hook disabled: it failed every attempt for days',
    );
  });

  it('describes provider and snapshot events with a link to where they show', () => {
    expect(
      describeEvent(
        envelope('ProviderConnected', { provider: 'digitalocean', account: 'ops@example.test', verifiedAt: 'x' }),
      ),
    ).toEqual({
      title: 'DigitalOcean connected as ops@example.test',
      href: '/settings/providers',
    });
    expect(describeEvent(envelope('ProviderDisconnected', { provider: 'cloudflare' })).title).toBe(
      'Cloudflare disconnected',
    );
    const snapshotId = '5127241c-1aaa-45d9-a896-a60322464bb6';
    expect(describeEvent(envelope('SnapshotFailed', { snapshotId, step: 'wait-for-agent', reason: 'x' }))).toEqual({
      title: 'Snapshot 5127241c failed at wait-for-agent',
      href: '/infrastructure#snapshots',
    });
  });

  it('gives event types it does not know a readable title', () => {
    expect(humanizeType('ServerProvisioned')).toBe('Server provisioned');
    expect(describeEvent(envelope('DeploymentSucceeded', {})).title).toBe('Deployment succeeded');
  });

  it('reads events from stream messages and ignores anything else', () => {
    expect(eventFromMessage(JSON.stringify(envelope('A', {})))?.type).toBe('A');
    expect(eventFromMessage('{"error":{"code":"internal","message":"x"}}')).toBeUndefined();
    expect(eventFromMessage('not json')).toBeUndefined();
  });

  it('merges live events and pages of the past into one list, newest first, each event once, filtered', () => {
    const at = (eventId: string, occurredAt: string, actorId = 'u', data: unknown = { serviceId: 's1' }) => ({
      ...envelope('ServiceUpdated', data),
      eventId,
      occurredAt,
      metadata: { workspaceId: 'w', actorId, correlationId: 'c' },
    });
    const live = [at('c', '2026-11-27T03:00:03.000Z'), at('b', '2026-11-27T03:00:02.000Z')];
    const past = [at('b', '2026-11-27T03:00:02.000Z'), at('a', '2026-11-27T03:00:01.000Z', 'someone else')];
    expect(mergeEvents([live, past], {}).map((event) => event.eventId)).toEqual(['c', 'b', 'a']);
    expect(mergeEvents([live, past], { actor: 'someone else' }).map((event) => event.eventId)).toEqual(['a']);
    expect(mergeEvents([live, past], { resourceId: 's2' })).toEqual([]);
    expect(mergeEvents([live, past], { types: ['ServiceCreated'] })).toEqual([]);
  });
});
