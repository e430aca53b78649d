import type { Bus, EventSubscription } from '@platform/bus';
import { DomainError, publicEvent } from '@platform/contracts';
import type { Logger } from 'pino';
import { auditChangeOf } from './event-audit';
import type { ArrivingEvent, EventFeed, FeedEntry, FeedFilter } from './event-feed';
import { matches } from './event-feed';

/** One SSE connection: what it wants, and where its bytes go. */
export interface EventClient {
  readonly filter: FeedFilter;
  /** The user whose credential opened the stream. */
  readonly userId: string;
  /** Checks again that the credential that opened the stream may still read it; refuses (DomainError) if not. */
  reauthorize(): Promise<unknown>;
  /** Writes one event; false means the client fell too far behind and was disconnected. */
  send(entry: FeedEntry): boolean;
  /** Ends the stream (the gateway is stopping); the client reconnects with Last-Event-ID. */
  end(): void;
  /** Ends the stream with an error the client can read. */
  fail(code: string, message: string): void;
}

const YIELD_EVERY = 50;
/**
 * How long events gather before they are recorded: one insert for the events of a few milliseconds instead of one
 * per event when they trickle in (a round trip to PostgreSQL costs the gateway more than the event itself).
 */
const GATHER_MS = 10;

interface Registration {
  readonly client: EventClient;
  /** Events that arrived while the client was still replaying what it missed. */
  buffer: FeedEntry[] | undefined;
}

/**
 * Follows the EVENTS stream, records each event in the feed, then hands it to the connected clients whose
 * workspace and filters it matches. Recording before fan-out is what makes resuming exact: an event a client
 * did not get live is in the feed by the time the client asks for it.
 */
export class EventHub {
  private readonly registrations = new Set<Registration>();
  private subscription: EventSubscription | undefined;
  /** Events received and not yet recorded; recorded in batches, in order, by one flush at a time. */
  private pending: ArrivingEvent[] = [];
  private flushing: Promise<void> | undefined;
  private stopped = false;
  private received = 0;

  constructor(
    private readonly bus: Bus,
    private readonly feed: EventFeed,
    private readonly logger: Logger,
  ) {}

  get clients(): number {
    return this.registrations.size;
  }

  /** The clients of one workspace connected now. */
  clientsOf(workspaceId: string): number {
    let count = 0;
    for (const registration of this.registrations) if (registration.client.filter.workspaceId === workspaceId) count++;
    return count;
  }

  /** The clients one user has connected now, in every workspace. */
  clientsOfUser(userId: string): number {
    let count = 0;
    for (const registration of this.registrations) if (registration.client.userId === userId) count++;
    return count;
  }

  async start(): Promise<void> {
    const last = await this.feed.lastSequence();
    this.subscription = await this.bus.subscribeEvents({
      start: last > 0 ? { afterSequence: last } : 'all',
      handle: async (event, delivery) => {
        const shown = publicEvent(event);
        if (shown) this.pending.push({ event: shown, sequence: delivery.sequence, audit: auditChangeOf(event) });
        this.flushing ??= this.flush();
        // A burst of events (a relay publishing hundreds at once) arrives in one read: let requests in between.
        if (++this.received % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      },
    });
    void this.subscription.closed().then((error) => {
      if (error)
        this.logger.error({ err: error }, 'the event feed stopped; live events stop until the gateway restarts');
    });
  }

  /**
   * Checks again that each stream of these users (of everyone when none are named) may stay open, and ends those
   * whose credential lost access since it was opened: a token revoked, a session ended or expired, a member removed.
   * A check that fails for another reason (the database unreachable) leaves the stream open until the next one.
   */
  async recheck(userIds?: readonly string[]): Promise<void> {
    const users = userIds && new Set(userIds);
    const checked = [...this.registrations].filter((registration) => !users || users.has(registration.client.userId));
    await Promise.all(
      checked.map(async (registration) => {
        try {
          await registration.client.reauthorize();
        } catch (error) {
          if (!(error instanceof DomainError)) {
            this.logger.warn(
              { err: error },
              'could not check an event stream’s access again; it stays open until the next check',
            );
            return;
          }
          this.registrations.delete(registration);
          registration.client.fail(error.code, `this stream's credential no longer gives access: ${error.message}`);
        }
      }),
    );
  }

  /** Stops following the stream and ends every client's stream, so the HTTP server can close. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const registration of this.registrations) registration.client.end();
    this.registrations.clear();
    await this.subscription?.stop();
    await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      await new Promise((resolve) => setTimeout(resolve, GATHER_MS));
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, 500);
        await this.recordWithRetry(batch);
        for (const { event, sequence } of batch) this.fanOut({ event, sequence });
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async recordWithRetry(batch: ArrivingEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.feed.record(batch);
        return;
      } catch (error) {
        // On restart the feed resumes after the last recorded event, so giving up when stopping loses nothing.
        if (this.stopped) return;
        // Live clients wait rather than get events that a resume could not find again.
        this.logger.warn({ err: error, attempt }, 'recording events in the feed failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5000)));
      }
    }
  }

  private fanOut(entry: FeedEntry): void {
    for (const registration of this.registrations) {
      if (!matches(registration.client.filter, entry.event)) continue;
      if (registration.buffer) registration.buffer.push(entry);
      else if (!registration.client.send(entry)) this.registrations.delete(registration);
    }
  }

  /**
   * Connects a client. With `afterSequence` (the position of its Last-Event-ID), first replays from the feed
   * everything after it, then the events that arrived meanwhile, skipping any already sent, then goes live:
   * nothing lost, nothing twice.
   */
  async connect(client: EventClient, afterSequence?: number): Promise<() => void> {
    const registration: Registration = { client, buffer: afterSequence === undefined ? undefined : [] };
    this.registrations.add(registration);
    const disconnect = () => {
      this.registrations.delete(registration);
    };
    if (afterSequence === undefined) return disconnect;
    try {
      let sequence = afterSequence;
      for (
        let page = await this.feed.after(client.filter, sequence);
        page.length;
        page = await this.feed.after(client.filter, sequence)
      ) {
        for (const entry of page) {
          if (!client.send(entry)) return disconnect;
          sequence = entry.sequence;
        }
      }
      for (const entry of registration.buffer ?? []) {
        if (entry.sequence > sequence && !client.send(entry)) return disconnect;
      }
      registration.buffer = undefined;
      return disconnect;
    } catch (error) {
      disconnect();
      throw error;
    }
  }
}
