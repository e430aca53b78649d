import { FollowLoop, LeaderLease, type LogSink } from '@platform/event-store';
import type { Pool } from 'pg';
import { serviceHostname } from '../services/hostname';

/** A hostname and the server edges (`address:port`) that serve it. */
export interface FrontRoute {
  readonly hostname: string;
  readonly edges: readonly string[];
}

/** What stands where DNS would on this machine: one entrance that spreads each app's hostname over its edges. */
export interface FrontDoor {
  apply(routes: readonly FrontRoute[]): Promise<void>;
}

export interface FrontRoutesOptions {
  readonly pool: Pool;
  /** The deployer's schema, whose read model says what serves. */
  readonly schema: string;
  readonly door: FrontDoor;
  readonly pollMs?: number;
  readonly logger: LogSink;
}

const LOOPBACK_EDGE = /^http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5})$/;

/**
 * Keeps the front door in step with what serves: each service's current deployment, on the servers it was
 * switched to. Only servers on this machine (loopback edges) are behind the door; a name two workspaces share goes
 * to the one deployed last. Runs where the lease is held (one front door per machine), looking every `pollMs`.
 */
export class FrontRoutes {
  private readonly loop: FollowLoop;
  private applied = '';

  constructor(private readonly options: FrontRoutesOptions) {
    this.loop = new FollowLoop({
      name: 'front-routes',
      lease: new LeaderLease(options.pool, `${options.schema}:front-routes`),
      step: () => this.refresh(),
      idleMs: options.pollMs ?? 1000,
      standbyMs: options.pollMs ?? 1000,
      logger: options.logger,
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** The routes as the read model has them now. */
  async routes(): Promise<FrontRoute[]> {
    const { rows } = await this.options.pool.query<{
      name: string;
      servers: Record<string, { status: string; url: string }>;
    }>(
      `SELECT s.name, d.servers FROM ${this.options.schema}.services s
         JOIN ${this.options.schema}.deployments d ON d.id = s.current_deployment_id
        ORDER BY d.finished_at DESC NULLS LAST, d.id`,
    );
    const routes = new Map<string, FrontRoute>();
    for (const row of rows) {
      const hostname = serviceHostname(row.name);
      const edges = Object.values(row.servers)
        .filter((server) => server.status === 'switched')
        .map((server) => LOOPBACK_EDGE.exec(server.url)?.[1])
        .filter((edge): edge is string => edge !== undefined)
        .sort();
      if (edges.length > 0 && !routes.has(hostname)) routes.set(hostname, { hostname, edges });
    }
    return [...routes.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  /** Applies the routes when they changed; always reports caught up, so the loop waits `pollMs`. */
  private async refresh(): Promise<boolean> {
    const routes = await this.routes();
    const fingerprint = JSON.stringify(routes);
    if (fingerprint === this.applied) return false;
    await this.options.door.apply(routes);
    this.applied = fingerprint;
    this.options.logger.info({ routes: routes.length }, 'front door routes applied');
    return false;
  }
}
