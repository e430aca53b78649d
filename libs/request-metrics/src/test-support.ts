import { randomUUID } from 'node:crypto';
import type { RequestMetricRecord } from '@platform/contracts';

/** A record as the capture makes it, with the given fields changed. */
export function aRecord(fields: Partial<RequestMetricRecord> = {}): RequestMetricRecord {
  return {
    id: randomUUID(),
    requestId: randomUUID(),
    occurredAt: new Date().toISOString(),
    method: 'GET',
    route: '/v1/me',
    path: '/v1/me',
    query: {},
    status: 200,
    errorCode: null,
    latencyMs: 5,
    clientIp: '203.0.113.9',
    userAgent: 'curl/8',
    referer: null,
    userId: randomUUID(),
    workspaceId: randomUUID(),
    tokenId: null,
    sessionId: randomUUID(),
    country: null,
    service: 'gateway',
    replica: 'test-1',
    ...fields,
  };
}
