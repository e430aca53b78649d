import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  DomainError,
  EdgeRouteSchema,
  type EdgeRouteSpec,
  type EdgeRouteView,
  type Upstream,
} from '@platform/contracts';
import { writeFileAtomic } from '../files';
import { SerialQueue } from '../serial';
import {
  renderChallengesConfig,
  renderMainConfig,
  renderRoutesConfig,
  serverNamesBucketSize,
  type EdgeListen,
  type NginxLayout,
  type ResolvedRoute,
} from './nginx-config';
import type { NginxProcess } from '@platform/nginx';

export type UpstreamResolver = (upstream: Upstream) => Promise<{ host: string; port: number }>;

export interface AppliedRoutes {
  readonly routes: number;
  readonly testMs: number;
  readonly reloadMs: number;
  /** Workers of the previous configuration, still finishing requests that reached them before the switch. */
  readonly retiringWorkers: readonly number[];
}

const StoredRoutesSchema = z.object({ routes: z.array(EdgeRouteSchema) });

/**
 * The nginx edge of one server. The route table is applied as a whole: resolved, written as a candidate,
 * tested with `nginx -t`, and only then put in place and reloaded; a table nginx refuses leaves the running
 * configuration and the stored table as they were. The table is kept on disk (mode 0600: it holds private
 * keys) so a restarted agent serves and reports the same routes.
 */
export class Edge {
  private readonly queue = new SerialQueue();
  private current: EdgeRouteSpec[] = [];
  private challenges = new Map<string, string>();

  constructor(
    private readonly nginx: NginxProcess<NginxLayout>,
    private readonly listen: EdgeListen,
    private readonly options: { workers: number; stateFile: string },
    private readonly resolveUpstream: UpstreamResolver,
  ) {}

  private get layout() {
    return this.nginx.layout;
  }

  private mainConfig(routesFile: string, routes: readonly EdgeRouteSpec[]): string {
    return renderMainConfig(this.layout, this.listen, {
      workers: this.options.workers,
      routesFile,
      serverNamesBucketSize: serverNamesBucketSize(routes.map((route) => route.hostname)),
    });
  }

  /** Writes the main configuration, then starts nginx or re-attaches to the one already running. */
  async start(): Promise<void> {
    return this.queue.run(async () => {
      for (const dir of ['conf', 'logs', 'temp', 'certs'])
        await mkdir(join(this.layout.prefix, dir), { recursive: true });
      this.current = await this.loadStoredRoutes();
      // Challenges are short-lived: a restarted agent starts with none (the ACME client asks again).
      await writeFileAtomic(this.layout.challengesConfig, renderChallengesConfig(this.challenges));
      const routesText = await readFile(this.layout.routesConfig, 'utf8').catch(() => undefined);
      if (routesText === undefined)
        await writeFileAtomic(this.layout.routesConfig, renderRoutesConfig([], this.listen));
      const main = this.mainConfig(this.layout.routesConfig, this.current);
      const mainChanged = (await readFile(this.layout.mainConfig, 'utf8').catch(() => '')) !== main;
      if (mainChanged) await writeFileAtomic(this.layout.mainConfig, main);
      await this.nginx.test(this.layout.mainConfig);
      if (!(await this.nginx.masterPid())) await this.nginx.start();
      // No workers: an agent stopped half-way through a reload; reloading brings them back.
      else if (mainChanged || (await this.nginx.workers()).active.length === 0) await this.nginx.reload();
    });
  }

  routes(): EdgeRouteView[] {
    return this.current.map((route) => ({
      hostname: route.hostname,
      upstream: route.upstream,
      tls: route.tls !== undefined,
      maxBodyMb: route.maxBodyMb,
    }));
  }

  /** Replaces the whole table. */
  apply(routes: EdgeRouteSpec[]): Promise<AppliedRoutes> {
    return this.update(() => routes);
  }

  /** Changes the table from its current state, with no other change in between (cutovers run side by side). */
  update(change: (current: readonly EdgeRouteSpec[]) => EdgeRouteSpec[]): Promise<AppliedRoutes> {
    return this.queue.run(() => this.applyNow(change(this.current)));
  }

  private async applyNow(routes: EdgeRouteSpec[]): Promise<AppliedRoutes> {
    const resolved = await Promise.all(routes.map((route) => this.resolve(route)));
    const candidateRoutes = `${this.layout.routesConfig}.candidate`;
    const candidateMain = `${this.layout.mainConfig}.candidate`;
    await writeFileAtomic(candidateRoutes, renderRoutesConfig(resolved, this.listen));
    await writeFileAtomic(candidateMain, this.mainConfig(candidateRoutes, routes));
    const testStarted = performance.now();
    try {
      await this.nginx.test(candidateMain);
    } finally {
      await unlink(candidateMain).catch(() => undefined);
    }
    const testMs = performance.now() - testStarted;

    const previousRoutes = await readFile(this.layout.routesConfig, 'utf8');
    const previousMain = await readFile(this.layout.mainConfig, 'utf8');
    await writeFileAtomic(this.layout.routesConfig, await readFile(candidateRoutes, 'utf8'));
    await writeFileAtomic(this.layout.mainConfig, this.mainConfig(this.layout.routesConfig, routes));
    await unlink(candidateRoutes);
    const reloadStarted = performance.now();
    let retiringWorkers: number[];
    try {
      retiringWorkers = await this.nginx.reload();
    } catch (error) {
      await writeFileAtomic(this.layout.routesConfig, previousRoutes);
      await writeFileAtomic(this.layout.mainConfig, previousMain);
      await this.nginx.reload().catch(() => undefined);
      throw error;
    }
    const reloadMs = performance.now() - reloadStarted;

    this.current = routes;
    await writeFileAtomic(this.options.stateFile, JSON.stringify({ routes }), 0o600);
    await this.removeUnusedCertificates(resolved);
    return { routes: routes.length, testMs, reloadMs, retiringWorkers };
  }

  /** Answers an ACME HTTP-01 challenge from now on, on every hostname (tested, then reloaded, like routes). */
  putChallenge(token: string, keyAuthorization: string): Promise<void> {
    return this.queue.run(() => this.applyChallenges(new Map(this.challenges).set(token, keyAuthorization)));
  }

  removeChallenge(token: string): Promise<void> {
    return this.queue.run(async () => {
      if (!this.challenges.has(token)) return;
      const remaining = new Map(this.challenges);
      remaining.delete(token);
      await this.applyChallenges(remaining);
    });
  }

  private async applyChallenges(answers: Map<string, string>): Promise<void> {
    const previous = await readFile(this.layout.challengesConfig, 'utf8').catch(() =>
      renderChallengesConfig(new Map()),
    );
    await writeFileAtomic(this.layout.challengesConfig, renderChallengesConfig(answers));
    try {
      await this.nginx.test(this.layout.mainConfig);
      await this.nginx.reload();
    } catch (error) {
      await writeFileAtomic(this.layout.challengesConfig, previous);
      throw error;
    }
    this.challenges = answers;
  }

  /** Waits for the workers a reload retired to finish their requests; false if they are still busy after the timeout. */
  drain(retiringWorkers: readonly number[], timeoutMs: number): Promise<boolean> {
    return this.nginx.waitForExit(retiringWorkers, timeoutMs);
  }

  private async resolve(route: EdgeRouteSpec): Promise<ResolvedRoute> {
    const upstream = await this.resolveUpstream(route.upstream);
    if (!route.tls) return { hostname: route.hostname, upstream, maxBodyMb: route.maxBodyMb };
    // Files named by their content: a certificate in use is never overwritten by a candidate that may fail.
    const id = createHash('sha256')
      .update(route.tls.certificatePem)
      .update('\0')
      .update(route.tls.privateKeyPem)
      .digest('hex')
      .slice(0, 32);
    const certificateFile = join(this.layout.certsDir, `${id}.crt`);
    const keyFile = join(this.layout.certsDir, `${id}.key`);
    await writeFileAtomic(certificateFile, route.tls.certificatePem, 0o600);
    await writeFileAtomic(keyFile, route.tls.privateKeyPem, 0o600);
    return { hostname: route.hostname, upstream, maxBodyMb: route.maxBodyMb, tls: { certificateFile, keyFile } };
  }

  private async removeUnusedCertificates(inUse: readonly ResolvedRoute[]): Promise<void> {
    const keep = new Set(inUse.flatMap((route) => (route.tls ? [route.tls.certificateFile, route.tls.keyFile] : [])));
    for (const name of await readdir(this.layout.certsDir)) {
      const path = join(this.layout.certsDir, name);
      if (!keep.has(path)) await rm(path, { force: true });
    }
  }

  private async loadStoredRoutes(): Promise<EdgeRouteSpec[]> {
    const text = await readFile(this.options.stateFile, 'utf8').catch(() => undefined);
    if (text === undefined) return [];
    const parsed = StoredRoutesSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new DomainError('internal', `the stored route table ${this.options.stateFile} is unreadable`);
    return parsed.data.routes;
  }
}
