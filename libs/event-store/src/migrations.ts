import type { Pool } from 'pg';

export interface Migration {
  /** Unique and stable: applied migrations are remembered by id. */
  readonly id: string;
  /** SQL run inside the service's schema (search_path is set to it). */
  readonly sql: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`schema "${schema}" must be lower-case letters, digits and "_", starting with a letter or "_"`);
  }
  return schema;
}

/**
 * Applies, in order and once each, the migrations not yet recorded in `<schema>.schema_migrations`. Replicas
 * starting together serialize on an advisory lock, so each migration runs exactly once.
 */
export async function runMigrations(pool: Pool, schema: string, migrations: readonly Migration[]): Promise<string[]> {
  assertSchemaName(schema);
  const ids = new Set<string>();
  for (const migration of migrations) {
    if (ids.has(migration.id)) throw new Error(`migration id "${migration.id}" is used twice in schema ${schema}`);
    ids.add(migration.id);
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${schema}:migrations`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ id: string }>('SELECT id FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.id));
    const appliedNow: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
      appliedNow.push(migration.id);
    }
    await client.query('COMMIT');
    return appliedNow;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export const eventStoreMigrations: readonly Migration[] = [
  {
    id: 'event-store/001-events',
    sql: `
      CREATE TABLE events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL CHECK (length(stream_id) BETWEEN 1 AND 200),
        stream_version bigint NOT NULL CHECK (stream_version > 0),
        event_id uuid NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version),
        CONSTRAINT events_event_id_unique UNIQUE (event_id)
      );
      -- Readers of the whole log walk it in commit order: (transaction id, position).
      CREATE INDEX events_commit_order ON events (transaction_id, global_position);
      CREATE TABLE checkpoints (
        name text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 'event-store/002-relay-dead-letters',
    sql: `
      -- Events the outbox relay could not publish for good (too large, refused by the stream), and why.
      CREATE TABLE relay_dead_letters (
        event_id uuid PRIMARY KEY,
        global_position bigint NOT NULL,
        stream_id text NOT NULL,
        type text NOT NULL,
        reason text NOT NULL,
        dead_lettered_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];
