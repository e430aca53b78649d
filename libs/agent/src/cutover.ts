import type { CutoverProgressLine, CutoverSpec, CutoverStep, EdgeRouteSpec } from '@platform/contracts';
import { DomainError, EdgeRouteSchema } from '@platform/contracts';
import type { Edge } from './edge/edge';
import type { DockerRuntime } from './runtime/docker-runtime';
import type { HealthMonitor } from './runtime/health';

export type ProgressSink = (line: CutoverProgressLine) => void;

/**
 * Zero-downtime replacement on one server: start the new container, wait until its health check passes,
 * point the hostnames at it (nginx reload: new connections go to the new container, requests already in
 * flight finish on the old one), wait for the old nginx workers to finish those requests, then stop the old
 * container. Until the switch nothing serving changes: a new container that fails is removed and the old one
 * keeps serving.
 */
export class Cutover {
  constructor(
    private readonly runtime: DockerRuntime,
    private readonly health: HealthMonitor,
    private readonly edge: Edge,
  ) {}

  async run(spec: CutoverSpec, emit: ProgressSink): Promise<void> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const step = (name: CutoverStep, status: 'started' | 'done' | 'failed', message: string) =>
      emit({ type: 'step', step: name, status, message, elapsedMs: elapsed() });
    const newName = spec.container.name;
    let created = false;
    let switched = false;
    try {
      if (spec.replaces === newName)
        throw new DomainError('validation_failed', 'the new container must have a name of its own');
      if (spec.replaces) await this.runtime.state(spec.replaces);

      step('start', 'started', `starting ${newName} from ${spec.container.image}`);
      this.health.forget(newName);
      const info = await this.runtime.run(spec.container);
      created = true;
      step('start', 'done', `${newName} is running, published on port ${info.hostPort ?? '?'}`);

      step('health', 'started', `waiting for GET ${spec.container.healthCheck.path} to succeed`);
      await this.health.waitUntilHealthy(newName, spec.healthTimeoutMs);
      step('health', 'done', `${newName} is healthy`);

      step('switch', 'started', `routing ${spec.hostnames.join(', ')} to ${newName}`);
      const applied = await this.edge.update((routes) => pointAt(routes, spec.hostnames, newName));
      switched = true;
      const switchedAfterMs = elapsed();
      step(
        'switch',
        'done',
        `nginx serves ${spec.hostnames.join(', ')} from ${newName} (reload ${Math.round(applied.reloadMs)} ms)`,
      );

      step(
        'drain',
        'started',
        `waiting for requests in flight on the previous configuration (at most ${spec.drainTimeoutMs} ms)`,
      );
      const drained = await this.edge.drain(applied.retiringWorkers, spec.drainTimeoutMs);
      step('drain', 'done', drained ? 'requests in flight have finished' : 'drain timeout reached; stopping anyway');

      if (spec.replaces) {
        step('stop', 'started', `stopping ${spec.replaces} (grace ${spec.stopGraceSeconds} s)`);
        await this.runtime.stop(spec.replaces, spec.stopGraceSeconds, true);
        step('stop', 'done', `${spec.replaces} stopped and removed`);
      }
      const final = await this.runtime.state(newName);
      emit({
        type: 'result',
        container: final.info,
        replaced: spec.replaces ?? null,
        switchedAfterMs,
        durationMs: elapsed(),
      });
    } catch (error) {
      const failure =
        error instanceof DomainError
          ? error
          : new DomainError('internal', `the cutover failed: ${(error as Error).message}`);
      if (created && !switched) {
        step('abort', 'started', `removing ${newName}; the previous container keeps serving`);
        await this.runtime.stop(newName, 0, true).catch(() => undefined);
        this.health.forget(newName);
        step('abort', 'done', `${newName} removed`);
      }
      emit({ type: 'error', error: failure.toBody() });
    }
  }
}

function pointAt(routes: readonly EdgeRouteSpec[], hostnames: readonly string[], container: string): EdgeRouteSpec[] {
  const wanted = new Set(hostnames);
  const updated = routes.map((route) => (wanted.has(route.hostname) ? { ...route, upstream: { container } } : route));
  const present = new Set(routes.map((route) => route.hostname));
  for (const hostname of hostnames)
    if (!present.has(hostname)) updated.push(EdgeRouteSchema.parse({ hostname, upstream: { container } }));
  return updated;
}
