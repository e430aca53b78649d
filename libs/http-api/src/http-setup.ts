import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dropDeprecatedAsyncResourceAccessor } from './async-resource-bind';
import { COMMAND_STATUS_HEADER } from './commands';
import type { GatewayConfig } from './gateway-config';
import { toErrorResponse } from './http-errors';
import { settleIdempotencyClaim } from './idempotency';
import { JSON_CONTENT_TYPE } from './json-body';
import type { RequestState } from './request-state';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Response headers a browser script on an allowed origin may read (others than CORS's few simple ones). */
const EXPOSED_HEADERS = ['x-request-id', COMMAND_STATUS_HEADER, 'retry-after', 'idempotent-replayed', 'location'].join(
  ', ',
);
const ARCHIVE_TYPES = ['application/gzip', 'application/x-gzip', 'application/zip', 'application/octet-stream'];

const API_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/**
 * What every response gets, whatever route it comes from: an `X-Request-Id` (the caller's, when it is a
 * sane one), security headers, and CORS answers only for the origins configured (none by default).
 */
export async function configureHttp(
  fastify: FastifyInstance,
  config: Pick<GatewayConfig, 'CORS_ORIGINS' | 'SHUTDOWN_GRACE_MS'>,
): Promise<void> {
  dropDeprecatedAsyncResourceAccessor();
  await fastify.register(cookie);
  // The API speaks JSON only: any other body is refused with 415 instead of reaching validation as a string.
  fastify.removeContentTypeParser('text/plain');
  // Archives (POST /v1/uploads) are streamed to disk as they arrive, never held in memory.
  fastify.addContentTypeParser(ARCHIVE_TYPES, (_request, payload, done) => done(null, payload));
  fastify.decorateRequest('platform', null as never);
  // A stop waits for requests in progress, but not for ever: a client that never finishes its request (or a
  // long upload) would hold the process for the server's whole header timeout. Past the grace, they are cut.
  fastify.addHook('preClose', (done) => {
    setTimeout(() => fastify.server.closeAllConnections(), config.SHUTDOWN_GRACE_MS).unref();
    done();
  });
  const allowedOrigins = new Set(config.CORS_ORIGINS);

  // Both hooks take `done` instead of being async: they run on every request, and a promise per hook is a cost.
  // The security headers are set before the route runs, so a route that needs others (the docs page's CSP)
  // replaces them, without a check per header on the way out.
  fastify.addHook('onRequest', (request, reply, done) => {
    const offered = request.headers['x-request-id'];
    const requestId = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
    request.platform = { requestId };
    reply.header('x-request-id', requestId).headers(API_SECURITY_HEADERS);
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    const origin = request.headers.origin;
    if (origin && allowedOrigins.has(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      reply.header('access-control-expose-headers', EXPOSED_HEADERS);
      reply.header('vary', 'Origin');
      if (request.method === 'OPTIONS') {
        reply
          .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
          .header(
            'access-control-allow-headers',
            'authorization, content-type, idempotency-key, last-event-id, x-request-id, x-workspace-id',
          )
          .header('access-control-max-age', '600')
          .code(204)
          .send();
        return;
      }
    }
    done();
  });

  fastify.addHook('onSend', (request, reply, payload, done) => {
    const state = request.platform as RequestState | null;
    if (state?.commandProgress) reply.header(COMMAND_STATUS_HEADER, state.commandProgress);
    const claim = state?.idempotency;
    if (!state || !claim) {
      done(null, payload);
      return;
    }
    // The answer to a POST that claimed an Idempotency-Key is recorded before it leaves, so a retry finds it.
    state.idempotency = undefined;
    settleIdempotencyClaim(claim, {
      status: reply.statusCode,
      payload,
      failedOnOurSide: state.failedOnOurSide === true,
    }).then(
      () => done(null, payload),
      (error: unknown) => {
        void claim.store.release(claim.scope, claim.key).catch(() => undefined);
        const failure = toErrorResponse(error, state.requestId);
        reply.code(failure.status).header('content-type', JSON_CONTENT_TYPE);
        done(null, JSON.stringify(failure.body));
      },
    );
  });
}

/**
 * Fastify's `frameworkErrors`: it refuses a malformed URL (a broken percent-encoding, an over-long parameter)
 * before any hook runs; the answer still takes the API's error shape, its request id and its headers.
 */
export function answerFrameworkError(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  const requestId = randomUUID();
  const { status, body } = toErrorResponse(error, requestId);
  void reply
    .code(status)
    .header('x-request-id', requestId)
    .headers(API_SECURITY_HEADERS)
    .header('content-type', JSON_CONTENT_TYPE)
    .send(body);
}
