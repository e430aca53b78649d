import { FollowLoop, LeaderLease, type LogSink } from '@platform/event-store';
import type { Pool } from 'pg';
import { serviceHostname } from '../services/hostname';
import type { WayIn } from './ways-in';

/** A hostname and the server edges (`address:port`) that serve it. */
export interface FrontRoute {
  readonly hostname: string;
  readonly edges: readonly string[];
}

/** What stands where DNS would on this machine: one entrance that spreads each app's hostname over its edges. */
export interface FrontDoor {
  readonly listen: { readonly address: string; readonly port: number };
  url(hostname: string): string;
  apply(routes: readonly FrontRoute[]): Promise<void>;
}

/** The front door as a deployment sees it: routed for it before it may succeed. */
export interface ServiceFrontDoor {
  /**
   * Routes `hostname` to those of `edges` on this machine now, ahead of the read model, for a deployment about to
   * succeed: the way in through the door, or undefined when none of its servers is behind the door or its
   * workspace does not hold the service's name.
   */
  open(route: OpenedRoute): Promise<WayIn | undefined>;
  /** Takes back what `open` routed for a deployment that then failed: the hostname goes back to what serves. */
  close(deploymentId: string, hostname: string): Promise<void>;
}

/** A deployment's route: its service's name is its hostname, routed only for the workspace holding the name. */
export interface OpenedRoute extends FrontRoute {
  readonly deploymentId: string;
  readonly workspaceId: string;
  readonly serviceName: string;
}

export interface FrontRoutesOptions {
  readonly pool: Pool;
  /** The deployer's schema, whose read model says what serves. */
  readonly schema: string;
  readonly door: FrontDoor;
  readonly pollMs?: number;
  readonly logger: LogSink;
}

const LOOPBACK_EDGE = /^(?:http:\/\/)?(127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5})$/;
const loopbackEdges = (edges: readonly string[]) =>
  edges
    .map((edge) => LOOPBACK_EDGE.exec(edge)?.[1])
    .filter((edge): edge is string => edge !== undefined)
    .sort();

/**
 * Keeps the front door in step with what serves: each service's current deployment, on the servers it was
 * switched to. Only servers on this machine (loopback edges) are behind the door, and a hostname goes only to the
 * workspace holding the service name (ServiceNames), never to another's service of that name. The deployment
 * process routes a deployment through `open` before it succeeds; the loop (where the lease is held, one front door
 * per machine, looking every `pollMs`) catches up at start and follows what the read model says afterwards, such as
 * servers removed.
 */
export class FrontRoutes implements ServiceFrontDoor {
  private readonly loop: FollowLoop;
  private applied = '';
  /** Routes opened for deployments the read model does not show serving yet, by hostname. */
  private readonly opened = new Map<string, OpenedRoute>();
  /** Applying one set of routes at a time: each writes the same configuration file. */
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly options: FrontRoutesOptions) {
    this.loop = new FollowLoop({
      name: 'front-routes',
      lease: new LeaderLease(options.pool, `${options.schema}:front-routes`),
      step: () => this.refresh().then(() => false),
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

  async open(route: OpenedRoute): Promise<WayIn | undefined> {
    const edges = loopbackEdges(route.edges);
    if (edges.length === 0) return undefined;
    const { rowCount } = await this.options.pool.query(
      `SELECT 1 FROM ${this.options.schema}.service_names WHERE name = $1 AND workspace_id = $2`,
      [route.serviceName, route.workspaceId],
    );
    if (rowCount === 0) return undefined;
    this.opened.set(route.hostname, { ...route, edges });
    await this.refresh();
    const { address, port } = this.options.door.listen;
    return { url: this.options.door.url(route.hostname), address, port, host: route.hostname };
  }

  async close(deploymentId: string, hostname: string): Promise<void> {
    if (this.opened.get(hostname)?.deploymentId !== deploymentId) return;
    this.opened.delete(hostname);
    await this.refresh();
  }

  /** The routes as the read model has them now, with those opened for deployments it does not show yet. */
  async routes(): Promise<FrontRoute[]> {
    const { rows } = await this.options.pool.query<{
      id: string;
      name: string;
      servers: Record<string, { status: string; url: string }>;
    }>(
      `SELECT d.id, s.name, d.servers FROM ${this.options.schema}.services s
         JOIN ${this.options.schema}.service_names n ON n.name = s.name AND n.workspace_id = s.workspace_id
         JOIN ${this.options.schema}.deployments d ON d.id = s.current_deployment_id
        ORDER BY d.finished_at DESC NULLS LAST, d.id`,
    );
    const routes = new Map<string, FrontRoute>();
    const serving = new Set<string>();
    for (const row of rows) {
      serving.add(row.id);
      const hostname = serviceHostname(row.name);
      const edges = loopbackEdges(
        Object.values(row.servers)
          .filter((server) => server.status === 'switched')
          .map((server) => server.url),
      );
      if (edges.length > 0 && !routes.has(hostname)) routes.set(hostname, { hostname, edges });
    }
    for (const [hostname, { deploymentId, edges }] of this.opened) {
      // Once the read model shows the deployment serving, it says the same.
      if (serving.has(deploymentId)) this.opened.delete(hostname);
      else routes.set(hostname, { hostname, edges });
    }
    return [...routes.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  /** Applies the routes when they changed. */
  private refresh(): Promise<void> {
    const next = this.applying.then(async () => {
      const routes = await this.routes();
      const fingerprint = JSON.stringify(routes);
      if (fingerprint === this.applied) return;
      await this.options.door.apply(routes);
      this.applied = fingerprint;
      this.options.logger.info({ routes: routes.length }, 'front door routes applied');
    });
    this.applying = next.catch(() => undefined);
    return next;
  }
}
