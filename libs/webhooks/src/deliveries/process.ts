import type { Bus, EventSubscription } from '@platform/bus';
import { webhookSecretContext, type EventEnvelope, type MessageMetadata } from '@platform/contracts';
import { LeaderLease } from '@platform/event-store';
import type { ResolveHost } from '@platform/outbound';
import type { SecretBox } from '@platform/secrets';
import { nameBasedUuid } from '@platform/service-kit';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { WebhookEndpointCommand } from '../endpoints/decider';
import type { DeliveryTarget, WebhookEndpointQueries } from '../endpoints/queries';
import { payloadOf, testPayload } from './payload';
import { nextAttemptDelayMs, retryAfterMs } from './schedule';
import { sendAttempt, type AttemptOutcome } from './sender';
import { signedHeaders } from './signature';
import type { AttemptVerdict, DeliveryStore, DueDelivery } from './store';

/** Due deliveries one endpoint sends per turn, before the sender looks again for what became due meanwhile. */
const DELIVERIES_PER_TURN = 50;

export interface DeliverySettings {
  /** Delays before each attempt (see DEFAULT_RETRY_SCHEDULE_MS). */
  readonly retryScheduleMs: readonly number[];
  readonly timeoutMs: number;
  /** Endpoints sent to at once, one request each. */
  readonly concurrency: number;
  /** An endpoint failing every attempt this long is disabled and its workspace told (an event). */
  readonly disableAfterFailingMs: number;
  /** How often due retries are looked for; new events are sent as soon as they are stored. */
  readonly pollMs: number;
  readonly allowLoopbackHttp: boolean;
  readonly resolve?: ResolveHost;
}

/** Records what the process decides about an endpoint (disabling it) as a command of its own. */
export interface EndpointCommands {
  record(metadata: MessageMetadata, commandId: string, command: WebhookEndpointCommand): Promise<unknown>;
}

export interface WebhookDeliveryOptions {
  readonly bus: Bus;
  readonly pool: Pool;
  readonly store: DeliveryStore;
  readonly endpoints: WebhookEndpointQueries;
  readonly commands: EndpointCommands;
  readonly secrets: SecretBox;
  readonly settings: DeliverySettings;
  readonly logger: Logger;
  /** The durable consumer on EVENTS, shared by the replicas. */
  readonly durable?: string;
}

/**
 * Delivers events to webhook endpoints. A durable consumer of EVENTS (shared by replicas) stores one delivery per
 * subscribed endpoint before it acks the event, so nothing is lost between the stream and the table. One replica
 * at a time (a lease) sends: it takes due deliveries, signs and POSTs them, and records each outcome, scheduling
 * retries. All of it lives in PostgreSQL: a sender stopped or killed resumes where it was.
 */
export class WebhookDeliveryProcess {
  private subscription: EventSubscription | undefined;
  private readonly lease: LeaderLease;
  /** Endpoints whose turn is under way here, each sending its due deliveries in order. */
  private readonly sending = new Map<string, Promise<void>>();
  private stopped = false;
  private running: Promise<void> | undefined;
  /** Set when deliveries became due while the loop was busy, so that its next rest is skipped. */
  private wakeRequested = false;
  private endRest: (() => void) | undefined;

  constructor(private readonly options: WebhookDeliveryOptions) {
    // Advisory locks span the database: the schema's name keeps platforms (and tests) sharing one apart.
    this.lease = new LeaderLease(options.pool, `${options.store.schema}:webhook-sender`);
  }

  async start(): Promise<void> {
    await this.options.store.migrate();
    this.subscription = await this.options.bus.subscribeEvents({
      durable: this.options.durable ?? 'webhooks',
      // Endpoints made now want what happens from now; the stream's history has no endpoint to go to.
      start: 'new',
      handle: (event) => this.fanOut(event),
    });
    this.running = this.sendLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    await this.subscription?.stop();
    await this.running;
    await Promise.all(this.sending.values());
    await this.lease.release();
  }

  /** A test delivery to an endpoint of the workspace (`not_found` for another's), sent at once; its id. */
  async sendTest(workspaceId: string, endpointId: string): Promise<string> {
    await this.options.endpoints.get(workspaceId, { endpointId });
    const deliveryId = await this.options.store.enqueueTest(
      workspaceId,
      endpointId,
      testPayload(endpointId, new Date()),
    );
    this.wakeUp();
    return deliveryId;
  }

  /** Sends again one delivery, or every failed one since a time, of an endpoint of the workspace; how many. */
  async redeliver(
    workspaceId: string,
    endpointId: string,
    which: { deliveryId?: string; since?: string },
  ): Promise<number> {
    await this.options.endpoints.get(workspaceId, { endpointId });
    const redelivered = await this.options.store.redeliver(workspaceId, endpointId, which);
    this.wakeUp();
    return redelivered;
  }

  /** Deliveries were stored (events, a test, a redelivery): the sender looks at once rather than at its next poll. */
  wakeUp(): void {
    this.wakeRequested = true;
    this.endRest?.();
  }

  private async fanOut(event: EventEnvelope): Promise<void> {
    const body = payloadOf(event);
    if (!body) return;
    const stored = await this.options.store.enqueue(event.metadata.workspaceId, {
      id: event.eventId,
      type: event.type,
      body,
    });
    if (stored > 0) this.wakeUp();
  }

  private async sendLoop(): Promise<void> {
    const { settings, logger } = this.options;
    while (!this.stopped) {
      try {
        if (await this.lease.tryAcquire()) await this.sendDue();
      } catch (error) {
        logger.warn({ err: error }, 'webhook deliveries could not be read; trying again');
      }
      await this.rest(settings.pollMs);
    }
  }

  private async rest(ms: number): Promise<void> {
    if (!this.wakeRequested) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.endRest = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.endRest = undefined;
    this.wakeRequested = false;
  }

  private async sendDue(): Promise<void> {
    const free = this.options.settings.concurrency - this.sending.size;
    if (free <= 0) return;
    const due = await this.options.store.due(free, DELIVERIES_PER_TURN, [...this.sending.keys()]);
    for (const [endpointId, deliveries] of due) {
      const turn = this.sendInOrder(endpointId, deliveries)
        .catch((error: unknown) => this.options.logger.error({ err: error, endpointId }, 'deliveries failed'))
        .finally(() => {
          this.sending.delete(endpointId);
          this.wakeUp();
        });
      this.sending.set(endpointId, turn);
    }
  }

  /** One endpoint's turn: its due deliveries one after the other, in the order of their events. */
  private async sendInOrder(endpointId: string, deliveries: readonly DueDelivery[]): Promise<void> {
    const { store, endpoints } = this.options;
    const target = await endpoints.target(endpointId);
    if (!target?.enabled) {
      const reason = target ? 'the endpoint is disabled' : 'the endpoint was deleted';
      for (const delivery of deliveries) await store.dropUnsendable(delivery, reason);
      return;
    }
    // Opened once a turn: a turn lasts seconds, a rotation's overlap a day.
    const secrets = this.secretsOf(target, new Date());
    // Until an attempt succeeds here, the endpoint may be recorded as failing.
    let maybeFailing = true;
    for (const delivery of deliveries) {
      if (this.stopped) return;
      const verdict = await this.attempt(target, secrets, delivery);
      if (verdict === 'gone') return;
      if (verdict === 'succeeded' && maybeFailing) {
        await store.markHealthy(target.id);
        maybeFailing = false;
      } else if (verdict === 'failed') {
        maybeFailing = true;
      }
    }
  }

  /** One attempt, its outcome recorded; an endpoint gone (410) or failing for too long is disabled. */
  private async attempt(
    target: DeliveryTarget,
    secrets: readonly string[],
    delivery: DueDelivery,
  ): Promise<'succeeded' | 'failed' | 'gone'> {
    const { store, settings } = this.options;
    const headers = signedHeaders(delivery.messageId, delivery.body, secrets, new Date());
    const outcome = await sendAttempt(target.url, headers, delivery.body, {
      timeoutMs: settings.timeoutMs,
      allowLoopbackHttp: settings.allowLoopbackHttp,
      resolve: settings.resolve,
    });
    const verdict = this.verdictOf(delivery, outcome);
    await store.record(delivery, outcome, verdict);
    if (verdict.kind === 'succeeded') return 'succeeded';
    if (outcome.status === 410) {
      await this.disable(target, delivery, 'gone', `${target.url} answered 410 Gone`);
      return 'gone';
    }
    const since = await store.failingSince(target.id);
    if (Date.now() - since.getTime() >= settings.disableAfterFailingMs) {
      await this.disable(target, delivery, 'failing', `every attempt failed since ${since.toISOString()}`);
      return 'gone';
    }
    return 'failed';
  }

  private verdictOf(delivery: DueDelivery, outcome: AttemptOutcome): AttemptVerdict {
    if (outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300) return { kind: 'succeeded' };
    if (outcome.status === 410) return { kind: 'failed' };
    const honoured = outcome.status === 429 || outcome.status === 503;
    const delayMs = nextAttemptDelayMs(
      this.options.settings.retryScheduleMs,
      delivery.attempts,
      honoured ? retryAfterMs(outcome.retryAfter, new Date()) : undefined,
    );
    return delayMs === undefined ? { kind: 'failed' } : { kind: 'retry', delayMs };
  }

  /** The current secret, and the previous one while a rotation's 24 hours last. */
  private secretsOf(target: DeliveryTarget, now: Date): string[] {
    const context = webhookSecretContext(target.workspaceId, target.id);
    const secrets = [this.options.secrets.open(target.sealedSecret, context)];
    if (target.previousSealedSecret && target.previousValidUntil && target.previousValidUntil > now) {
      secrets.push(this.options.secrets.open(target.previousSealedSecret, context));
    }
    return secrets;
  }

  private async disable(
    target: DeliveryTarget,
    delivery: DueDelivery,
    reason: 'gone' | 'failing',
    detail: string,
  ): Promise<void> {
    this.options.logger.warn({ endpointId: target.id, reason }, 'webhook endpoint disabled');
    await this.options.commands.record(
      { workspaceId: target.workspaceId, actorId: 'webhooks', correlationId: delivery.id },
      nameBasedUuid(`webhook-disable:${delivery.id}:${delivery.attempts}`),
      { type: 'DisableWebhookEndpoint', data: { endpointId: target.id, reason, detail } },
    );
  }
}
