import { Pool } from 'pg';
import { testServices, uniqueName } from './environment';
import { eventually } from './eventually';

export interface TestSchema {
  readonly pool: Pool;
  readonly schema: string;
  /** Drops the schema and closes the pool. */
  dispose(): Promise<void>;
}

/** A pool on the test database and a schema name of its own; the schema is created by the code under test. */
export function createTestSchema(label: string, poolSize = 10): TestSchema {
  const pool = new Pool({ connectionString: testServices.databaseUrl, max: poolSize });
  pool.on('error', () => undefined);
  const schema = uniqueName(label);
  return {
    pool,
    schema,
    async dispose() {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await pool.end();
    },
  };
}

/**
 * Waits until readers of an event log (projections, the relay) may see every event appended to `db`'s log so far:
 * they read only transactions older than the oldest one still running in the cluster, and the tests of other
 * workers hold transactions open at any moment. Call it before asserting how much one read or batch takes.
 */
export async function eventsVisibleToReaders(db: TestSchema): Promise<void> {
  await eventually(async () => {
    const { rows } = await db.pool.query<{ visible: boolean }>(
      `SELECT coalesce(max(transaction_id) < pg_snapshot_xmin(pg_current_snapshot()), true) AS visible FROM ${db.schema}.events`,
    );
    if (!rows[0].visible)
      throw new Error(`events of ${db.schema} are still held back by a transaction that started before them`);
  });
}
