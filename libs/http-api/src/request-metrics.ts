import {
  CaptureBuffer,
  captureRequests,
  defaultCaptureBufferOptions,
  HttpServerMetrics,
  isLocalScraper,
  RequestMetricsQueue,
  type CallerFacts,
} from '@platform/request-metrics';
import { DomainError } from '@platform/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from './gateway-config';
import { toErrorResponse } from './http-errors';
import type { RequestState } from './request-state';

/** Who called and how it ended, as the API's conventions recorded it on the request. */
function callerOf(request: FastifyRequest): CallerFacts {
  const state = request.platform as RequestState | null;
  if (!state) return {};
  const access = state.access;
  const credential = access?.principal.credential;
  return {
    requestId: state.requestId,
    userId: access?.principal.userId,
    workspaceId: access?.workspaceId,
    tokenId: credential?.kind === 'api_token' ? credential.id : undefined,
    sessionId: credential?.kind === 'session' ? credential.id : undefined,
    errorCode: state.errorCode,
  };
}

/**
 * Records every request the gateway answers (see libs/request-metrics) and sends them to the metrics queue in
 * batches; serves the request durations and the capture's state to Prometheus at `/metrics`; stops with the server,
 * handing over what it still holds.
 */
export function captureGatewayRequests(
  fastify: FastifyInstance,
  config: Pick<
    GatewayConfig,
    'REDIS_URL' | 'METRICS_QUEUE_PREFIX' | 'METRICS_BUFFER_RECORDS' | 'TRUST_PROXY' | 'REPLICA_ID'
  >,
  logger: Logger,
): CaptureBuffer {
  const queue = new RequestMetricsQueue({ redisUrl: config.REDIS_URL, prefix: config.METRICS_QUEUE_PREFIX });
  const buffer = new CaptureBuffer(queue, {
    ...defaultCaptureBufferOptions,
    capacity: config.METRICS_BUFFER_RECORDS,
    logger: logger.child({ component: 'request-metrics' }),
  });
  const serverMetrics = new HttpServerMetrics(buffer);
  captureRequests(
    fastify,
    buffer,
    { service: 'gateway', replica: config.REPLICA_ID, trustedProxies: config.TRUST_PROXY, describeCaller: callerOf },
    serverMetrics,
  );
  // Prometheus's scrape, for a scraper on this machine only: the figures span every workspace.
  fastify.get('/metrics', async (request, reply) => {
    if (!isLocalScraper(request.socket.remoteAddress, request.headers['x-forwarded-for']))
      return reply
        .code(404)
        .send(
          toErrorResponse(
            new DomainError('not_found', 'no such route; see /v1/openapi.json for the routes there are'),
            request.platform.requestId,
          ).body,
        );
    return reply.header('content-type', serverMetrics.registry.contentType).send(await serverMetrics.scrape());
  });
  buffer.start();
  fastify.addHook('onClose', async () => {
    await buffer.stop();
    await queue.close();
  });
  return buffer;
}
