import type { ErrorCode } from '@platform/contracts';
import type { Access, RequestContext } from '@platform/identity';
import type { FastifyRequest } from 'fastify';
import type { IdempotencyClaim } from './idempotency';

/** What the gateway learned about a request on its way in, for the handler and the error filter. */
export interface RequestState {
  requestId: string;
  /** The API operation being served (its operationId): the action its audit entry names. */
  operationId?: string;
  access?: Access;
  /**
   * The route's authorization run again with the request's credential, for an answer that outlives the moment it
   * was authorized (an event stream): refuses as the first check would, if access was lost since.
   */
  reauthorize?: () => Promise<Access>;
  input?: { params: unknown; query: unknown; body: unknown };
  idempotencyKey?: string;
  /** The claim of a POST's Idempotency-Key, until its answer is recorded (see `settleIdempotencyClaim`). */
  idempotency?: IdempotencyClaim;
  /** Where the request's command stood when the answer left (see CommandGateway.send); told in X-Command-Status. */
  commandProgress?: CommandStatus;
  /** Set by the exception filter when the request failed on our side rather than being refused. */
  failedOnOurSide?: boolean;
  /** The error code of a refusal or failure, for the request's metric record. */
  errorCode?: ErrorCode;
}

declare module 'fastify' {
  interface FastifyRequest {
    platform: RequestState;
  }
}

export function stateOf(request: FastifyRequest): RequestState {
  return request.platform;
}

export function accessOf(request: FastifyRequest): Access {
  const access = request.platform.access;
  if (!access) throw new Error('no access on a public route: the route definition and its handler disagree');
  return access;
}

/** Where the request came from, for the audit entry of what it changes. */
export function requestContextOf(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    requestId: request.platform.requestId,
    ip: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : '',
  };
}

/** What X-Command-Status says of a command answered 202: a refused one is answered with its refusal instead. */
export type CommandStatus = 'applied' | 'pending';
