/**
 * Event store append and projection throughput, against Emmett's PostgreSQL event store and a bare INSERT,
 * in one run on one database. Run with `npm run bench:event-store`; the last line is a JSON summary.
 */
import { randomUUID } from 'node:crypto';
import { Client, Pool, type PoolClient } from 'pg';
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import {
  EventStore,
  ProjectionRunner,
  runMigrations,
  StreamVersionConflictError,
  type StoredEvent,
} from '@platform/event-store';

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = 'platform_bench_event_store';
const benchUrl = withDatabase(adminUrl, database);
const concurrencies = [1, 8, 32];
const appendsPerRun = Number(process.env.BENCH_APPENDS ?? 4000);
const projectionEvents = Number(process.env.BENCH_PROJECTION_EVENTS ?? 50_000);

const metadata = { workspaceId: 'ws_bench', actorId: 'user_bench', correlationId: 'corr_bench' };
// About 300 bytes once serialized with its metadata, like a typical domain event.
const payload = {
  deploymentId: randomUUID(),
  serviceId: randomUUID(),
  image: 'registry.local/acme/web:deploy_1a2b3c4d',
  servers: ['127.0.0.2', '127.0.0.3'],
  note: 'x'.repeat(40),
};

interface Figures {
  perSecond: number;
  p99Ms: number;
}
type Append = (streamId: string, expected: number | 'no_stream') => Promise<void>;

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function recreateDatabase(): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}

/** `total` appends to new streams, by `concurrency` workers. */
async function newStreams(append: Append, concurrency: number, total: number): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        await append(`bench-${randomUUID()}`, 'no_stream');
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: total / seconds, p99Ms: p99(latencies) };
}

/**
 * `total` successful appends to one stream, each at the version its writer last saw; losers reload and retry.
 * The bare INSERT checks no version, so its hot-stream figure is only a ceiling, not a like-for-like rival.
 */
async function hotStream(
  append: Append,
  readVersion: (s: string) => Promise<number>,
  concurrency: number,
  total: number,
): Promise<Figures> {
  const streamId = `hot-${randomUUID()}`;
  const latencies: number[] = [];
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      let version = await readVersion(streamId);
      while (done < total) {
        const t0 = performance.now();
        try {
          await append(streamId, version === 0 ? 'no_stream' : version);
          version++;
          done++;
          latencies.push(performance.now() - t0);
        } catch (error) {
          if (!isConflict(error)) throw error;
          version = await readVersion(streamId);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: done / seconds, p99Ms: p99(latencies) };
}

function isConflict(error: unknown): boolean {
  return (
    error instanceof StreamVersionConflictError ||
    (error as Error).name === 'ExpectedVersionConflictError' ||
    (error as { errorCode?: number }).errorCode === 412
  );
}

async function main(): Promise<void> {
  await recreateDatabase();
  const pool = new Pool({ connectionString: benchUrl, max: 40 });
  const ours = new EventStore(pool, 'bench');
  await ours.migrate();
  const emmett = getPostgreSQLEventStore(benchUrl, { connectionOptions: { pooled: true } as never });
  await pool.query(
    `CREATE TABLE bench_insert (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_id text NOT NULL, type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  );

  const contenders: Record<string, { append: Append; version: (s: string) => Promise<number> }> = {
    ours: {
      append: async (streamId, expected) => {
        await ours.append(streamId, [{ type: 'DeploymentRequested', data: payload, metadata }], {
          expectedVersion: expected,
        });
      },
      version: (streamId) => ours.streamVersion(streamId),
    },
    emmett: {
      append: async (streamId, expected) => {
        await emmett.appendToStream(streamId, [{ type: 'DeploymentRequested', data: payload, metadata }], {
          expectedStreamVersion: expected === 'no_stream' ? STREAM_DOES_NOT_EXIST : BigInt(expected),
        });
      },
      version: async (streamId) => Number((await emmett.readStream(streamId)).currentStreamVersion),
    },
    insert: {
      append: async (streamId) => {
        await pool.query('INSERT INTO bench_insert (stream_id, type, data, metadata) VALUES ($1, $2, $3, $4)', [
          streamId,
          'DeploymentRequested',
          JSON.stringify(payload),
          JSON.stringify(metadata),
        ]);
      },
      version: async () => 0,
    },
  };

  // Warm every path (connections, prepared statements, Emmett's schema) before measuring.
  for (const contender of Object.values(contenders)) await newStreams(contender.append, 8, 400);

  const results: Record<string, Figures> = {};
  for (const concurrency of concurrencies) {
    for (const [name, contender] of Object.entries(contenders)) {
      const total = concurrency === 1 ? appendsPerRun / 4 : appendsPerRun;
      const fresh = await newStreams(contender.append, concurrency, total);
      const hot = await hotStream(
        contender.append,
        contender.version,
        concurrency,
        concurrency === 1 ? total : total / 4,
      );
      results[`${name}.new.c${concurrency}`] = fresh;
      results[`${name}.hot.c${concurrency}`] = hot;
      console.log(
        `${name.padEnd(7)} c=${String(concurrency).padEnd(3)} new streams ${fresh.perSecond.toFixed(0).padStart(6)}/s p99 ${fresh.p99Ms.toFixed(2).padStart(6)} ms | hot stream ${hot.perSecond.toFixed(0).padStart(6)}/s p99 ${hot.p99Ms.toFixed(2).padStart(6)} ms`,
      );
    }
  }
  const figure = (key: string) => results[key];
  const ratio = (a: string, b: string) => Number((figure(a).perSecond / figure(b).perSecond).toFixed(2));
  for (const c of concurrencies) {
    console.log(
      `c=${c}: ours/emmett new ${ratio(`ours.new.c${c}`, `emmett.new.c${c}`)}x hot ${ratio(`ours.hot.c${c}`, `emmett.hot.c${c}`)}x | ours/insert new ${ratio(`ours.new.c${c}`, `insert.new.c${c}`)}x hot ${ratio(`ours.hot.c${c}`, `insert.hot.c${c}`)}x`,
    );
  }

  const projectionRate = await projectionCatchUp(pool);
  console.log(`projection cold catch-up: ${projectionRate.toFixed(0)} events/s over ${projectionEvents} events`);

  await emmett.close();
  await pool.end();
  console.log(
    JSON.stringify({
      ratio_vs_emmett_c8: ratio('ours.new.c8', 'emmett.new.c8'),
      ratio_vs_emmett_c32: ratio('ours.new.c32', 'emmett.new.c32'),
      ratio_vs_insert_c8: ratio('ours.new.c8', 'insert.new.c8'),
      ratio_vs_insert_c32: ratio('ours.new.c32', 'insert.new.c32'),
      hot_ratio_vs_emmett_c8: ratio('ours.hot.c8', 'emmett.hot.c8'),
      hot_ratio_vs_emmett_c32: ratio('ours.hot.c32', 'emmett.hot.c32'),
      ours_appends_per_s_c8: Math.round(figure('ours.new.c8').perSecond),
      ours_appends_per_s_c32: Math.round(figure('ours.new.c32').perSecond),
      ours_p99_ms_c8: Number(figure('ours.new.c8').p99Ms.toFixed(2)),
      emmett_appends_per_s_c8: Math.round(figure('emmett.new.c8').perSecond),
      insert_appends_per_s_c8: Math.round(figure('insert.new.c8').perSecond),
      projection_events_per_s: Math.round(projectionRate),
    }),
  );
}

/** Fills a fresh log, then times a projection catching up from nothing (a cold start or a rebuild). */
async function projectionCatchUp(pool: Pool): Promise<number> {
  const store = new EventStore(pool, 'bench_projection');
  await store.migrate();
  const streams = 1000;
  for (let i = 0; i < projectionEvents; i += 500) {
    await Promise.all(
      Array.from({ length: 5 }, (_, j) =>
        store.append(
          `deployment-${(i / 100 + j) % streams}`,
          Array.from({ length: 100 }, () => ({ type: 'DeploymentRequested', data: payload, metadata })),
        ),
      ),
    );
  }
  const projection = {
    name: 'deployments_per_stream',
    migrations: [
      {
        id: 'bench/001',
        sql: 'CREATE TABLE stream_counts (stream_id text PRIMARY KEY, events int NOT NULL, last_image text)',
      },
    ],
    async handle(events: readonly StoredEvent[], tx: PoolClient) {
      const counts = new Map<string, { events: number; image: string }>();
      for (const event of events) {
        const entry = counts.get(event.streamId) ?? { events: 0, image: '' };
        entry.events++;
        entry.image = (event.data as typeof payload).image;
        counts.set(event.streamId, entry);
      }
      await tx.query(
        `INSERT INTO stream_counts (stream_id, events, last_image)
         SELECT * FROM unnest($1::text[], $2::int[], $3::text[])
         ON CONFLICT (stream_id) DO UPDATE SET events = stream_counts.events + excluded.events, last_image = excluded.last_image`,
        [[...counts.keys()], [...counts.values()].map((v) => v.events), [...counts.values()].map((v) => v.image)],
      );
    },
    async reset(tx: PoolClient) {
      await tx.query('TRUNCATE stream_counts');
    },
  };
  await runMigrations(pool, 'bench_projection', projection.migrations);
  const runner = new ProjectionRunner(store, projection, { replicaId: 'bench', batchSize: 2000 });
  const started = performance.now();
  const handled = await runner.catchUp();
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await pool.query('SELECT sum(events)::int AS total FROM bench_projection.stream_counts');
  if (handled !== projectionEvents || rows[0].total !== projectionEvents) {
    throw new Error(`projection handled ${handled} events and counted ${rows[0].total}, expected ${projectionEvents}`);
  }
  return handled / seconds;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
