import { randomUUID } from 'node:crypto';
import { createTestSchema, testServices, type TestSchema } from '@platform/testing';
import type { DataSource } from 'typeorm';
import { aRecord } from '../test-support';
import { metricsDataSourceOptions, openMetricsDatabase } from './metrics-database';
import { MetricsQueries } from './metrics-queries';
import { MetricsWriter } from './metrics-writer';
import { MetricsPartitions } from './partitions';

const DAY_MS = 86_400_000;

describe('the request metrics store (PostgreSQL through TypeORM)', () => {
  let db: TestSchema;
  let dataSource: DataSource;
  let partitions: MetricsPartitions;
  let writer: MetricsWriter;
  let queries: MetricsQueries;

  beforeAll(async () => {
    db = createTestSchema('metrics');
    dataSource = await openMetricsDatabase(
      metricsDataSourceOptions({ url: testServices.databaseUrl, schema: db.schema, poolSize: 4 }),
    );
    partitions = new MetricsPartitions(dataSource, db.schema);
    writer = new MetricsWriter(dataSource, partitions, db.schema);
    queries = new MetricsQueries(dataSource);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.dispose();
  });

  async function count(where = 'true', params: unknown[] = []): Promise<number> {
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM ${db.schema}.request_metrics WHERE ${where}`,
      params,
    );
    return rows[0].n;
  }

  it('migrates once when replicas start together', async () => {
    const [again, third] = await Promise.all([
      openMetricsDatabase(metricsDataSourceOptions({ url: testServices.databaseUrl, schema: db.schema, poolSize: 2 })),
      openMetricsDatabase(metricsDataSourceOptions({ url: testServices.databaseUrl, schema: db.schema, poolSize: 2 })),
    ]);
    await Promise.all([again.destroy(), third.destroy()]);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.typeorm_migrations`);
    expect(rows[0].n).toBe(1);
  });

  it('stores a batch once, however often it is written, in the partition of its day', async () => {
    const workspaceId = randomUUID();
    const batch = Array.from({ length: 300 }, () => aRecord({ workspaceId }));
    expect(await writer.write(batch)).toBe(300);
    // A retried batch (a worker killed after its commit, before its acknowledgement), and two workers at once.
    const again = await Promise.all([
      writer.write(batch),
      new MetricsWriter(dataSource, partitions, db.schema).write(batch),
    ]);
    expect(again).toEqual([0, 0]);
    expect(await count('workspace_id = $1', [workspaceId])).toBe(300);
    const day = batch[0].occurredAt.slice(0, 10).replace(/-/g, '');
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM ${db.schema}.request_metrics_p${day} WHERE workspace_id = $1`,
      [workspaceId],
    );
    expect(rows[0].n).toBe(300);
  });

  it('writes a batch whole or not at all', async () => {
    const workspaceId = randomUUID();
    const good = aRecord({ workspaceId });
    const bad = aRecord({ workspaceId, status: 99_999 });
    await expect(writer.write([good, bad])).rejects.toThrow();
    expect(await count('workspace_id = $1', [workspaceId])).toBe(0);
  });

  it('drops the day partitions past the retention, and only those', async () => {
    const now = new Date();
    const old = aRecord({ occurredAt: new Date(now.getTime() - 40 * DAY_MS).toISOString() });
    const recent = aRecord({ occurredAt: new Date(now.getTime() - 2 * DAY_MS).toISOString() });
    await writer.write([old, recent]);
    const dropped = await partitions.dropOlderThan(30, now);
    expect(dropped).toEqual([old.occurredAt.slice(0, 10)]);
    expect(await count('id = $1', [old.id])).toBe(0);
    expect(await count('id = $1', [recent.id])).toBe(1);
    // A late record of a dropped day makes its partition again rather than failing for ever.
    expect(await writer.write([aRecord({ occurredAt: old.occurredAt })])).toBe(1);
  });

  describe('queries, within one workspace', () => {
    const workspaceId = randomUUID();
    const otherWorkspaceId = randomUUID();
    // On a minute, so that chart steps of a minute start at `at(0)`.
    const start = Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000;
    const at = (minute: number) => new Date(start + minute * 60_000).toISOString();

    beforeAll(async () => {
      await writer.write([
        aRecord({ workspaceId, occurredAt: at(1), route: '/v1/servers/:id', path: '/v1/servers/1', latencyMs: 1500 }),
        aRecord({ workspaceId, occurredAt: at(2), route: '/v1/servers/:id', path: '/v1/servers/2', latencyMs: 2500 }),
        aRecord({ workspaceId, occurredAt: at(3), route: '/v1/me', status: 401, errorCode: 'unauthorized' }),
        aRecord({ workspaceId, occurredAt: at(4), route: '/v1/deployments', path: '/v1/deployments', status: 500 }),
        ...Array.from({ length: 6 }, (_, n) => aRecord({ workspaceId, occurredAt: at(5 + n), latencyMs: 10 + n })),
        aRecord({ workspaceId: otherWorkspaceId, occurredAt: at(6), latencyMs: 9000, status: 503 }),
      ]);
    });

    it('lists newest first in pages that neither repeat nor skip, filtered', async () => {
      const scope = { workspaceId };
      const first = await queries.list(scope, { limit: 4 });
      const second = await queries.list(scope, { limit: 4, cursor: first.nextCursor ?? undefined });
      const third = await queries.list(scope, { limit: 4, cursor: second.nextCursor ?? undefined });
      const all = [...first.items, ...second.items, ...third.items];
      expect(all).toHaveLength(10);
      expect(new Set(all.map((item) => item.id)).size).toBe(10);
      expect(third.nextCursor).toBeNull();
      expect(all.map((item) => item.occurredAt)).toEqual([...all.map((item) => item.occurredAt)].sort().reverse());
      expect(all.every((item) => item.workspaceId === workspaceId)).toBe(true);

      const slow = await queries.list(scope, { limit: 50, minLatencyMs: 1000 });
      expect(slow.items.map((item) => item.latencyMs)).toEqual([2500, 1500]);
      const servers = await queries.list(scope, { limit: 50, pathPrefix: '/v1/servers/' });
      expect(servers.items).toHaveLength(2);
      const literal = await queries.list(scope, { limit: 50, pathPrefix: '/v1/%' });
      expect(literal.items).toHaveLength(0);
      const errors = await queries.list(scope, { limit: 50, errorsOnly: true });
      expect(errors.items.map((item) => item.status)).toEqual([500, 401]);
      const unauthorized = await queries.list(scope, { limit: 50, status: 401 });
      expect(unauthorized.items[0]).toMatchObject({ errorCode: 'unauthorized', route: '/v1/me' });
      const window = await queries.list(scope, { limit: 50, from: at(2), to: at(4) });
      expect(window.items).toHaveLength(2);
    });

    it('sums up the last hours: totals, error rate, percentiles, slowest and failing routes', async () => {
      const stats = await queries.stats({ workspaceId }, { hours: 1 });
      expect(stats).toMatchObject({ total: 10, errors: 2, serverErrors: 1, errorRate: 0.2 });
      expect(stats.latencyMs.p99).toBeGreaterThan(stats.latencyMs.p50 ?? Infinity);
      expect(stats.slowestRoutes[0]).toMatchObject({ method: 'GET', route: '/v1/servers/:id', count: 2 });
      expect(stats.failingRoutes.map((route) => route.route).sort()).toEqual(['/v1/deployments', '/v1/me']);
      const empty = await queries.stats({ workspaceId: randomUUID() }, { hours: 24 });
      expect(empty).toMatchObject({ total: 0, errorRate: 0, latencyMs: { p95: null } });
    });

    it('charts per step, with empty steps as zero', async () => {
      const series = await queries.timeseries({ workspaceId }, { metric: 'rate', step: '1m', from: at(0), to: at(12) });
      expect(series.points).toHaveLength(12);
      expect(series.points.reduce((sum, point) => sum + (point.value ?? 0), 0)).toBe(10);
      expect(series.points[0].value).toBe(0);
      const errors = await queries.timeseries(
        { workspaceId },
        { metric: 'errors', step: '1h', from: at(0), to: at(12) },
      );
      expect(errors.points.reduce((sum, point) => sum + (point.value ?? 0), 0)).toBe(2);
      const p95 = await queries.timeseries({ workspaceId }, { metric: 'p95', step: '1m', from: at(0), to: at(12) });
      expect(p95.points.find((point) => point.at === at(2))?.value).toBe(2500);
      await expect(
        queries.timeseries({ workspaceId }, { metric: 'rate', step: '1m', from: at(-3000), to: at(12) }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
    });

    it('reads a workspace through its index, not by scanning every request', async () => {
      await db.pool.query(`ANALYZE ${db.schema}.request_metrics`);
      const client = await db.pool.connect();
      try {
        await client.query('SET enable_seqscan = off');
        const { rows } = await client.query(
          `EXPLAIN SELECT * FROM ${db.schema}.request_metrics WHERE workspace_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT 50`,
          [workspaceId],
        );
        const plan = rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
        // Each partition's copy of request_metrics_workspace_time.
        expect(plan).toMatch(/Index Cond: \(workspace_id = /);
        expect(plan).not.toMatch(/Seq Scan/);
      } finally {
        client.release();
      }
    });
  });
});
