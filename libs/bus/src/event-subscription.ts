import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  type JsMsg,
  type OrderedConsumerOptions,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { EventEnvelopeSchema, type EventEnvelope } from '@platform/contracts';
import { exponentialRetryDelayMs } from './concurrency';
import { publishDeadLetter } from './dead-letters';
import { upsertDurableConsumer } from './durable-consumer';
import { decodeMessage } from './json';
import { describeError } from './logger';
import type { BusResources, Stoppable } from './resources';

/** Where a subscription starts when it is new: every stored event, only new ones, or after a known position. */
export type EventStart = 'all' | 'new' | { afterSequence: number };

export interface EventDelivery {
  /** Position of the event on the EVENTS stream; resume with `{ afterSequence }` (an SSE `Last-Event-ID`). */
  readonly sequence: number;
  readonly subject: string;
  readonly deliveryCount: number;
}

export type EventHandler = (event: EventEnvelope, delivery: EventDelivery) => Promise<void>;

export interface EventSubscriptionOptions {
  handle: EventHandler;
  /**
   * One subject filter, e.g. `bus.subjects.eventsOf('deployments')`; default all events. nats-server 2.9 filters
   * a consumer on a single subject only.
   */
  filterSubject?: string;
  /**
   * With a durable name, the position survives restarts and is shared by replicas; events are handled one at a
   * time, in order, each acked after its handler resolved, and a failing event is retried (blocking the ones
   * after it) until it succeeds. Without, an ordered consumer follows the stream in memory with no acks, for
   * live views; a handler error ends the subscription (see `closed()`).
   */
  durable?: string;
  /** Only used when the subscription is created; a durable resumes where it left off. Default 'all'. */
  start?: EventStart;
  /** Durable only: how long a handler may run before JetStream delivers the event again. Default 30 s. */
  ackWaitMs?: number;
  /** Durable only: delay before a failed event is delivered again. Default 1 s doubling to 1 min. */
  retryDelayMs?: (deliveryCount: number) => number;
}

/** Follows the EVENTS stream for a projection, a gateway fan-out or an integration. */
export class EventSubscription implements Stoppable {
  private lastHandled = 0;
  private failure: Error | undefined;
  private stopRequested = false;
  private readonly retryDelayMs: (deliveryCount: number) => number;
  private readonly running: Promise<void>;

  private constructor(
    private readonly resources: BusResources,
    private readonly options: EventSubscriptionOptions,
    private readonly messages: ConsumerMessages,
  ) {
    this.retryDelayMs = options.retryDelayMs ?? exponentialRetryDelayMs;
    this.running = this.run().catch((error: unknown) => {
      this.failure = asError(error);
      this.resources.logger.error(
        { durable: options.durable, error: describeError(error) },
        'event subscription stopped taking events',
      );
    });
  }

  static async start(resources: BusResources, options: EventSubscriptionOptions): Promise<EventSubscription> {
    const stream = resources.subjects.stream('EVENTS');
    const filterSubject = options.filterSubject ?? resources.subjects.events();
    const start = options.start ?? 'all';
    if (options.durable === undefined) {
      const consumer = await resources.jetstream.consumers.get(stream, orderedStart(start, filterSubject));
      return new EventSubscription(resources, options, await consumer.consume());
    }
    await upsertDurableConsumer(resources.manager, stream, {
      durable_name: options.durable,
      description: `events for ${options.durable}`,
      ack_policy: AckPolicy.Explicit,
      filter_subject: filterSubject,
      ack_wait: nanos(options.ackWaitMs ?? 30_000),
      // One unacked event at a time keeps events in stream order, retries included.
      max_ack_pending: 1,
      ...durableStart(start),
    });
    const consumer = await resources.jetstream.consumers.get(stream, options.durable);
    return new EventSubscription(resources, options, await consumer.consume({ max_messages: 1 }));
  }

  /** Stream position of the last event whose handler resolved (0 before the first). */
  get lastSequence(): number {
    return this.lastHandled;
  }

  /** Stops taking events and waits for the handler that is running, if any. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.messages.close();
    await this.running;
  }

  whenStopped(): Promise<void> {
    return this.running;
  }

  /** Resolves when the subscription ends: with the error that ended it, or undefined when it was stopped. */
  async closed(): Promise<Error | undefined> {
    await this.running;
    return this.failure;
  }

  private async run(): Promise<void> {
    for await (const msg of this.messages) {
      if (this.stopRequested) {
        if (this.options.durable !== undefined) handBack(msg);
        continue;
      }
      const keepGoing = await this.process(msg);
      // Leaving the loop closes the consumer's messages (the iterator's own cleanup).
      if (!keepGoing) return;
    }
  }

  /** Handles one event; false when the subscription has to end. */
  private async process(msg: JsMsg): Promise<boolean> {
    const durable = this.options.durable !== undefined;
    const decoded = decodeMessage(EventEnvelopeSchema, msg.data, 'event envelope');
    if (!decoded.ok) {
      this.resources.logger.error(
        { subject: msg.subject, sequence: msg.seq, reason: decoded.reason },
        'skipping an invalid event',
      );
      if (durable) await this.deadLetter(msg, decoded.reason);
      return true;
    }
    const delivery: EventDelivery = { sequence: msg.seq, subject: msg.subject, deliveryCount: msg.info.deliveryCount };
    try {
      await this.options.handle(decoded.value, delivery);
    } catch (error) {
      if (!durable) {
        this.failure = asError(error);
        return false;
      }
      this.resources.logger.warn(
        { durable: this.options.durable, eventId: decoded.value.eventId, error: describeError(error) },
        'event handler failed; the event will be delivered again',
      );
      msg.nak(this.retryDelayMs(delivery.deliveryCount));
      return true;
    }
    if (durable) msg.ack();
    this.lastHandled = msg.seq;
    return true;
  }

  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    try {
      await publishDeadLetter(this.resources, msg, reason);
      msg.term();
    } catch (error) {
      this.resources.logger.error(
        { subject: msg.subject, error: describeError(error) },
        'could not dead-letter an event',
      );
      msg.nak(this.retryDelayMs(msg.info.deliveryCount));
    }
  }
}

/** An event pulled but not handled during shutdown goes straight back for the next subscriber. */
function handBack(msg: JsMsg): void {
  try {
    msg.nak();
  } catch {
    // The connection is gone; JetStream redelivers the event after its ack wait.
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function durableStart(start: EventStart): Pick<ConsumerConfig, 'deliver_policy' | 'opt_start_seq'> {
  if (start === 'all') return { deliver_policy: DeliverPolicy.All };
  if (start === 'new') return { deliver_policy: DeliverPolicy.New };
  return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.afterSequence + 1 };
}

function orderedStart(start: EventStart, filterSubject: string): Partial<OrderedConsumerOptions> {
  if (start === 'all') return { filter_subjects: filterSubject, deliver_policy: DeliverPolicy.All };
  if (start === 'new') return { filter_subjects: filterSubject, deliver_policy: DeliverPolicy.New };
  return {
    filter_subjects: filterSubject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start.afterSequence + 1,
  };
}
