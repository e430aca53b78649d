import { randomUUID } from 'node:crypto';
import type { Bus } from '@platform/bus';
import type { CommandDefinition, QueryDefinition, QueryParams, QueryResult } from '@platform/contracts';
import { nameBasedUuid } from '@platform/service-kit';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { JsonBody } from './json-body';
import { accessOf, stateOf } from './request-state';

/**
 * Turns an API request into a command or a query on the bus, in the caller's workspace and with the request
 * id as correlation id. Under an Idempotency-Key, ids derive from the key, so a retry after a crash sends the
 * very same command (which JetStream then drops as a duplicate).
 */
export class CommandGateway {
  constructor(private readonly bus: Bus) {}

  /** A new resource's id: random, or derived from the Idempotency-Key. */
  newId(request: FastifyRequest, kind: string): string {
    const key = stateOf(request).idempotencyKey;
    return key ? nameBasedUuid(`${kind}:${key}`) : randomUUID();
  }

  async send<D extends CommandDefinition>(
    request: FastifyRequest,
    definition: D,
    data: z.input<D['data']>,
  ): Promise<string> {
    const access = accessOf(request);
    const state = stateOf(request);
    const sent = await this.bus.sendCommand(
      definition,
      data,
      { workspaceId: access.workspaceId, actorId: access.principal.userId, correlationId: state.requestId },
      state.idempotencyKey ? { commandId: nameBasedUuid(`command:${state.idempotencyKey}`) } : {},
    );
    return sent.commandId;
  }

  query<D extends QueryDefinition>(
    request: FastifyRequest,
    definition: D,
    params: QueryParams<D>,
    options: { timeoutMs?: number } = {},
  ): Promise<QueryResult<D>> {
    return this.bus.query(definition, this.queryInput(request, params), options);
  }

  /**
   * The query's answer as the response body, in the JSON the owning service wrote and checked against the
   * contract: passed on without being parsed and serialized again.
   */
  async relay<D extends QueryDefinition>(
    request: FastifyRequest,
    definition: D,
    params: QueryParams<D>,
  ): Promise<JsonBody> {
    return new JsonBody(await this.bus.queryJson(definition, this.queryInput(request, params)));
  }

  private queryInput<D extends QueryDefinition>(request: FastifyRequest, params: QueryParams<D>) {
    const access = accessOf(request);
    return {
      workspaceId: access.workspaceId,
      actorId: access.principal.userId,
      correlationId: stateOf(request).requestId,
      params: params as z.input<D['params']>,
    };
  }
}
