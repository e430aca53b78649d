import type { ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Client } from '@opensearch-project/opensearch';
import { RequestMetricsQueue } from '@platform/request-metrics';
import { aRecord } from '@platform/request-metrics/testing';
import {
  createTestSchema,
  eventually,
  freePort,
  openSearchTestsRun,
  spawnTypeScript,
  stopProcess,
  testServices,
  uniqueName,
  type TestSchema,
} from '@platform/testing';

/** A TCP door to the OpenSearch node that the test can shut (every connection cut, nothing listening) and reopen. */
class Door {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: URL,
  ) {}

  async open(): Promise<void> {
    this.server = createServer((inbound) => {
      const outbound = connect(Number(this.target.port), this.target.hostname);
      for (const socket of [inbound, outbound]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
  }

  async shut(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

(openSearchTestsRun() ? describe : describe.skip)('the metrics service with OpenSearch as its second store', () => {
  let db: TestSchema;
  let prefix: string;
  let dataStream: string;
  let door: Door;
  let metrics: ChildProcess;
  let queue: RequestMetricsQueue;
  const openSearch = new Client({ node: testServices.openSearchUrl });

  beforeAll(async () => {
    db = createTestSchema('mxsink');
    prefix = uniqueName('mxsink');
    dataStream = uniqueName('reqsink');
    door = new Door(await freePort(), new URL(testServices.openSearchUrl));
    await door.open();
    const port = await freePort();
    metrics = await spawnTypeScript(
      'apps/metrics/src/main.ts',
      {
        DATABASE_URL: testServices.databaseUrl,
        DATABASE_SCHEMA: db.schema,
        NATS_URL: testServices.natsUrl,
        NATS_PREFIX: prefix,
        REDIS_URL: testServices.redisUrl,
        METRICS_QUEUE_PREFIX: prefix,
        HTTP_PORT: String(port),
        OPENSEARCH_URL: `http://127.0.0.1:${door.port}`,
        OPENSEARCH_DATA_STREAM: dataStream,
        LOG_LEVEL: 'silent',
      },
      `http://127.0.0.1:${port}/readyz`,
    );
    queue = new RequestMetricsQueue({ redisUrl: testServices.redisUrl, prefix });
  }, 60_000);

  afterAll(async () => {
    if (metrics) await stopProcess(metrics);
    await queue?.queue.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await door?.shut().catch(() => undefined);
    await openSearch.indices.deleteDataStream({ name: dataStream }).catch(() => undefined);
    await openSearch.indices.deleteIndexTemplate({ name: dataStream }).catch(() => undefined);
    await openSearch.close();
    await db.pool.query(`DROP SCHEMA IF EXISTS ${db.schema} CASCADE`);
    await db.dispose();
  }, 60_000);

  async function inPostgres(ids: string[]): Promise<number> {
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM ${db.schema}.request_metrics WHERE id = ANY($1)`,
      [ids],
    );
    return rows[0].n;
  }

  async function inOpenSearch(ids: string[]): Promise<number> {
    await openSearch.indices.refresh({ index: dataStream });
    const { body } = await openSearch.count({ index: dataStream, body: { query: { terms: { id: ids } } } });
    return body.count;
  }

  it('keeps storing in PostgreSQL while OpenSearch is down, and OpenSearch catches up without doubles', async () => {
    const before = Array.from({ length: 300 }, () => aRecord());
    await queue.send([before]);
    const beforeIds = before.map((record) => record.id);
    await eventually(async () => {
      expect(await inPostgres(beforeIds)).toBe(300);
      expect(await inOpenSearch(beforeIds)).toBe(300);
    }, 15_000);

    await door.shut();
    const during = Array.from({ length: 3 }, () => Array.from({ length: 200 }, () => aRecord()));
    await queue.send(during);
    const duringIds = during.flat().map((record) => record.id);
    // PostgreSQL has each batch at its first attempt; the batches wait for OpenSearch, retried with back-off.
    await eventually(async () => expect(await inPostgres(duringIds)).toBe(600), 15_000);
    await eventually(async () => expect(await queue.queue.getJobCounts('delayed')).toEqual({ delayed: 3 }), 15_000);
    expect(await inOpenSearch(duringIds)).toBe(0);

    await door.open();
    await eventually(
      async () => {
        expect(await inOpenSearch(duringIds)).toBe(600);
        expect(await queue.queue.getJobCounts('delayed', 'waiting', 'active', 'failed')).toEqual({
          delayed: 0,
          waiting: 0,
          active: 0,
          failed: 0,
        });
      },
      45_000,
      500,
    );
    const everything = [...beforeIds, ...duringIds];
    expect(await inPostgres(everything)).toBe(900);
    expect(await inOpenSearch(everything)).toBe(900);
    // Sent again (a sender that never heard its answer): neither store doubles a record.
    await queue.queue.add('batch', { records: before }, { jobId: 'again' });
    await eventually(
      async () => expect(await queue.queue.getJobCounts('waiting', 'active')).toEqual({ waiting: 0, active: 0 }),
      15_000,
    );
    expect(await inPostgres(everything)).toBe(900);
    expect(await inOpenSearch(everything)).toBe(900);
  }, 120_000);
});
