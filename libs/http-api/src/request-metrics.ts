import {
  CaptureBuffer,
  captureRequests,
  defaultCaptureBufferOptions,
  RequestMetricsQueue,
  type CallerFacts,
} from '@platform/request-metrics';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from './gateway-config';
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
 * batches; stops with the server, handing over what it still holds.
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
  captureRequests(fastify, buffer, {
    service: 'gateway',
    replica: config.REPLICA_ID,
    trustedProxies: config.TRUST_PROXY,
    describeCaller: callerOf,
  });
  buffer.start();
  fastify.addHook('onClose', async () => {
    await buffer.stop();
    await queue.close();
  });
  return buffer;
}
