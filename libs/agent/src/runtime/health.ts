import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError, type ContainerHealth, type ContainerHealthStatus } from '@platform/contracts';
import type { ContainerState, DockerRuntime } from './docker-runtime';

/** One HTTP check: healthy on 2xx or 3xx within the timeout. */
export function probeHttp(url: string, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'GET', agent: false, timeout: timeoutMs, headers: { 'user-agent': 'platform-agent-health' } },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 400, detail: `answered ${status}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ ok: false, detail: error.message }));
    req.end();
  });
}

interface Tracked {
  status: ContainerHealthStatus;
  consecutiveFailures: number;
  checkedAt: string | null;
  lastError?: string;
  everHealthy: boolean;
  exitCode: number | null;
  readonly listeners: Set<() => void>;
  watching: boolean;
}

/**
 * Runs each container's HTTP health check in the background at its interval, the way Docker's HEALTHCHECK
 * does: failures during the start period do not count; `retries` failures in a row make it unhealthy; a
 * success makes it healthy again.
 */
export class HealthMonitor {
  private readonly tracked = new Map<string, Tracked>();
  private closed = false;

  constructor(
    private readonly runtime: DockerRuntime,
    private readonly upstreamHost: string,
  ) {}

  /** Starts checking a container (if it has a health check and is not checked already). */
  watch(name: string): Tracked {
    let entry = this.tracked.get(name);
    if (!entry) {
      entry = {
        status: 'starting',
        consecutiveFailures: 0,
        checkedAt: null,
        everHealthy: false,
        exitCode: null,
        listeners: new Set(),
        watching: false,
      };
      this.tracked.set(name, entry);
    }
    if (!entry.watching && !this.closed) {
      entry.watching = true;
      const tracked = entry;
      const stopped = () => {
        tracked.watching = false;
      };
      this.loop(name, tracked).then(stopped, stopped);
    }
    return entry;
  }

  async report(name: string): Promise<ContainerHealth> {
    const state = await this.runtime.state(name);
    if (!state.healthCheck)
      return { name, status: state.running ? 'none' : 'stopped', consecutiveFailures: 0, checkedAt: null };
    const entry = this.watch(name);
    return {
      name,
      status: state.running ? entry.status : 'stopped',
      consecutiveFailures: entry.consecutiveFailures,
      checkedAt: entry.checkedAt,
      ...(entry.lastError ? { lastError: entry.lastError } : {}),
    };
  }

  /** Resolves once the container is healthy; rejects with the reason when it turns unhealthy, exits, or time runs out. */
  async waitUntilHealthy(name: string, timeoutMs: number): Promise<void> {
    const entry = this.watch(name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (entry.status === 'healthy') return;
      if (entry.status === 'unhealthy') {
        throw new DomainError(
          'unavailable',
          `${name} is unhealthy: its health check failed ${entry.consecutiveFailures} times in a row (last: ${entry.lastError ?? 'unknown'})`,
          [{ reason: 'unhealthy', lastError: entry.lastError }],
        );
      }
      if (entry.status === 'stopped') {
        const logs = await this.runtime.lastLogLines(name, 10);
        throw new DomainError(
          'unavailable',
          `${name} stopped (exit code ${entry.exitCode ?? 'unknown'}) before it became healthy${logs ? `; its last output:\n${logs}` : ''}`,
          [{ reason: 'exited', exitCode: entry.exitCode }],
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new DomainError(
          'timeout',
          `${name} did not become healthy within ${timeoutMs} ms (last check: ${entry.lastError ?? 'none yet'})`,
          [{ reason: 'health_timeout', lastError: entry.lastError }],
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        function done() {
          clearTimeout(timer);
          entry.listeners.delete(done);
          resolve();
        }
        entry.listeners.add(done);
      });
    }
  }

  /** Forgets what was known about a name, e.g. before a new container takes it. */
  forget(name: string): void {
    const entry = this.tracked.get(name);
    if (entry && !entry.watching) this.tracked.delete(name);
  }

  close(): void {
    this.closed = true;
  }

  private async loop(name: string, entry: Tracked): Promise<void> {
    let state: ContainerState | undefined;
    while (!this.closed) {
      try {
        state = await this.runtime.state(name);
      } catch {
        this.settle(entry, 'stopped', 'the container is gone', null);
        this.tracked.delete(name);
        return;
      }
      const check = state.healthCheck;
      if (!check) return;
      if (!state.running || state.info.hostPort === null) {
        this.settle(entry, 'stopped', `the container is ${state.info.state}`, state.exitCode);
        return;
      }
      const outcome = await probeHttp(
        `http://${this.upstreamHost}:${state.info.hostPort}${check.path}`,
        check.timeoutMs,
      );
      entry.checkedAt = new Date().toISOString();
      if (outcome.ok) {
        entry.consecutiveFailures = 0;
        entry.everHealthy = true;
        delete entry.lastError;
        this.settle(entry, 'healthy');
      } else {
        entry.lastError = `GET ${check.path} ${outcome.detail}`;
        const inStartPeriod =
          !entry.everHealthy && state.startedAt !== null && Date.now() - state.startedAt < check.startPeriodMs;
        if (!inStartPeriod) entry.consecutiveFailures++;
        this.settle(entry, entry.consecutiveFailures >= check.retries ? 'unhealthy' : entry.status);
      }
      await sleep(check.intervalMs);
    }
  }

  private settle(entry: Tracked, status: ContainerHealthStatus, lastError?: string, exitCode?: number | null): void {
    entry.status = status;
    if (lastError !== undefined) entry.lastError = lastError;
    if (exitCode !== undefined) entry.exitCode = exitCode;
    for (const listener of [...entry.listeners]) listener();
  }
}
