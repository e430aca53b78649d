import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subjects } from '@platform/contracts';
import type { BusLogger } from './logger';
import type { ReplyInbox } from './reply-inbox';

/** What consumers, subscriptions and query servers share with the Bus that started them. */
export interface BusResources {
  readonly connection: NatsConnection;
  readonly jetstream: JetStreamClient;
  readonly manager: JetStreamManager;
  readonly subjects: Subjects;
  readonly logger: BusLogger;
  /** Requests and their replies: queries, and messages stored on streams. */
  readonly replies: ReplyInbox;
}

/** Something the Bus started and must stop before it closes its connection. */
export interface Stoppable {
  stop(): Promise<void>;
  /** Resolves once stopped, whoever stopped it. */
  whenStopped(): Promise<void>;
}
