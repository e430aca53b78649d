import { isIP } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CaptureBuffer } from './capture-buffer';

/** OpenTelemetry's advised buckets for `http.server.request.duration`, in seconds. */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * An HTTP service's Prometheus metrics, named after OpenTelemetry's HTTP semantic conventions: request durations by
 * method, route template and status, requests in progress, and what the request capture holds and dropped.
 */
export class HttpServerMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'http_request_method' | 'http_route' | 'http_response_status_code'>;
  private readonly active: Gauge;

  constructor(buffer: CaptureBuffer) {
    this.duration = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP server requests',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.active = new Gauge({
      name: 'http_server_active_requests',
      help: 'HTTP server requests in progress',
      registers: [this.registry],
    });
    let reportedDrops = 0;
    new Counter({
      name: 'request_metrics_capture_dropped_total',
      help: 'Request records dropped because the capture buffer was full (their queue unreachable)',
      registers: [this.registry],
      collect() {
        const { dropped } = buffer.stats;
        this.inc(dropped - reportedDrops);
        reportedDrops = dropped;
      },
    });
    new Gauge({
      name: 'request_metrics_capture_buffered',
      help: 'Request records held in memory, not yet handed to their queue',
      registers: [this.registry],
      collect() {
        this.set(buffer.stats.buffered);
      },
    });
  }

  requestStarted(): void {
    this.active.inc();
  }

  requestEnded(method: string, route: string, status: number, latencyMs: number): void {
    this.active.dec();
    this.duration.observe(
      { http_request_method: method, http_route: route, http_response_status_code: String(status) },
      latencyMs / 1000,
    );
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * Who may scrape a service that has only its public port: a caller on this machine that came straight to it (a
 * loopback peer, and no proxy's X-Forwarded-For), not one forwarded by a proxy on this machine.
 */
export function isLocalScraper(peer: string | undefined, forwardedFor: string | string[] | undefined): boolean {
  if (forwardedFor !== undefined || !peer) return false;
  const address = peer.startsWith('::ffff:') ? peer.slice(7) : peer;
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}
