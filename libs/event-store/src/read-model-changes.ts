import { createHash } from 'node:crypto';
import { Client, type ClientConfig, type Notification, type PoolClient } from 'pg';
import type { LogSink } from './follow-loop';

/** Who wants to know which workspaces' read models changed (a QueryCache), and when notices may have been missed. */
export interface ReadModelChangeListener {
  changed(workspaceIds: Iterable<string>): void;
  changedAll(): void;
  /** Notices may be missed from now on. */
  suspend(): void;
  /** Notices flow again; anything may have changed in between. */
  resume(): void;
}

const EVERYTHING = '*';
// PostgreSQL refuses notification payloads of 8000 bytes or more.
const MAX_PAYLOAD = 7000;

/** The channel a schema's projections announce their commits on (a hash: channel names stop at 63 bytes). */
export function readModelChannel(schema: string): string {
  return `read_models_${createHash('sha256').update(schema).digest('hex').slice(0, 24)}`;
}

/**
 * Announces, inside the projection's transaction, the workspaces whose read models it changed. PostgreSQL
 * delivers the notice when the transaction commits and drops it when it rolls back, so listeners hear of exactly
 * the changes that became visible, right after they did.
 */
export async function announceReadModelChange(
  tx: PoolClient,
  schema: string,
  workspaceIds: Iterable<string> | 'all',
): Promise<void> {
  let payload = EVERYTHING;
  if (workspaceIds !== 'all') {
    const named = JSON.stringify([...new Set(workspaceIds)]);
    if (named.length <= MAX_PAYLOAD) payload = named;
  }
  await tx.query('SELECT pg_notify($1, $2)', [readModelChannel(schema), payload]);
}

export interface ReadModelChangesOptions {
  /** How to open the connection that listens: the pool's settings. It is a connection of its own, outside the pool. */
  readonly connection: ClientConfig;
  readonly schema: string;
  readonly listener: ReadModelChangeListener;
  readonly logger?: LogSink;
  readonly retryMs?: number;
}

/**
 * Follows the change notices of a schema's projections on a connection of its own and hands them to a listener.
 * While that connection is down the listener is suspended (every replica's projections may commit meanwhile), and
 * resumed once it listens again.
 */
export class ReadModelChanges {
  private client?: Client;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;

  private constructor(private readonly options: ReadModelChangesOptions) {}

  /** Resolves after the first attempt to listen; a failed one is retried in the background. */
  static async start(options: ReadModelChangesOptions): Promise<ReadModelChanges> {
    const changes = new ReadModelChanges(options);
    await changes.connect();
    return changes;
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.options.listener.suspend();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client(this.options.connection);
    client.on('notification', (notice) => this.deliver(notice));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${readModelChannel(this.options.schema)}"`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.retry(error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    this.options.listener.resume();
  }

  private deliver(notice: Notification): void {
    const { payload } = notice;
    if (!payload || payload === EVERYTHING) {
      this.options.listener.changedAll();
      return;
    }
    try {
      this.options.listener.changed(JSON.parse(payload) as string[]);
    } catch {
      this.options.listener.changedAll();
    }
  }

  /** The connection that listened is gone (it says so once or twice: an error, then its end). */
  private lost(client: Client, error?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.options.listener.suspend();
    this.retry(error);
  }

  private retry(error?: unknown): void {
    if (this.stopped || this.retryTimer) return;
    this.failures++;
    const delay = Math.min((this.options.retryMs ?? 250) * 2 ** Math.min(this.failures - 1, 5), 5000);
    this.options.logger?.warn(
      { err: error, retryInMs: delay },
      'not listening to read model changes; queries are answered uncached',
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
  }
}
