import {
  applyDecorators,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  Catch,
  createParamDecorator,
  type ExceptionFilter,
  type ExecutionContext,
  HttpCode,
  Inject,
  Injectable,
  type NestInterceptor,
  RequestMapping,
  RequestMethod,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiRoute } from '@platform/contracts';
import type { z } from 'zod';
import { requireScope, resolveAccess, type IdentityService } from '@platform/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { toErrorResponse } from './http-errors';
import { IdempotencyStore } from './idempotency';
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
    // Only POSTs take an Idempotency-Key; reads skip the interceptor's cost altogether.
    ...(route.method === 'POST' ? [UseInterceptors(IdempotencyInterceptor)] : []),
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
 * and validates the input against the route's contract, before any handler runs.
 */
@Injectable()
export class ApiGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(IDENTITY) private readonly identity: IdentityService,
    @Inject(RATE_LIMITER) private readonly rateLimiter: RateLimiter,
    @Inject(AUTH_RATE_LIMIT) private readonly authRateLimitPerMinute: number,
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
    return true;
  }
}

/**
 * A POST with `Idempotency-Key` answers a retry with the first answer (success or refusal) instead of
 * handling it again. Failures of ours are not remembered, so their retry is handled afresh.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(@Inject(IDEMPOTENCY) private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers['idempotency-key'];
    if (typeof header !== 'string') return next.handle();
    return from(this.handleOnce(context, next, request, header));
  }

  private async handleOnce(context: ExecutionContext, next: CallHandler, request: FastifyRequest, header: string): Promise<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const key = IdempotencyStore.validKey(header);
    const state = stateOf(request);
    const scope = state.access ? `${state.access.workspaceId}:${state.access.principal.userId}` : `public:${request.routeOptions.url}`;
    const fingerprint = IdempotencyStore.fingerprint(request.method, request.url, request.body);
    const earlier = await this.store.claim(scope, key, fingerprint);
    if (earlier) {
      reply.header('idempotent-replayed', 'true');
      reply.code(earlier.status);
      return earlier.body;
    }
    state.idempotencyKey = `${scope}:${key}`;
    try {
      const body: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await this.store.complete(scope, key, { status: reply.statusCode, body });
      return body;
    } catch (error) {
      const { status, body, unexpected } = toErrorResponse(error, state.requestId);
      if (unexpected) await this.store.release(scope, key);
      else await this.store.complete(scope, key, { status, body: { error: body.error } });
      throw error;
    }
  }
}

/** Every error leaves in the API's error shape; faults of ours are logged with the request id. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(GATEWAY_LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const requestId = request.platform?.requestId ?? 'unknown';
    const { status, body, unexpected } = toErrorResponse(error, requestId);
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
