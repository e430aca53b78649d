import type { Client, Pool } from 'pg';

/**
 * Makes one replica at a time do a job (a projection, the relay) with a PostgreSQL session advisory lock held
 * on a connection of its own: when the holder dies, its connection closes, the lock is freed and a standby
 * replica takes over at its next try.
 */
export class LeaderLease {
  private client: Client | undefined;
  private lost = false;

  constructor(
    private readonly pool: Pool,
    readonly lockName: string,
  ) {}

  get held(): boolean {
    return this.client !== undefined && !this.lost;
  }

  /** Tries once; true when this replica now holds the lease. */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    await this.release();
    const client = await this.connectDedicated();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        this.lockName,
      ]);
      if (!rows[0].locked) {
        await client.end();
        return false;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.lost = false;
    client.on('error', () => {
      this.lost = true;
    });
    client.on('end', () => {
      this.lost = true;
    });
    this.client = client;
    return true;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await client.end().catch(() => undefined);
  }

  private async connectDedicated(): Promise<Client> {
    // A pool client would return the lock to the pool with the connection; the lease needs a connection it owns.
    const { Client: PgClient } = await import('pg');
    const client = new PgClient(this.pool.options);
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }
}
