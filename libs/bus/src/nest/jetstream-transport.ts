import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { BaseRpcContext } from '@nestjs/microservices';
import type { CommandDefinition, CommandEnvelope } from '@platform/contracts';
import { lastValueFrom, type Observable } from 'rxjs';
import { z } from 'zod';
import { Bus, type BusConnectOptions } from '../bus';
import {
  UnprocessableMessageError,
  type CommandConsumerOptions,
  type CommandDelivery,
  type CommandHandled,
} from '../command-consumer';
import { formatIssues } from '../json';
import { queryRoute, type QueryRoute } from '../queries';
import type { QueryCache } from '../query-cache';
import type { Stoppable } from '../resources';
import type { StreamOptions } from '../streams';
import { JetStreamCommandContext, NatsQueryContext } from './contexts';
import { busRouteOf } from './decorators';

interface TransportSettings {
  /** The bounded context this service owns: it takes `cmd.<context>.>` and answers `qry.<context>.*`. */
  context: string;
  /** The durable command consumer shared by the service's replicas. Default: the context. */
  durable?: string;
  streams?: StreamOptions;
  commands?: Pick<
    CommandConsumerOptions,
    'maxDeliver' | 'ackWaitMs' | 'concurrency' | 'retryDelayMs' | 'shutdownGraceMs' | 'readModelsOf'
  >;
  /** Where `@OnQuery(definition, { cached: true })` answers are kept; without it, every query is answered afresh. */
  queryCache?: QueryCache;
}

/** Connect a bus of its own, or use one the application already holds (then `close()` leaves it open). */
export type JetStreamTransportOptions = TransportSettings & (BusConnectOptions | { bus: Bus });

interface CommandRoute {
  definition: CommandDefinition;
  handler: MessageHandler;
}

const CommandHandledSchema = z.object({ eventIds: z.array(z.uuid()), eventTypes: z.array(z.string()).optional() });

/**
 * NestJS transport for the platform bus: `@OnCommand` handlers take the service's commands from its durable
 * JetStream consumer and `@OnQuery` handlers answer its queries. `bus` gives the application the same connection
 * for publishing events.
 */
export class JetStreamTransport extends Server implements CustomTransportStrategy {
  private connected?: Bus;
  private ownsBus = false;
  private readonly started: Stoppable[] = [];

  constructor(private readonly options: JetStreamTransportOptions) {
    super();
  }

  get bus(): Bus {
    if (!this.connected) throw new Error('JetStreamTransport is not listening yet');
    return this.connected;
  }

  override listen(callback: (error?: unknown) => void): void {
    void this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  override async close(): Promise<void> {
    const started = this.started.splice(0);
    await Promise.all(started.map((resource) => resource.stop()));
    if (this.connected && this.ownsBus) await this.connected.close();
  }

  override on(): never {
    throw new Error('JetStreamTransport emits no events; watch `transport.bus.connection.status()` instead');
  }

  override unwrap<T>(): T {
    return this.bus as T;
  }

  private async start(): Promise<void> {
    const { commands, queries } = this.collectRoutes();
    if ('bus' in this.options) {
      this.connected = this.options.bus;
    } else {
      this.connected = await Bus.connect(this.options);
      this.ownsBus = true;
    }
    const bus = this.connected;
    const { context } = this.options;
    try {
      await bus.ensureStreams(this.options.streams);
      if (commands.size > 0) {
        this.started.push(
          await bus.consumeCommands({
            ...this.options.commands,
            context,
            durable: this.options.durable ?? context,
            handle: (command, delivery) => this.dispatchCommand(commands, command, delivery),
          }),
        );
      }
      if (queries.length > 0)
        this.started.push(await bus.serveQueries(context, queries, { cache: this.options.queryCache }));
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Reads the handlers Nest registered; a handler this transport cannot serve is a wiring mistake, caught at start. */
  private collectRoutes(): { commands: Map<string, CommandRoute>; queries: QueryRoute[] } {
    const { context } = this.options;
    const commands = new Map<string, CommandRoute>();
    const queries: QueryRoute[] = [];
    for (const [pattern, handler] of this.getHandlers()) {
      const route = busRouteOf(handler.extras);
      if (!route) throw new Error(`JetStreamTransport serves only @OnCommand and @OnQuery handlers, not ${pattern}`);
      if (route.definition.context !== context) {
        throw new Error(`${pattern} belongs to context ${route.definition.context}, this transport serves ${context}`);
      }
      if (route.kind === 'command') {
        commands.set(route.definition.type, { definition: route.definition, handler });
      } else {
        const { definition } = route;
        queries.push(
          queryRoute(
            definition,
            (request) => this.invoke(handler, request, new NatsQueryContext([this.bus.subjects.query(definition)])),
            { cached: route.cached },
          ),
        );
      }
    }
    return { commands, queries };
  }

  private async dispatchCommand(
    routes: Map<string, CommandRoute>,
    command: CommandEnvelope,
    delivery: CommandDelivery,
  ): Promise<CommandHandled> {
    const route = routes.get(command.type);
    if (!route) {
      throw new UnprocessableMessageError(`no @OnCommand handler for ${this.options.context}.${command.type}`);
    }
    const data = route.definition.data.safeParse(command.data);
    if (!data.success) {
      throw new UnprocessableMessageError(`${command.type} data breaks its contract: ${formatIssues(data.error)}`);
    }
    const result = await this.invoke(
      route.handler,
      { ...command, data: data.data },
      new JetStreamCommandContext([delivery]),
    );
    if (result === undefined) return { eventIds: [] };
    const handled = CommandHandledSchema.safeParse(result);
    if (!handled.success) {
      throw new TypeError(`@OnCommand handler of ${command.type} must return { eventIds: uuid[] } or nothing`);
    }
    return handled.data;
  }

  /** Runs a Nest handler through its guards, pipes and interceptors; it may return a value, a promise or an observable. */
  private invoke(handler: MessageHandler, payload: unknown, context: BaseRpcContext): Promise<unknown> {
    const results: Observable<unknown> = this.transformToObservable(handler(payload, context));
    return lastValueFrom(results, { defaultValue: undefined });
  }
}
