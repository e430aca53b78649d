import {
  applyDecorators,
  type ArgumentsHost,
  type CanActivate,
  Catch,
  createParamDecorator,
  type ExceptionFilter,
  type ExecutionContext,
  HttpCode,
  Inject,
  Injectable,
  RequestMapping,
  RequestMethod,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiRoute } from '@platform/contracts';
import type { z } from 'zod';
import { requireScope, resolveAccess, type IdentityService } from '@platform/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { toErrorResponse } from './http-errors';
import { IdempotencyStore, IdempotentReplay, settleIdempotencyClaim, type IdempotencyClaim } from './idempotency';
import { parseInput } from './input';
import type { RateLimiter } from './rate-limiter';
import { accessOf, stateOf } from './request-state';

export const API_ROUTE = Symbol('ApiRoute');
export const IDENTITY = Symbol('IdentityService');
export const RATE_LIMITER = Symbol('RateLimiter');
export const IDEMPOTENCY = Symbol('IdempotencyStore');
export const GATEWAY_LOGGER = Symbol('GatewayLogger');
export const AUTH_RATE_LIMIT = Symbol('AuthRateLimitPerMinute');

/** Serves a controller method as one operation of the public API, as its contract in `apiRoutes` says. */
export function Route(route: ApiRoute) {
  return applyDecorators(
    RequestMapping({ path: route.path, method: RequestMethod[route.method] }),
    HttpCode(route.success.status),
    SetMetadata(API_ROUTE, route),
  );
}

/** The validated path, query and body of the request. */
export const Input = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  return stateOf(context.switchToHttp().getRequest<FastifyRequest>()).input;
});

/** The caller's access (user, workspace, role, scopes); only on authenticated routes. */
export const CallerAccess = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  accessOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

const SESSION_COOKIE = 'session';

function credentialOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, token] = header.split(' ');
    return scheme?.toLowerCase() === 'bearer' && token ? token : '';
  }
  return request.cookies[SESSION_COOKIE];
}

/**
 * Authorization in one place: rate limits the routes that need them, authenticates the credential, picks the
 * workspace (a path's `:workspaceId`, or `X-Workspace-Id`, or the credential's own), checks the route's scope,
 * and validates the input against the route's contract, before any handler runs. Then a POST with an
 * `Idempotency-Key` claims it: a retry gets the first answer (success or refusal) instead of being handled again.
 * The answer is recorded by the onSend hook of `configureHttp` as it leaves; failures of ours are not remembered,
 * so their retry is handled afresh. (A Nest interceptor would do the same at a cost on every POST: Nest binds two
 * async resources and builds an observable chain per call, with or without the header.)
 */
@Injectable()
export class ApiGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(IDENTITY) private readonly identity: IdentityService,
    @Inject(RATE_LIMITER) private readonly rateLimiter: RateLimiter,
    @Inject(AUTH_RATE_LIMIT) private readonly authRateLimitPerMinute: number,
    @Inject(IDEMPOTENCY) private readonly idempotency: IdempotencyStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.reflector.get<ApiRoute | undefined>(API_ROUTE, context.getHandler());
    if (!route) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const state = stateOf(request);
    if (route.auth === 'public') {
      await this.rateLimiter.hit(`${route.operationId}:${request.ip}`, this.authRateLimitPerMinute, 60);
    } else {
      const credential = credentialOf(request);
      const principal = await this.identity.authenticate(credential ?? '');
      const params = request.params as Record<string, string | undefined>;
      const header = request.headers['x-workspace-id'];
      const requested = params.workspaceId ?? (typeof header === 'string' && header ? header : undefined);
      const access = resolveAccess(principal, requested);
      requireScope(access, route.auth);
      state.access = access;
    }
    state.input = parseInput(route, request);
    if (route.method === 'POST') {
      const header = request.headers['idempotency-key'];
      if (typeof header === 'string') await this.claimIdempotencyKey(request, context.switchToHttp().getResponse<FastifyReply>(), header);
    }
    return true;
  }

  private async claimIdempotencyKey(request: FastifyRequest, reply: FastifyReply, header: string): Promise<void> {
    const key = IdempotencyStore.validKey(header);
    const state = stateOf(request);
    const scope = state.access ? `${state.access.workspaceId}:${state.access.principal.userId}` : `public:${request.routeOptions.url}`;
    const fingerprint = IdempotencyStore.fingerprint(request.method, request.url, request.body);
    const earlier = await this.idempotency.claim(scope, key, fingerprint);
    if (earlier) throw new IdempotentReplay(earlier);
    state.idempotencyKey = `${scope}:${key}`;
    const claim: IdempotencyClaim = { store: this.idempotency, scope, key };
    state.idempotency = claim;
    // An answer streamed on the raw response (a followed deployment) never passes the onSend hook: record it at the end.
    reply.raw.once('close', () => {
      if (state.idempotency !== claim) return;
      state.idempotency = undefined;
      void settleIdempotencyClaim(claim, { status: reply.raw.statusCode, payload: undefined, failedOnOurSide: state.failedOnOurSide === true }).catch(
        () => undefined,
      );
    });
  }
}

/** Every error leaves in the API's error shape; faults of ours are logged with the request id. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(GATEWAY_LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof IdempotentReplay) {
      void reply.code(error.response.status).header('idempotent-replayed', 'true').send(error.response.body);
      return;
    }
    const requestId = request.platform?.requestId ?? 'unknown';
    const { status, body, unexpected } = toErrorResponse(error, requestId);
    if (unexpected && request.platform) request.platform.failedOnOurSide = true;
    if (unexpected) this.logger.error({ err: error, requestId, method: request.method, url: request.url }, 'request failed');
    if (status === 429) {
      const retry = (body.error.details?.[0] as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (retry !== undefined) void reply.header('retry-after', String(retry));
    }
    void reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** The validated input of a route, typed from its contract: `@Input() input: RouteInput<typeof apiRoutes.x>`. */
export interface RouteInput<R extends ApiRoute> {
  readonly params: Parsed<R['params']>;
  readonly query: Parsed<R['query']>;
  readonly body: Parsed<R['body']>;
}
