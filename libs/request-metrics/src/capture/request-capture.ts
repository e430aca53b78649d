import { randomUUID } from 'node:crypto';
import type { RequestMetricRecord } from '@platform/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CaptureBuffer } from './capture-buffer';
import { clientOrigin } from './client-address';
import type { HttpServerMetrics } from './http-server-metrics';
import { queryOf } from './redact-query';

/** What the service knows about the caller once the request has been handled (its auth layer decides). */
export interface CallerFacts {
  readonly requestId?: string;
  readonly userId?: string;
  readonly workspaceId?: string;
  readonly tokenId?: string;
  readonly sessionId?: string;
  readonly errorCode?: string;
}

export interface RequestCaptureOptions {
  /** The service's name (`gateway`) and this replica's, as stored with each record. */
  readonly service: string;
  readonly replica: string;
  /** Peers whose CF-Connecting-IP, X-Real-IP, X-Forwarded-For and CF-IPCountry are believed. */
  readonly trustedProxies: readonly string[];
  describeCaller(request: FastifyRequest, reply: FastifyReply): CallerFacts;
}

/** Route of a request no route matched: one dimension for all of them, never their raw paths. */
export const UNMATCHED_ROUTE = '(unmatched)';

function headerText(value: string | string[] | undefined, max: number): string | null {
  return typeof value === 'string' ? value.slice(0, max) : null;
}

/** The record of one answered request. */
export function recordOf(
  request: FastifyRequest,
  reply: FastifyReply,
  options: RequestCaptureOptions,
  trusted: ReadonlySet<string>,
): RequestMetricRecord {
  const latencyMs = reply.elapsedTime;
  const caller = options.describeCaller(request, reply);
  const origin = clientOrigin(request.socket.remoteAddress, request.headers, trusted);
  const queryStart = request.url.indexOf('?');
  return {
    id: randomUUID(),
    requestId: caller.requestId ?? request.id,
    occurredAt: new Date(Date.now() - latencyMs).toISOString(),
    method: request.method.slice(0, 16),
    route: request.routeOptions.url ?? UNMATCHED_ROUTE,
    path: (queryStart === -1 ? request.url : request.url.slice(0, queryStart)).slice(0, 2000),
    query: queryOf(request.url),
    status: reply.statusCode,
    errorCode: caller.errorCode ?? null,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
    clientIp: origin.address.slice(0, 64),
    userAgent: headerText(request.headers['user-agent'], 512),
    referer: headerText(request.headers.referer, 2000),
    userId: caller.userId ?? null,
    workspaceId: caller.workspaceId ?? null,
    tokenId: caller.tokenId ?? null,
    sessionId: caller.sessionId ?? null,
    country: origin.country,
    service: options.service,
    replica: options.replica,
  };
}

/**
 * Records every answered request into the buffer (and its duration into the Prometheus metrics) from Fastify's
 * onResponse hook: after the answer has left, with no I/O of its own, and nothing it could throw reaches the request.
 */
export function captureRequests(
  fastify: FastifyInstance,
  buffer: CaptureBuffer,
  options: RequestCaptureOptions,
  serverMetrics: HttpServerMetrics,
): void {
  const trusted = new Set(options.trustedProxies);
  fastify.addHook('onRequest', (_request, _reply, done) => {
    serverMetrics.requestStarted();
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    try {
      const record = recordOf(request, reply, options, trusted);
      serverMetrics.requestEnded(record.method, record.route, record.status, record.latencyMs);
      buffer.add(record);
    } catch (error) {
      request.log.warn({ err: error }, 'request metric not recorded');
    }
    done();
  });
}
