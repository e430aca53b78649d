import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, InvalidArgumentError, type NatsConnection } from '@nats-io/transport-node';
import {
  CommandEnvelopeSchema,
  DomainError,
  EventEnvelopeSchema,
  MessageMetadataSchema,
  parseOrThrow,
  Subjects,
  type CommandDefinition,
  type CommandEnvelope,
  type EventEnvelope,
  type MessageMetadata,
  type QueryDefinition,
  type QueryResult,
} from '@platform/contracts';
import type { z } from 'zod';
import { AppliedCommandsFeed, type AppliedCommands } from './applied-commands';
import { CommandConsumer, type CommandConsumerOptions } from './command-consumer';
import { CommandOutcomeWatch } from './command-outcomes';
import { EventSubscription, type EventSubscriptionOptions } from './event-subscription';
import { encodeJson } from './json';
import { defaultBusLogger, type BusLogger } from './logger';
import {
  QueryServer,
  requestQuery,
  requestQueryJson,
  type QueryInput,
  type QueryOptions,
  type QueryRoute,
  type QueryServerOptions,
} from './queries';
import { ReplyInbox } from './reply-inbox';
import type { BusResources, Stoppable } from './resources';
import { StreamRefusal, storeOnStream } from './stream-store';
import { streamSettings, upsertStream, type StreamOptions } from './streams';

export interface BusConnectOptions {
  servers: string | string[];
  /** Namespaces subjects and streams for one environment (each integration test file has its own). */
  prefix?: string;
  /** Connection name shown by the NATS server's monitoring, and the default logger's name. */
  name?: string;
  logger?: BusLogger;
}

export interface SendCommandOptions {
  /** A UUID that identifies the command across retries (derive it from an Idempotency-Key); default a fresh one. */
  commandId?: string;
}

export interface SentCommand {
  commandId: string;
  /** True when JetStream already held a command with this id: it is stored, and will be handled, once. */
  duplicate: boolean;
  sequence: number;
}

export interface PublishedEvent {
  eventId: string;
  /** True when EVENTS already held an event with this id (a relay replaying after a crash). */
  duplicate: boolean;
  sequence: number;
}

/**
 * One NATS connection with JetStream: commands onto COMMANDS, events onto EVENTS, queries over request/reply.
 * Everything started through it (consumers, subscriptions, query servers) is stopped by `close()`.
 */
export class Bus implements BusResources {
  private readonly active = new Set<Stoppable>();
  private closing?: Promise<void>;
  readonly replies: ReplyInbox;

  private constructor(
    readonly connection: NatsConnection,
    readonly jetstream: JetStreamClient,
    readonly manager: JetStreamManager,
    readonly subjects: Subjects,
    readonly logger: BusLogger,
  ) {
    this.replies = new ReplyInbox(connection);
  }

  static async connect(options: BusConnectOptions): Promise<Bus> {
    const subjects = new Subjects(options.prefix);
    // A service outlives NATS restarts and failovers: keep reconnecting instead of giving up.
    // No async traces: they cost every request and publish an Error (a captured stack) made up front in case it
    // fails, and the failures this bus reports (timeouts, no responders, refused publishes) say what failed anyway.
    const connection = await connect({
      servers: options.servers,
      name: options.name,
      maxReconnectAttempts: -1,
      noAsyncTraces: true,
    });
    try {
      const manager: JetStreamManager = await jetstreamManager(connection);
      const logger = options.logger ?? defaultBusLogger(options.name ?? 'bus');
      return new Bus(connection, manager.jetstream(), manager, subjects, logger);
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** Creates COMMANDS, EVENTS and DEADLETTERS, or brings them to the current settings. Safe to call from every replica. */
  async ensureStreams(options: StreamOptions = {}): Promise<void> {
    for (const settings of streamSettings(this.subjects, options)) {
      await upsertStream(this.manager, settings);
    }
  }

  /**
   * Validates the command and stores it on COMMANDS. Resolves once JetStream has it, so a caller may answer
   * "accepted" knowing the command survives any service being down. Throws DomainError `validation_failed`
   * (nothing stored) when the data or metadata do not fit the contract.
   */
  async sendCommand<D extends CommandDefinition>(
    definition: D,
    data: z.input<D['data']>,
    metadata: MessageMetadata,
    options: SendCommandOptions = {},
  ): Promise<SentCommand> {
    // The envelope is built here from checked parts (definitions check their type when defined); what the caller
    // supplies is checked, and the receiver checks the whole envelope again, trusting no sender.
    const envelope: CommandEnvelope = {
      commandId:
        options.commandId === undefined
          ? randomUUID()
          : parseOrThrow(CommandEnvelopeSchema.shape.commandId, options.commandId, 'command id'),
      type: definition.type,
      schemaVersion: definition.schemaVersion,
      data: parseOrThrow(definition.data, data, `${definition.type} data`),
      metadata: parseOrThrow(MessageMetadataSchema, metadata, `${definition.type} metadata`),
      issuedAt: new Date().toISOString(),
    };
    // The command id as message id: JetStream stores a command sent twice within the duplicate window once.
    const stored = await storeOnStream(
      this,
      this.subjects.command(definition),
      encodeJson(envelope),
      envelope.commandId,
    );
    return { commandId: envelope.commandId, duplicate: stored.duplicate, sequence: stored.sequence };
  }

  /** Starts listening for a command's outcome; call it before `sendCommand` so the outcome cannot slip past. */
  watchCommandOutcome(commandId: string, options: { timeoutMs?: number } = {}): CommandOutcomeWatch {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const subscription = this.connection.subscribe(this.subjects.commandOutcome(commandId), {
      max: 1,
      timeout: timeoutMs,
    });
    return new CommandOutcomeWatch(commandId, subscription, timeoutMs);
  }

  /**
   * Follows every command's outcome and the read models' notices, so that callers can wait until their commands
   * are applied (see AppliedCommands). One per process is enough: it serves every command.
   */
  followAppliedCommands(): AppliedCommands {
    return this.track(new AppliedCommandsFeed(this.whileOpen())).commands;
  }

  /** Takes this service's share of its context's commands; see CommandConsumerOptions. */
  async consumeCommands(options: CommandConsumerOptions): Promise<CommandConsumer> {
    return this.track(await CommandConsumer.start(this.whileOpen(), options));
  }

  /**
   * Stores events on EVENTS, each under its event id (so a replay stores nothing twice). All publishes go out at
   * once, in order, on this connection; resolves when every one is acknowledged and rejects (AggregateError) if
   * any is not, in which case the caller should publish the whole batch again.
   */
  async publishEvents(events: readonly EventEnvelope[]): Promise<PublishedEvent[]> {
    const valid = events.map((event, index) => parseOrThrow(EventEnvelopeSchema, event, `event ${index}`));
    const acks = await Promise.allSettled(
      valid.map((event) => storeOnStream(this, this.subjects.event(event), encodeJson(event), event.eventId)),
    );
    const published: PublishedEvent[] = [];
    const failures: unknown[] = [];
    acks.forEach((ack, index) => {
      if (ack.status === 'rejected') failures.push(ack.reason);
      else
        published.push({ eventId: valid[index].eventId, duplicate: ack.value.duplicate, sequence: ack.value.sequence });
    });
    if (failures.length > 0) {
      throw new AggregateError(failures, `${failures.length} of ${events.length} events were not stored`);
    }
    return published;
  }

  /** The largest message the NATS server takes (its `max_payload`, 1 MiB by default), headers included. */
  get maxPayloadBytes(): number {
    return this.connection.info?.max_payload ?? 1024 * 1024;
  }

  /**
   * Whether a `publishEvents` failure is for good: the bus refused an event (too large, not a valid envelope,
   * turned down by the stream), so publishing it again changes nothing. Anything else (NATS or JetStream down, no
   * acknowledgement in time) may pass and is worth retrying.
   */
  isPermanentFailure(error: unknown): boolean {
    if (error instanceof AggregateError) return error.errors.some((each) => this.isPermanentFailure(each));
    if (error instanceof DomainError) return error.code === 'validation_failed';
    if (error instanceof StreamRefusal) return error.code !== undefined && error.code >= 400 && error.code < 500;
    return error instanceof InvalidArgumentError;
  }

  /** Follows EVENTS; see EventSubscriptionOptions for durable (projections) versus ordered (live views). */
  async subscribeEvents(options: EventSubscriptionOptions): Promise<EventSubscription> {
    return this.track(await EventSubscription.start(this.whileOpen(), options));
  }

  /** Asks the owning service; see requestQuery for the errors. */
  query<D extends QueryDefinition>(
    definition: D,
    input: QueryInput<D>,
    options: QueryOptions = {},
  ): Promise<QueryResult<D>> {
    return requestQuery(this.whileOpen(), definition, input, options);
  }

  /** As `query`, but the result's JSON as the owning service checked it, in bytes to pass on without parsing. */
  queryJson<D extends QueryDefinition>(
    definition: D,
    input: QueryInput<D>,
    options: QueryOptions = {},
  ): Promise<Buffer> {
    return requestQueryJson(this.whileOpen(), definition, input, options);
  }

  /** Answers the context's queries, sharing the load with the other replicas (queue group = context). */
  async serveQueries(
    context: string,
    routes: readonly QueryRoute[],
    options: QueryServerOptions = {},
  ): Promise<QueryServer> {
    return this.track(await QueryServer.start(this.whileOpen(), context, routes, options));
  }

  /** Stops everything started through this bus (letting running handlers finish), then drains the connection. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await Promise.all([...this.active].map((resource) => resource.stop()));
    this.replies.close();
    if (!this.connection.isClosed()) await this.connection.drain();
  }

  private whileOpen(): BusResources {
    if (this.closing) throw new Error('the bus is closing');
    return this;
  }

  private track<R extends Stoppable>(resource: R): R {
    this.active.add(resource);
    const forget = () => this.active.delete(resource);
    void resource.whenStopped().then(forget, forget);
    return resource;
  }
}
