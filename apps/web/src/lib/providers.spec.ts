import type { EventEnvelope, ProviderView } from '@platform/contracts';
import { applyProviderEvent, sortProviders } from './providers';

const envelope = (type: string, data: unknown): EventEnvelope => ({
  eventId: '0b6943ab-0744-8242-aa42-3a733f3fcc78',
  context: 'servers',
  type,
  schemaVersion: 1,
  streamId: 'provider-1',
  streamVersion: 1,
  position: '1',
  data,
  metadata: { workspaceId: 'w', actorId: 'u', correlationId: 'c' },
  occurredAt: '2026-11-27T03:43:02.600Z',
});

const providers: ProviderView[] = [
  { provider: 'local', purpose: 'servers', connected: true, account: null, verifiedAt: null },
  { provider: 'cloudflare', purpose: 'dns', connected: false, account: null, verifiedAt: null },
  { provider: 'digitalocean', purpose: 'servers', connected: false, account: null, verifiedAt: null },
];

describe('providers', () => {
  it('lists the providers that take a token first', () => {
    expect(sortProviders(providers).map((item) => item.provider)).toEqual(['digitalocean', 'cloudflare', 'local']);
  });

  it('follows connecting and disconnecting', () => {
    const connected = applyProviderEvent(
      providers,
      envelope('ProviderConnected', {
        provider: 'digitalocean',
        account: 'ops@example.test',
        verifiedAt: '2026-11-27T03:43:02.000Z',
      }),
    );
    expect(connected.find((item) => item.provider === 'digitalocean')).toEqual({
      provider: 'digitalocean',
      purpose: 'servers',
      connected: true,
      account: 'ops@example.test',
      verifiedAt: '2026-11-27T03:43:02.000Z',
    });
    const disconnected = applyProviderEvent(connected, envelope('ProviderDisconnected', { provider: 'digitalocean' }));
    expect(disconnected.find((item) => item.provider === 'digitalocean')).toMatchObject({
      connected: false,
      account: null,
      verifiedAt: null,
    });
    expect(applyProviderEvent(providers, envelope('ServerReady', {}))).toBe(providers);
  });
});
