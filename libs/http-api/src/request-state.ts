import type { Access } from '@platform/identity';
import type { FastifyRequest } from 'fastify';

/** What the gateway learned about a request on its way in, for the handler and the error filter. */
export interface RequestState {
  requestId: string;
  access?: Access;
  input?: { params: unknown; query: unknown; body: unknown };
  idempotencyKey?: string;
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
