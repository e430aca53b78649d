import { randomBytes, randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@platform/contracts';
import { Webhook } from 'standardwebhooks';
import { MAX_PAYLOAD_BYTES, payloadOf } from './payload';
import { signedHeaders } from './signature';

const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const envelope = (type: string, data: unknown): EventEnvelope => ({
  eventId: randomUUID(),
  context: 'deployments',
  type,
  schemaVersion: 1,
  streamId: 's-1',
  streamVersion: 1,
  position: '1',
  data,
  metadata: { workspaceId: 'ws', actorId: 'u', correlationId: 'c' },
  occurredAt: '2026-12-06T12:00:00.000Z',
});

describe('webhook payloads', () => {
  it("is {type, timestamp, data} with the event's public shape: environment values never leave", () => {
    const body = payloadOf(
      envelope('ServiceCreated', {
        serviceId: 's',
        projectId: 'p',
        workspaceId: 'ws',
        name: 'web',
        port: 3000,
        healthCheckPath: '/',
        env: { DATABASE_PASSWORD: 'v1:sealed-value' },
      }),
    );
    expect(JSON.parse(body!)).toEqual({
      type: 'ServiceCreated',
      timestamp: '2026-12-06T12:00:00.000Z',
      data: expect.objectContaining({ name: 'web', env: { DATABASE_PASSWORD: '••••••••' } }),
    });
    expect(body).not.toContain('sealed-value');
  });

  it('sends nothing for an event type without a public shape', () => {
    expect(payloadOf(envelope('SomethingInternal', { secret: 'x' }))).toBeUndefined();
  });

  it('stays under 20 KB: large fields are left out, named, and linked', () => {
    const lines = Array.from({ length: 2000 }, (_, index) => `step ${index}: ${'x'.repeat(40)}`);
    const deploymentId = randomUUID();
    const body = payloadOf(envelope('DeploymentLogged', { deploymentId, serverId: 'srv', step: 'build', lines }))!;
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_PAYLOAD_BYTES);
    expect(JSON.parse(body).data).toEqual({
      deploymentId,
      serverId: 'srv',
      step: 'build',
      omitted: ['lines'],
      links: { logs: `/v1/deployments/${deploymentId}/logs` },
    });
  });
});

describe('webhook signatures', () => {
  it('verify with the official verifier, with either secret during a rotation', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = '{"type":"WebhookTest"}';
    const headers = signedHeaders('msg_1', body, [current, previous], new Date());
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [current, previous])
      expect(new Webhook(secret).verify(body, headers)).toEqual({ type: 'WebhookTest' });
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });
});
