import { headers, type Msg, type MsgHdrs, type Subscription } from '@nats-io/transport-node';
import {
  describeIssues,
  DomainError,
  ErrorBodySchema,
  parseOrThrow,
  QueryRequestSchema,
  type ErrorBody,
  type QueryDefinition,
  type QueryParams,
  type QueryRequest,
  type QueryResult,
} from '@platform/contracts';
import type { z } from 'zod';
import { decodeMessage, decodeText, encodeJson } from './json';
import { describeError } from './logger';
import { PendingWork } from './pending-work';
import type { QueryCache } from './query-cache';
import { NoResponders, ReplyTimeout, type InboxReply } from './reply-inbox';
import type { BusResources, Stoppable } from './resources';

/** A query as the caller states it: who asks, and the parameters before their schema's defaults apply. */
export type QueryInput<D extends QueryDefinition> = Omit<QueryRequest, 'params'> & { params: z.input<D['params']> };

export interface QueryOptions {
  /** How long to wait for an answer. Default 5 s. */
  timeoutMs?: number;
}

/** As requestQueryJson, parsed. */
export async function requestQuery<D extends QueryDefinition>(
  resources: BusResources,
  definition: D,
  input: QueryInput<D>,
  options: QueryOptions = {},
): Promise<QueryResult<D>> {
  const json = decodeText(await requestQueryJson(resources, definition, input, options));
  try {
    return JSON.parse(json) as QueryResult<D>;
  } catch {
    throw new DomainError('invalid_message', `${definition.name} result is not JSON`);
  }
}

/**
 * Asks the service owning the query over NATS request/reply and returns its result's JSON, as the answering service
 * checked it against the contract, in bytes of its own (so it can go out as a response body as is: neither parsed
 * nor decoded into a string, and not holding on to the connection's read buffer). Throws DomainError: the
 * answering service's own error, `validation_failed` for bad params (nothing is sent), `timeout`, `unavailable`
 * when no replica listens, `invalid_message` when the answer cannot be read.
 */
export async function requestQueryJson<D extends QueryDefinition>(
  resources: BusResources,
  definition: D,
  input: QueryInput<D>,
  options: QueryOptions = {},
): Promise<Buffer> {
  const params: unknown = parseOrThrow(definition.params, input.params, `${definition.name} params`);
  const request = parseOrThrow(QueryRequestSchema, { ...input, params }, `${definition.name} request`);
  const timeoutMs = options.timeoutMs ?? 5000;
  let answer: InboxReply;
  try {
    answer = await resources.replies.request(resources.subjects.query(definition), encodeJson(request), { timeoutMs });
  } catch (error) {
    if (error instanceof ReplyTimeout) {
      throw new DomainError(
        'timeout',
        `query ${definition.context}.${definition.name} got no answer in ${timeoutMs} ms`,
      );
    }
    if (error instanceof NoResponders) {
      throw new DomainError('unavailable', `no service answers query ${definition.context}.${definition.name}`);
    }
    throw error;
  }
  if (answer.headers?.has(REFUSED_HEADER)) {
    const refusal = decodeMessage(ErrorBodySchema, answer.data, `${definition.name} refusal`);
    throw refusal.ok ? DomainError.fromBody(refusal.value) : new DomainError('invalid_message', refusal.reason);
  }
  return answer.data;
}

/** Answers one query: resolve with the result, or throw a DomainError to refuse. */
export type QueryHandler<D extends QueryDefinition> = (
  request: QueryRequest<QueryParams<D>>,
) => Promise<z.input<D['result']>>;

export interface QueryRoute<D extends QueryDefinition = QueryDefinition> {
  readonly definition: D;
  /**
   * The answer depends only on the workspace and the params, and only on read models that projections write:
   * it may be served from the QueryCache until a projection commits a change in that workspace.
   */
  readonly cached: boolean;
  // Method syntax on purpose: a route for one query must fit in a list of routes for any query.
  handle(request: QueryRequest<QueryParams<D>>): Promise<z.input<D['result']>>;
}

/** Pairs a query definition with its handler, keeping the handler's types tied to the definition. */
export function queryRoute<D extends QueryDefinition>(
  definition: D,
  handle: QueryHandler<D>,
  options: { cached?: boolean } = {},
): QueryRoute<D> {
  return { definition, handle, cached: options.cached ?? false };
}

/**
 * Answers a context's queries. Every replica subscribes in the queue group named after the context, so each
 * request is answered by exactly one replica. Results are checked against their contract here, before they leave,
 * so that callers can pass the JSON on without parsing it again.
 */
export class QueryServer implements Stoppable {
  private readonly inFlight = new PendingWork();
  private readonly subscriptions: Subscription[] = [];
  private stopping?: Promise<void>;
  private markStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));

  private constructor(
    private readonly resources: BusResources,
    private readonly context: string,
    private readonly cache: QueryCache | undefined,
  ) {}

  static async start(
    resources: BusResources,
    context: string,
    routes: readonly QueryRoute[],
    options: QueryServerOptions = {},
  ): Promise<QueryServer> {
    const names = new Set<string>();
    for (const { definition } of routes) {
      if (definition.context !== context) {
        throw new Error(`query ${definition.context}.${definition.name} does not belong to context ${context}`);
      }
      if (names.has(definition.name)) throw new Error(`query ${context}.${definition.name} has two handlers`);
      names.add(definition.name);
    }
    const server = new QueryServer(resources, context, options.cache);
    for (const route of routes) {
      server.subscriptions.push(
        resources.connection.subscribe(resources.subjects.query(route.definition), {
          queue: context,
          callback: (error, msg) => {
            if (error) {
              resources.logger.error({ context, error: describeError(error) }, 'query subscription failed');
              return;
            }
            server.track(server.answer(msg, route));
          },
        }),
      );
    }
    // Round trip to the server: once this resolves, the subscriptions exist and queries will reach them.
    await resources.connection.flush();
    return server;
  }

  /** Stops taking queries and waits for the answers being prepared. */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  whenStopped(): Promise<void> {
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    if (!this.resources.connection.isClosed()) {
      await Promise.all(this.subscriptions.map((subscription) => subscription.drain()));
    }
    await this.inFlight.settled();
    this.markStopped();
  }

  private track(work: Promise<void>): void {
    this.inFlight.track(
      work.catch((error: unknown) => {
        this.resources.logger.error({ context: this.context, error: describeError(error) }, 'could not answer a query');
      }),
    );
  }

  private async answer(msg: Msg, route: QueryRoute): Promise<void> {
    const reply = await this.replyTo(msg, route);
    if (reply.ok) msg.respond(reply.json);
    else msg.respond(encodeJson(reply.error), { headers: refusedHeaders() });
  }

  private async replyTo(msg: Msg, route: QueryRoute): Promise<Reply> {
    const { definition } = route;
    const request = decodeMessage(QueryRequestSchema, msg.data, `${definition.name} request`);
    if (!request.ok) return refusal({ code: 'validation_failed', message: request.reason });
    const params = definition.params.safeParse(request.value.params);
    if (!params.success) {
      return refusal({
        code: 'validation_failed',
        message: `${definition.name} params are not valid`,
        details: describeIssues(params.error),
      });
    }
    const { workspaceId } = request.value;
    const cache = route.cached ? this.cache : undefined;
    const key = cache ? `${definition.name}\n${workspaceId}\n${JSON.stringify(params.data)}` : '';
    const hit = cache?.get(key, workspaceId);
    if (hit !== undefined) return { ok: true, json: hit };
    const stamp = cache?.stamp(workspaceId);
    let value: unknown;
    try {
      value = await route.handle({ ...request.value, params: params.data });
    } catch (error) {
      if (error instanceof DomainError) return refusal(error.toBody());
      // The caller learns that it failed, not how: messages and stacks can carry internals.
      this.resources.logger.error(
        { query: `${this.context}.${definition.name}`, error: describeError(error) },
        'query handler failed',
      );
      return refusal({ code: 'internal', message: `query ${definition.name} failed` });
    }
    const result = safeParseWith<QueryDefinition['result']>(definition.result, value);
    if (!result.success) {
      const details = describeIssues(result.error);
      this.resources.logger.error(
        { query: `${this.context}.${definition.name}`, details },
        'query result breaks its contract',
      );
      return refusal({
        code: 'invalid_message',
        message: `${definition.name} result does not match its contract`,
        details,
      });
    }
    const json = encodeJson(result.data ?? null);
    if (cache && stamp) cache.put(key, workspaceId, stamp, json);
    return { ok: true, json };
  }
}

/** Parses with the schema's own types; through `definition.result` alone TypeScript sees only ZodType's `unknown`. */
function safeParseWith<S extends z.ZodType>(schema: S, value: unknown) {
  return schema.safeParse(value);
}

/** Marks a refusal: its body is an ErrorBody. Without it, the body is the result's JSON. */
const REFUSED_HEADER = 'Platform-Query-Refused';

function refusedHeaders(): MsgHdrs {
  const marked = headers();
  marked.set(REFUSED_HEADER, 'true');
  return marked;
}

type Reply = { ok: true; json: Uint8Array } | { ok: false; error: ErrorBody };

function refusal(error: ErrorBody): Reply {
  return { ok: false, error };
}

export interface QueryServerOptions {
  /** Serves the routes marked `cached` from here while their read models stay unchanged. */
  readonly cache?: QueryCache;
}
