import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Bus, QueryCache } from '@platform/bus';
import type { ReadModelApplied } from '@platform/contracts';
import {
  EventStore,
  OutboxRelay,
  ProjectionRunner,
  projectedSignal,
  ReadModelChanges,
  runMigrations,
  type Migration,
  type Projection,
  type StoredEvent,
} from '@platform/event-store';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config';
import { BUS, EVENT_STORE, PG_POOL, QUERY_CACHE, SERVICE_CONFIG, SERVICE_LOGGER } from './tokens';

export const SERVICE_DEFINITION = Symbol('ServiceDefinition');

/** What a service brings to the kit: its bounded context, its read models and any tables of its own. */
export interface ServiceDefinition {
  readonly context: string;
  readonly projections?: readonly Projection[];
  readonly migrations?: readonly Migration[];
}

/**
 * The moving parts every service has beyond its handlers: migrations at start-up, the outbox relay and the
 * projections (each run by one replica at a time), the change notices that keep the query cache true, and an
 * orderly stop.
 */
@Injectable()
export class ServiceRuntime implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay: OutboxRelay;
  private readonly projectionRunners: ProjectionRunner[];
  private migrated = false;
  private readModelChanges?: ReadModelChanges;

  constructor(
    @Inject(SERVICE_DEFINITION) private readonly definition: ServiceDefinition,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(QUERY_CACHE) private readonly queryCache: QueryCache,
  ) {
    const shared = { replicaId: config.replicaId, logger: logger.child({ component: 'event-log' }) };
    this.relay = new OutboxRelay(store, bus, { ...shared, context: definition.context });
    this.projectionRunners = (definition.projections ?? []).map(
      (projection) => new ProjectionRunner(store, projection, shared),
    );
  }

  get ready(): boolean {
    return this.migrated;
  }

  get leadership(): { relay: boolean; projections: Record<string, boolean> } {
    return {
      relay: this.relay.isLeader,
      projections: Object.fromEntries(
        this.projectionRunners.map((runner) => [runner.projection.name, runner.isLeader]),
      ),
    };
  }

  /** Events the outbox relay could not publish for good (see OutboxRelay); each is in `relay_dead_letters`. */
  relayDeadLetters(): Promise<number> {
    return this.relay.deadLetterCount();
  }

  async onModuleInit(): Promise<void> {
    await this.store.migrate();
    const migrations = [
      ...(this.definition.migrations ?? []),
      ...(this.definition.projections ?? []).flatMap((p) => p.migrations ?? []),
    ];
    const applied = await runMigrations(this.pool, this.config.database.schema, migrations);
    if (applied.length) this.logger.info({ applied }, 'migrations applied');
    this.migrated = true;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.readModelChanges = await ReadModelChanges.start({
      connection: this.pool.options,
      schema: this.config.database.schema,
      listener: this.queryCache,
      logger: this.logger.child({ component: 'query-cache' }),
    });
    for (const runner of this.projectionRunners) {
      this.store.signals.on(projectedSignal(runner.projection.name), (events: readonly StoredEvent[]) =>
        this.announceApplied(runner.projection.name, events),
      );
    }
    this.relay.start();
    for (const runner of this.projectionRunners) runner.start();
  }

  /**
   * Tells callers waiting for these commands (the gateway) that this read model holds their events now. This
   * replica's query cache learns of the change first, so a read sent on this notice finds no stale answer here.
   */
  private announceApplied(readModel: string, events: readonly StoredEvent[]): void {
    this.queryCache.changed(events.map((event) => event.metadata.workspaceId));
    const commandIds = [...new Set(events.flatMap((event) => event.metadata.commandId ?? []))];
    if (commandIds.length === 0) return;
    const notice: ReadModelApplied = { readModel, commandIds };
    try {
      this.bus.connection.publish(this.bus.subjects.readModelApplied(this.definition.context), JSON.stringify(notice));
    } catch (error) {
      // Best effort, as the outcomes are: a caller that misses it answers when its wait ends.
      this.logger.warn({ err: error, readModel }, 'could not announce applied commands');
    }
  }

  /** Runs after Nest closed the transports, so no handler is still writing when the pool closes. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([
      this.relay.stop(),
      ...this.projectionRunners.map((runner) => runner.stop()),
      this.readModelChanges?.stop(),
    ]);
    await this.bus.close();
    await this.pool.end();
    this.logger.info('stopped');
  }

  /** Replays every projection from the start of the log into emptied read models. */
  async rebuildProjections(): Promise<void> {
    for (const runner of this.projectionRunners) await runner.rebuild();
  }
}

/** The projections that read at least one of these event types (a projection without a list reads them all). */
export function readModelsOf(projections: readonly Projection[], eventTypes: readonly string[]): string[] {
  return projections
    .filter((projection) => !projection.eventTypes || eventTypes.some((type) => projection.eventTypes?.includes(type)))
    .map((projection) => projection.name);
}
