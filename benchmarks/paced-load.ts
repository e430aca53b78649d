/**
 * An open-loop load generator for latency at a given load: requests are scheduled at a constant rate over a fixed
 * number of keep-alive connections, and each latency is counted from the moment the request was due, not from when a
 * connection was free to send it, so a stalled server shows in the figures instead of slowing the generator down
 * (no coordinated omission). Closed-loop tools at saturation (autocannon without a rate) measure the queue the
 * connections build instead: with 32 connections p99 is at least 32 / throughput, whatever one request costs.
 * (autocannon's own rate option fires every connection's share at the start of each second, a burst of its own.)
 * The first `warmupMs` run at the same rate over the same connections and are not counted: the generator's own
 * code and its fresh connections are cold at first, and their start showed as server latency (p99 of a 5 s run
 * 40-150 ms from its first second alone, 6-12 ms without it).
 * Speaks just enough HTTP/1.1 for the gateway's answers: a status line, headers and a Content-Length body.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface PacedLoadOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Requests per second, spread evenly. */
  rate: number;
  durationMs: number;
  /** Sent first at the same rate, not counted (default 1 s). */
  warmupMs?: number;
}

export interface PacedLoadResult {
  rate: number;
  /** Requests sent, the warm-up's included. */
  sent: number;
  completed: number;
  /** Non-2xx answers, broken connections and requests still unanswered 10 s after the last was due. */
  failed: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

class Connection {
  private buffered: Buffer = Buffer.alloc(0);
  private onAnswer?: (status: number) => void;
  private failure?: Error;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    const broken = (error?: Error) => {
      this.failure = error ?? new Error('connection closed');
      this.onAnswer?.(0);
    };
    socket.on('error', broken);
    socket.on('close', () => broken());
  }

  static open(host: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  get usable(): boolean {
    return !this.failure;
  }

  /** Resolves with the answer's status, 0 when the connection broke. */
  send(request: Buffer, onAnswer: (status: number) => void): void {
    this.onAnswer = onAnswer;
    this.socket.write(request);
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      this.failure = new Error(`an answer without Content-Length: ${head.split('\r\n')[0]}`);
      this.socket.destroy();
      return;
    }
    const total = end + HEADER_END.length + Number(length[1]);
    if (this.buffered.length < total) return;
    this.buffered = this.buffered.subarray(total);
    const status = Number(head.slice(9, 12));
    const answered = this.onAnswer;
    this.onAnswer = undefined;
    answered?.(status);
  }
}

function requestBytes(options: PacedLoadOptions): Buffer {
  const url = new URL(options.url);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const lines = [
    `${options.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1`,
    `host: ${url.host}`,
    ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    ...(body ? [`content-length: ${body.length}`] : []),
    '',
    '',
  ];
  const head = Buffer.from(lines.join('\r\n'), 'latin1');
  return body ? Buffer.concat([head, body]) : head;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const url = new URL(options.url);
  const request = requestBytes(options);
  const connections = await Promise.all(
    Array.from({ length: options.connections }, () => Connection.open(url.hostname, Number(url.port))),
  );
  const idle = [...connections];
  const due: number[] = [];
  const latencies: number[] = [];
  let failed = 0;
  let outstanding = 0;
  const interval = 1000 / options.rate;
  const warmup = Math.floor((options.rate * (options.warmupMs ?? 1000)) / 1000);
  const total = warmup + Math.floor((options.rate * options.durationMs) / 1000);
  let scheduled = 0;
  let sent = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const dispatch = () => {
    while (due.length > 0 && idle.length > 0) {
      const connection = idle.pop() as Connection;
      if (!connection.usable) continue;
      const dueAt = due.shift() as number;
      const counted = sent++ >= warmup;
      outstanding++;
      connection.send(request, (status) => {
        outstanding--;
        if (status < 200 || status >= 300) failed++;
        else if (counted) latencies.push(performance.now() - dueAt);
        if (connection.usable) idle.push(connection);
        dispatch();
      });
    }
    if (scheduled === total && due.length === 0 && outstanding === 0) finish();
  };

  const start = performance.now() + 5;
  const tick = () => {
    const now = performance.now();
    while (scheduled < total && start + scheduled * interval <= now) {
      due.push(start + scheduled * interval);
      scheduled++;
    }
    dispatch();
    if (scheduled < total) setTimeout(tick, Math.max(0, start + scheduled * interval - performance.now()));
  };
  setTimeout(tick, 5);

  const deadline = setTimeout(finish, (options.warmupMs ?? 1000) + options.durationMs + 10_000);
  await finished;
  clearTimeout(deadline);
  failed += due.length + outstanding;
  for (const connection of connections) connection.close();

  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    rate: options.rate,
    sent,
    completed: latencies.length,
    failed,
    perSecond: latencies.length / (options.durationMs / 1000),
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? Number.NaN),
  };
}
