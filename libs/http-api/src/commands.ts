import { randomUUID } from 'node:crypto';
import type { AppliedCommands, Bus } from '@platform/bus';
import {
  DomainError,
  type CommandDefinition,
  type QueryDefinition,
  type QueryParams,
  type QueryResult,
} from '@platform/contracts';
import { originOf } from '@platform/identity';
import { nameBasedUuid } from '@platform/service-kit';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { JsonBody } from './json-body';
import { accessOf, requestContextOf, stateOf, type CommandStatus } from './request-state';

/** The response header that says whether the request's command was applied before the answer left. */
export const COMMAND_STATUS_HEADER = 'x-command-status';

/**
 * Turns an API request into a command or a query on the bus, in the caller's workspace and with the request
 * id as correlation id. Under an Idempotency-Key, ids derive from the key, so a retry after a crash sends the
 * very same command (which JetStream then drops as a duplicate).
 */
export class CommandGateway {
  /**
   * @param applied the process's one follower of command outcomes and read models' notices
   * @param applyWaitMs how long a command's answer waits for it to be applied before it leaves as `pending`
   */
  constructor(
    private readonly bus: Bus,
    private readonly applied: AppliedCommands,
    private readonly applyWaitMs: number,
  ) {}

  /** A new resource's id: random, or derived from the Idempotency-Key. */
  newId(request: FastifyRequest, kind: string): string {
    const key = stateOf(request).idempotencyKey;
    return key ? nameBasedUuid(`${kind}:${key}`) : randomUUID();
  }

  /**
   * Stores the command on JetStream, then waits (up to `applyWaitMs`) until its service applied it: its events
   * are in the read models that the caller's next request reads. So a client can use what it made as soon as it
   * has the answer; when the wait ends first the command is still stored and will be applied, and the answer says
   * `pending`. Not waited for: a command JetStream already held (a retry of a crashed request: its outcome may
   * have been announced long ago), one whose caller sent `Prefer: respond-async` (RFC 7240), and one followed on
   * an event stream (`Accept: text/event-stream`), whose events show it applied and come after `accepted`.
   */
  async send<D extends CommandDefinition>(
    request: FastifyRequest,
    definition: D,
    data: z.input<D['data']>,
  ): Promise<string> {
    const access = accessOf(request);
    const state = stateOf(request);
    const commandId = state.idempotencyKey ? nameBasedUuid(`command:${state.idempotencyKey}`) : randomUUID();
    // Expected before it is sent, so that an outcome announced before `send` returns is not missed.
    const wait = this.applied.expect(commandId);
    let duplicate: boolean;
    try {
      ({ duplicate } = await this.bus.sendCommand(
        definition,
        data,
        {
          workspaceId: access.workspaceId,
          actorId: access.principal.userId,
          correlationId: state.requestId,
          // Copied onto the events the command decides: its audit entry is derived from them (see EventHub).
          origin: originOf(access.principal, state.operationId ?? definition.type, requestContextOf(request)),
        },
        { commandId },
      ));
    } catch (error) {
      wait.cancel();
      throw error;
    }
    if (duplicate || answersAtOnce(request)) wait.cancel();
    const settlement = await wait.settled(this.applyWaitMs);
    // The owning service said no: the caller hears why, with its code and status, as from a check made here.
    if (settlement.progress === 'refused') throw DomainError.fromBody(settlement.error);
    state.commandProgress = leastSettled(state.commandProgress, settlement.progress);
    return commandId;
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
    const state = stateOf(request);
    return {
      workspaceId: access.workspaceId,
      actorId: access.principal.userId,
      correlationId: state.requestId,
      // A query that changes state records events with its origin, for their audit entry (see EventHub).
      ...(request.method !== 'GET' && {
        origin: originOf(access.principal, state.operationId ?? request.method, requestContextOf(request)),
      }),
      params: params as z.input<D['params']>,
    };
  }
}

/** A request that sent several commands tells how far the least advanced one got. */
function leastSettled(earlier: CommandStatus | undefined, progress: CommandStatus): CommandStatus {
  return earlier === 'pending' ? earlier : progress;
}

function answersAtOnce(request: FastifyRequest): boolean {
  return (
    /(^|[\s,])respond-async\b/i.test(String(request.headers.prefer ?? '')) ||
    String(request.headers.accept ?? '').includes('text/event-stream')
  );
}
