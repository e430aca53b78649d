import 'reflect-metadata';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { DomainError, type ApiRoute, type apiRoutes } from '@platform/contracts';
import { requireScope, resolveAccess, type Access, type Identity } from '@platform/identity';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { CredentialRateLimit } from './credential-rate-limit';
import { toErrorResponse } from './http-errors';
import { IdempotencyStore, IdempotentReplay, settleIdempotencyClaim, type IdempotencyClaim } from './idempotency';
import { parseInput } from './input';
import { JSON_CONTENT_TYPE, JsonBody } from './json-body';
import type { RateLimiter } from './rate-limiter';
import { accessOf, stateOf } from './request-state';
import { SESSION_COOKIE } from './resources/sessions';

export const IDENTITY = Symbol('Identity');
export const RATE_LIMITER = Symbol('RateLimiter');
export const IDEMPOTENCY = Symbol('IdempotencyStore');
export const GATEWAY_LOGGER = Symbol('GatewayLogger');

const API_ROUTE = Symbol('ApiRoute');

/** What a route's method gets: the request and its reply, the validated input, and the caller's access. */
export interface RouteCall<R extends ApiRoute> {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly input: RouteInput<R>;
  /** The caller's access (user, workspace, role, scopes); only on authenticated routes. */
  readonly access: Access;
}

/**
 * A RouteCall as a class: its `access` getter lives on the prototype. An object literal with a getter would
 * get a hidden class of its own per request, and that long-lived class would keep each request's objects
 * alive through the next garbage collections (measured: every request promoted to the old generation).
 */
class Call implements RouteCall<ApiRoute> {
  constructor(
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
    readonly input: RouteInput<ApiRoute>,
  ) {}

  get access(): Access {
    return accessOf(this.request);
  }
}

/** Serves a method as one operation of the public API, as its contract in `apiRoutes` says (see ApiRouter). */
export function Route(route: ApiRoute): MethodDecorator {
  return (target, key) => Reflect.defineMetadata(API_ROUTE, route, target, key);
}

function credentialOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, token] = header.split(' ');
    return scheme?.toLowerCase() === 'bearer' && token ? token : '';
  }
  return request.cookies[SESSION_COOKIE];
}

export interface ApiRouterDependencies {
  readonly identity: Identity;
  readonly rateLimiter: RateLimiter;
  readonly authRateLimitPerMinute: number;
  readonly credentialRateLimit: CredentialRateLimit;
  readonly idempotency: IdempotencyStore;
  readonly logger: Logger;
}

/**
 * Registers the `@Route` methods of the given objects on Fastify, each behind the API's conventions, in one
 * place: rate limits the routes that need them, authenticates the credential, picks the workspace (a path's
 * `:workspaceId`, or `X-Workspace-Id`, or the credential's own), checks the route's scope and validates the input
 * against the route's contract before the method runs; answers with the route's success status, or the error
 * shape. A POST with an `Idempotency-Key` claims it first: a retry gets the first answer (success or refusal)
 * instead of being handled again; the answer is recorded by the onSend hook of `configureHttp` as it leaves.
 * Routes go to Fastify directly rather than through Nest's router: that costs a pipeline of guards, pipes,
 * interceptors and observables on every request that these routes do not use.
 */
export class ApiRouter {
  constructor(private readonly dependencies: ApiRouterDependencies) {}

  register(fastify: FastifyInstance, handlers: readonly object[]): void {
    for (const handler of handlers) {
      const prototype = Object.getPrototypeOf(handler) as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        const route = Reflect.getMetadata(API_ROUTE, prototype, key) as ApiRoute | undefined;
        const method = prototype[key];
        if (!route || typeof method !== 'function') continue;
        const call = (routeCall: RouteCall<ApiRoute>): unknown => method.call(handler, routeCall);
        fastify.route({
          method: route.method,
          url: route.path,
          handler: (request, reply) => this.serve(route, call, request, reply),
        });
      }
    }
  }

  private async serve(
    route: ApiRoute,
    call: (routeCall: RouteCall<ApiRoute>) => unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    try {
      stateOf(request).operationId = route.operationId;
      await this.admit(route, request, reply);
      const result = await call(new Call(request, reply, stateOf(request).input as RouteInput<ApiRoute>));
      // A streamed answer (events, a followed deployment) took the response over.
      if (reply.sent) return reply;
      if (result instanceof JsonBody)
        return reply.code(route.success.status).header('content-type', JSON_CONTENT_TYPE).send(result.bytes);
      return reply.code(route.success.status).send(result);
    } catch (error) {
      return sendError(request, reply, error, this.dependencies.logger);
    }
  }

  private async admit(route: ApiRoute, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { identity, rateLimiter, authRateLimitPerMinute } = this.dependencies;
    const state = stateOf(request);
    if (route.auth === 'public') {
      await rateLimiter.hit(`${route.operationId}:${request.ip}`, authRateLimitPerMinute, 60);
    } else {
      const scope = route.auth;
      const authorize = async () => {
        const principal = await identity.accounts.authenticate(credentialOf(request) ?? '');
        const params = request.params as Record<string, string | undefined>;
        const header = request.headers['x-workspace-id'];
        const requested = params.workspaceId ?? (typeof header === 'string' && header ? header : undefined);
        const access = resolveAccess(principal, requested);
        requireScope(access, scope);
        return access;
      };
      state.access = await authorize();
      state.reauthorize = authorize;
      await this.dependencies.credentialRateLimit.hit(state.access.principal);
    }
    state.input = parseInput(route, request);
    if (route.method === 'POST') {
      const header = request.headers['idempotency-key'];
      if (typeof header === 'string') await this.claimIdempotencyKey(route, request, reply, header);
    }
  }

  private async claimIdempotencyKey(
    route: ApiRoute,
    request: FastifyRequest,
    reply: FastifyReply,
    header: string,
  ): Promise<void> {
    const { idempotency } = this.dependencies;
    const key = IdempotencyStore.validKey(header);
    const state = stateOf(request);
    const scope = state.access
      ? `${state.access.workspaceId}:${state.access.principal.userId}`
      : `public:${request.routeOptions.url}`;
    const fingerprint = idempotency.fingerprint(request.method, request.url, request.body);
    const keepsAnswer = !answersWithCredential(route);
    const earlier = await idempotency.claim(scope, key, fingerprint);
    if (earlier && !keepsAnswer) {
      throw new DomainError(
        'idempotency_key_reused',
        'this Idempotency-Key was used already; the answer held a credential and is not kept: send the request again with a new key',
      );
    }
    if (earlier) throw new IdempotentReplay(earlier);
    state.idempotencyKey = `${scope}:${key}`;
    const claim: IdempotencyClaim = { store: idempotency, scope, key, keepsAnswer };
    state.idempotency = claim;
    // An answer streamed on the raw response (a followed deployment) never passes the onSend hook: record it at the end.
    reply.raw.once('close', () => {
      if (state.idempotency !== claim) return;
      state.idempotency = undefined;
      void settleIdempotencyClaim(claim, {
        status: reply.raw.statusCode,
        payload: undefined,
        failedOnOurSide: state.failedOnOurSide === true,
      }).catch(() => undefined);
    });
  }
}

/**
 * Routes whose answer holds a credential (sign-up, log-in, a new API token, a webhook's signing secret: anything
 * public or answering with a `token` or a `secret`): an Idempotency-Key's record of them keeps no answer, and a
 * retry under the same key is refused.
 */
function answersWithCredential(route: ApiRoute): boolean {
  const schema = route.success.schema;
  return (
    route.auth === 'public' || (schema instanceof z.ZodObject && ('token' in schema.shape || 'secret' in schema.shape))
  );
}

/** Answers with the API's error shape (or the recorded answer of an idempotent retry); faults of ours are logged. */
function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown, logger: Logger): FastifyReply {
  if (error instanceof IdempotentReplay) {
    return reply.code(error.response.status).header('idempotent-replayed', 'true').send(error.response.body);
  }
  const requestId = request.platform?.requestId ?? 'unknown';
  const { status, body, unexpected } = toErrorResponse(error, requestId);
  if (unexpected && request.platform) request.platform.failedOnOurSide = true;
  if (request.platform) request.platform.errorCode = body.error.code;
  if (unexpected) logger.error({ err: error, requestId, method: request.method, url: request.url }, 'request failed');
  if (status === 429) {
    const retry = (body.error.details?.[0] as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (retry !== undefined) void reply.header('retry-after', String(retry));
  }
  return reply.code(status).header('content-type', JSON_CONTENT_TYPE).send(body);
}

/** Errors Fastify raises before a route runs (a body it cannot parse, an unknown route) leave in the error shape too. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(GATEWAY_LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    sendError(
      host.switchToHttp().getRequest<FastifyRequest>(),
      host.switchToHttp().getResponse<FastifyReply>(),
      error,
      this.logger,
    );
  }
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** The validated input of a route, typed from its contract. */
export interface RouteInput<R extends ApiRoute> {
  readonly params: Parsed<R['params']>;
  readonly query: Parsed<R['query']>;
  readonly body: Parsed<R['body']>;
}

type RouteNamed<K extends keyof typeof apiRoutes> = RouteInput<(typeof apiRoutes)[K]>;
/** The validated body, query or path parameters of the route of that name in `apiRoutes`. */
export type RouteBody<K extends keyof typeof apiRoutes> = RouteNamed<K>['body'];
export type RouteQuery<K extends keyof typeof apiRoutes> = RouteNamed<K>['query'];
export type RouteParams<K extends keyof typeof apiRoutes> = RouteNamed<K>['params'];
