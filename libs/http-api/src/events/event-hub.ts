import type { Bus, EventSubscription } from '@platform/bus';
import type { Logger } from 'pino';
import type { EventFeed, FeedEntry, FeedFilter } from './event-feed';
import { matches } from './event-feed';

/** One SSE connection: what it wants, and where its bytes go. */
export interface EventClient {
  readonly filter: FeedFilter;
  /** Writes one event; false means the client fell too far behind and was disconnected. */
  send(entry: FeedEntry): boolean;
  /** Ends the stream (the gateway is stopping); the client reconnects with Last-Event-ID. */
  end(): void;
}

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

  constructor(
    private readonly bus: Bus,
    private readonly feed: EventFeed,
    private readonly logger: Logger,
  ) {}

  get clients(): number {
    return this.registrations.size;
  }

  async start(): Promise<void> {
    const last = await this.feed.lastSequence();
    this.subscription = await this.bus.subscribeEvents({
      start: last > 0 ? { afterSequence: last } : 'all',
      handle: (event, delivery) => this.receive({ event, sequence: delivery.sequence }),
    });
    void this.subscription.closed().then((error) => {
      if (error) this.logger.error({ err: error }, 'the event feed stopped; live events stop until the gateway restarts');
    });
  }

  /** Stops following the stream and ends every client's stream, so the HTTP server can close. */
  async stop(): Promise<void> {
    for (const registration of this.registrations) registration.client.end();
    this.registrations.clear();
    await this.subscription?.stop();
  }

  private async receive(entry: FeedEntry): Promise<void> {
    await this.feed.record([entry]);
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
      for (let page = await this.feed.after(client.filter, sequence); page.length; page = await this.feed.after(client.filter, sequence)) {
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
