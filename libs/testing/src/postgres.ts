import { Pool } from 'pg';
import { testServices, uniqueName } from './environment';

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
