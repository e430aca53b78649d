import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import {
  CommandEnvelopeSchema,
  CommandOutcomeSchema,
  DomainError,
  type CommandEnvelope,
  type CommandOutcome,
  type ErrorBody,
} from '@platform/contracts';
import { exponentialRetryDelayMs, Semaphore, settlesWithin } from './concurrency';
import { publishDeadLetter } from './dead-letters';
import { upsertDurableConsumer } from './durable-consumer';
import { decodeMessage, encodeJson } from './json';
import { describeError } from './logger';
import { PendingWork } from './pending-work';
import type { BusResources, Stoppable } from './resources';

/** Where and how often a command has been delivered; a redelivered command must find its work already done. */
export interface CommandDelivery {
  readonly subject: string;
  readonly deliveryCount: number;
  readonly streamSequence: number;
}

/** What a handler reports after it committed: the events the command produced (none when it was a no-op). */
export interface CommandHandled {
  eventIds: string[];
  /** Their types, which say the read models that will apply them (see `readModelsOf`). */
  eventTypes?: string[];
}

/**
 * Handles one command. Resolve only after the work is committed: the command is acked when this resolves.
 * Throw a DomainError to refuse the command (acked, not retried, reported in the outcome); throw an
 * UnprocessableMessageError when the command can never be handled (dead-lettered at once); anything else is a
 * failure and the command is delivered again later.
 */
export type CommandHandler = (command: CommandEnvelope, delivery: CommandDelivery) => Promise<CommandHandled>;

/** Thrown by a handler for a command that no retry can fix (unknown type, data that breaks the contract). */
export class UnprocessableMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnprocessableMessageError';
  }
}

export interface CommandConsumerOptions {
  /** The bounded context whose commands (`cmd.<context>.>`) this consumer takes. */
  context: string;
  /** The durable consumer's name; every replica of a service uses the same one so each command is handled once. */
  durable: string;
  handle: CommandHandler;
  /** How many times the handler may try a command before it is dead-lettered. Default 5. */
  maxDeliver?: number;
  /** How long a delivery may go without ack or heartbeat before JetStream gives it to another replica. Default 30 s. */
  ackWaitMs?: number;
  /** Commands handled at once by this replica. Default 32. */
  concurrency?: number;
  /** Delay before a failed command is delivered again, by the delivery count that failed. Default 1 s doubling to 1 min. */
  retryDelayMs?: (deliveryCount: number) => number;
  /** How long `stop()` waits for running handlers before it leaves their commands to be redelivered. Default 30 s. */
  shutdownGraceMs?: number;
  /**
   * The service's read models that apply events of these types, named in the outcome so that a caller can wait
   * for them (see AppliedCommands). Default: none.
   */
  readModelsOf?: (eventTypes: readonly string[]) => string[];
}

/**
 * One replica's share of a service's durable pull consumer on COMMANDS. A command is acked only after its handler
 * resolved; a handler that keeps failing, or a command that keeps killing its process, ends on DEADLETTERS.
 */
type Settings = Required<CommandConsumerOptions>;

export class CommandConsumer implements Stoppable {
  private readonly heartbeatMs: number;
  private readonly slots: Semaphore;
  private readonly inFlight = new PendingWork();
  private readonly running: Promise<void>;
  private stopping?: Promise<void>;
  private markStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  /** Set when shutdown gave up waiting: heartbeats end so JetStream hands the commands to another replica. */
  private abandoned = false;

  private constructor(
    private readonly resources: BusResources,
    private readonly settings: Settings,
    private readonly messages: ConsumerMessages,
  ) {
    // Three heartbeats per ack wait, so one lost heartbeat does not cost the delivery.
    this.heartbeatMs = Math.max(100, Math.floor(settings.ackWaitMs / 3));
    this.slots = new Semaphore(settings.concurrency);
    this.running = this.run().catch((error: unknown) => {
      this.resources.logger.error(
        { durable: settings.durable, error: describeError(error) },
        'command consumer stopped taking commands',
      );
    });
  }

  static async start(resources: BusResources, options: CommandConsumerOptions): Promise<CommandConsumer> {
    const settings: Settings = {
      ...options,
      maxDeliver: options.maxDeliver ?? 5,
      ackWaitMs: options.ackWaitMs ?? 30_000,
      concurrency: options.concurrency ?? 32,
      retryDelayMs: options.retryDelayMs ?? exponentialRetryDelayMs,
      shutdownGraceMs: options.shutdownGraceMs ?? 30_000,
      readModelsOf: options.readModelsOf ?? (() => []),
    };
    for (const setting of ['maxDeliver', 'concurrency'] as const) {
      if (!Number.isInteger(settings[setting]) || settings[setting] < 1) {
        throw new Error(`${setting} must be a positive integer, got ${settings[setting]}`);
      }
    }
    const stream = resources.subjects.stream('COMMANDS');
    await upsertDurableConsumer(resources.manager, stream, {
      durable_name: settings.durable,
      description: `commands of ${settings.context}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: resources.subjects.commandsOf(settings.context),
      ack_wait: nanos(settings.ackWaitMs),
      // One delivery more than the handler gets: that one only moves a command whose attempts all died
      // with their process (no nak, no ack) to DEADLETTERS, without running it again.
      max_deliver: settings.maxDeliver + 1,
    });
    const consumer = await resources.jetstream.consumers.get(stream, settings.durable);
    // Keep about as many commands pulled as we can run: a pulled command's ack wait runs while it waits for a slot.
    const messages = await consumer.consume({ max_messages: settings.concurrency });
    return new CommandConsumer(resources, settings, messages);
  }

  /** Stops pulling, hands back pulled commands not yet started, and waits for running handlers (up to the grace). */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  whenStopped(): Promise<void> {
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    if (this.resources.connection.isClosed()) {
      // Nothing can be acked any more; JetStream redelivers whatever was running once its ack wait expires.
      this.abandoned = true;
    } else {
      const finished = await settlesWithin(
        Promise.all([this.messages.close(), this.running, this.inFlight.settled()]),
        this.settings.shutdownGraceMs,
      );
      if (!finished) {
        this.abandoned = true;
        this.resources.logger.warn(
          { durable: this.settings.durable, running: this.inFlight.size },
          'commands still running after the shutdown grace period; they will be redelivered',
        );
      }
    }
    this.markStopped();
  }

  private async run(): Promise<void> {
    for await (const msg of this.messages) {
      if (this.stopping) {
        this.handBack(msg);
        continue;
      }
      await this.slots.acquire();
      if (this.stopping) {
        this.slots.release();
        this.handBack(msg);
        continue;
      }
      const work = this.process(msg)
        .catch((error: unknown) => {
          this.resources.logger.error(
            { durable: this.settings.durable, subject: msg.subject, error: describeError(error) },
            'could not settle a command delivery; JetStream will redeliver it',
          );
        })
        .finally(() => this.slots.release());
      this.inFlight.track(work);
    }
  }

  /** A command pulled but not started during shutdown goes straight back, for another replica to take now. */
  private handBack(msg: JsMsg): void {
    try {
      msg.nak();
    } catch {
      // The connection is already gone; JetStream redelivers the command after its ack wait.
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    const { deliveryCount } = msg.info;
    const decoded = decodeMessage(CommandEnvelopeSchema, msg.data, 'command envelope');
    const commandId = decoded.ok ? decoded.value.commandId : undefined;
    if (deliveryCount > this.settings.maxDeliver) {
      // Only a last attempt that never finished (its process died or lost its connection) leads here. Not running
      // the handler again keeps a command that crashes its process from crashing every replica forever.
      await this.deadLetter(
        msg,
        `no attempt finished in ${this.settings.maxDeliver} deliveries`,
        commandId,
        'internal',
      );
      return;
    }
    if (!decoded.ok) {
      await this.deadLetter(msg, decoded.reason, undefined, 'invalid_message');
      return;
    }
    const command = decoded.value;
    const delivery: CommandDelivery = { subject: msg.subject, deliveryCount, streamSequence: msg.info.streamSequence };
    let handled: CommandHandled;
    try {
      handled = await this.withHeartbeat(msg, () => this.settings.handle(command, delivery));
    } catch (error) {
      await this.handleFailure(msg, command, error);
      return;
    }
    msg.ack();
    const readModels = handled.eventIds.length > 0 ? this.settings.readModelsOf(handled.eventTypes ?? []) : [];
    this.announce({
      ok: true,
      commandId: command.commandId,
      eventIds: handled.eventIds,
      ...(readModels.length > 0 && { readModels }),
    });
  }

  private async handleFailure(msg: JsMsg, command: CommandEnvelope, error: unknown): Promise<void> {
    const { deliveryCount } = msg.info;
    const logDetails = {
      durable: this.settings.durable,
      commandId: command.commandId,
      type: command.type,
      deliveryCount,
    };
    if (error instanceof DomainError) {
      // A refusal is an answer, not a failure: retrying would refuse again.
      msg.ack();
      this.announce({ ok: false, commandId: command.commandId, error: error.toBody() });
      return;
    }
    if (error instanceof UnprocessableMessageError) {
      this.resources.logger.warn({ ...logDetails, error: error.message }, 'command cannot be handled; dead-lettering');
      await this.deadLetter(msg, error.message, command.commandId, 'invalid_message');
      return;
    }
    const reason = describeError(error);
    if (deliveryCount >= this.settings.maxDeliver) {
      this.resources.logger.error(
        { ...logDetails, error: reason },
        'command failed on its last attempt; dead-lettering',
      );
      await this.deadLetter(msg, `failed ${deliveryCount} times; last error: ${reason}`, command.commandId, 'internal');
      return;
    }
    this.resources.logger.warn({ ...logDetails, error: reason }, 'command failed; it will be delivered again');
    msg.nak(this.settings.retryDelayMs(deliveryCount));
  }

  /** Tells JetStream the handler is still alive, so a long handler keeps its command instead of losing it. */
  private async withHeartbeat<T>(msg: JsMsg, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      if (this.abandoned) {
        clearInterval(timer);
        return;
      }
      try {
        msg.working();
      } catch {
        // The connection is gone; JetStream redelivers the command after its ack wait.
        clearInterval(timer);
      }
    }, this.heartbeatMs);
    timer.unref();
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  private async deadLetter(
    msg: JsMsg,
    reason: string,
    commandId: string | undefined,
    code: ErrorBody['code'],
  ): Promise<void> {
    try {
      await publishDeadLetter(this.resources, msg, reason);
    } catch (error) {
      // Keep the command rather than lose it. If no delivery is left JetStream keeps it in the stream (and emits
      // a max-deliveries advisory) until someone looks at it.
      this.resources.logger.error(
        { durable: this.settings.durable, subject: msg.subject, error: describeError(error) },
        'could not dead-letter a command; it stays on COMMANDS',
      );
      msg.nak(this.settings.retryDelayMs(msg.info.deliveryCount));
      return;
    }
    msg.term();
    if (commandId !== undefined) {
      const message = code === 'internal' ? 'the command could not be handled' : reason;
      this.announce({ ok: false, commandId, error: { code, message } });
    }
  }

  /** Best effort on core NATS: the outcome is for callers waiting right now; the events are the durable record. */
  private announce(outcome: CommandOutcome): void {
    const checked = CommandOutcomeSchema.safeParse(outcome);
    if (!checked.success) {
      this.resources.logger.error(
        { durable: this.settings.durable, commandId: outcome.commandId },
        'command handler reported an outcome that breaks the contract (event ids must be UUIDs); not announced',
      );
      return;
    }
    try {
      this.resources.connection.publish(
        this.resources.subjects.commandOutcome(outcome.commandId),
        encodeJson(checked.data),
      );
    } catch (error) {
      this.resources.logger.warn(
        { commandId: outcome.commandId, error: describeError(error) },
        'could not announce a command outcome',
      );
    }
  }
}
