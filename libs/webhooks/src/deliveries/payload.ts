import { publicEvent, type EventEnvelope } from '@platform/contracts';

/** Deliveries stay under this size: receivers (and their proxies) often refuse larger bodies. */
export const MAX_PAYLOAD_BYTES = 20 * 1024;

/** What an endpoint receives: `{type, timestamp, data}`, data being the event's public shape. */
export interface WebhookPayload {
  readonly type: string;
  readonly timestamp: string;
  readonly data: unknown;
}

/**
 * The body sent for an event, or undefined for an event that has no public shape (never sent). Data larger than
 * the limit keeps its small fields; the large ones are left out and named in `omitted`, with `links` to where they
 * can be read through the API (a deployment's log lines).
 */
export function payloadOf(event: EventEnvelope): string | undefined {
  const shown = publicEvent(event);
  if (!shown) return undefined;
  const whole = JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: shown.data });
  if (Buffer.byteLength(whole) < MAX_PAYLOAD_BYTES) return whole;
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: shortened(shown.data) });
}

const SMALL_FIELD_BYTES = 1024;

function shortened(data: unknown): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  const omitted: string[] = [];
  for (const [field, value] of Object.entries((data ?? {}) as Record<string, unknown>)) {
    if (Buffer.byteLength(JSON.stringify(value) ?? '') <= SMALL_FIELD_BYTES) kept[field] = value;
    else omitted.push(field);
  }
  const deploymentId = typeof kept.deploymentId === 'string' ? kept.deploymentId : undefined;
  return {
    ...kept,
    omitted,
    ...(deploymentId ? { links: { logs: `/v1/deployments/${deploymentId}/logs` } } : {}),
  };
}

/** The body of `POST /v1/webhooks/{id}/test`. */
export function testPayload(endpointId: string, now: Date): string {
  return JSON.stringify({
    type: 'WebhookTest',
    timestamp: now.toISOString(),
    data: { endpointId, message: 'A test event sent from the platform: this endpoint receives and verifies it.' },
  });
}
