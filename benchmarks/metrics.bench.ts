/**
 * What request metrics cost and how fast they flow. `GET /v1/me` requests/s through a gateway that captures them
 * against one that does not (`METRICS_CAPTURE=off`), in alternating rounds in the same run, the metrics service
 * paused meanwhile (`capture_ratio`, target ≥ 0.9); records/s from the BullMQ queue into PostgreSQL by one metrics service (`ingest_pg_per_s`, 100,000
 * records enqueued in batches of 500 while it consumes); from a request's answer to its row being stored, p99 of 50
 * sequential requests (`visible_p99_ms`); and `GET /v1/metrics/requests/stats?hours=24` over what was stored
 * (`stats_ms`, median of 5, with `stats_rows`). Each gateway's own CPU per request in the rounds, from /proc
 * (`gateway_cpu_us_on`, `gateway_cpu_us_off`): the capture's cost without the machine's other load. When the
 * OpenSearch node of scripts/opensearch-node.sh answers, the metrics service writes to it too, and the same
 * ingestion is counted there (`ingest_os_per_s`; a batch is acknowledged once both stores have it); else null.
 * Run with `npm run bench:metrics`; the last line is a JSON summary.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { Bus } from '@platform/bus';
import type { RequestMetricRecord } from '@platform/contracts';
import { RequestMetricsQueue } from '@platform/request-metrics';
import { freePort, spawnTypeScript, stopProcess } from '@platform/testing';

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const openSearchUrl = process.env.OPENSEARCH_TEST_URL ?? 'http://127.0.0.1:9200';
const ROUNDS = 5;
const ROUND_SECONDS = 2;
const INGEST_RECORDS = 100_000;
const tag = `bench_mx_${randomUUID().slice(0, 8)}`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function storedCount(pool: Pool, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${tag}_mx.request_metrics WHERE ${where}`,
    params,
  );
  return rows[0].n;
}

/** CPU time a process has used so far, in ms (user + system, from /proc; Linux counts in 10 ms ticks). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function openSearchAnswers(): Promise<boolean> {
  return fetch(openSearchUrl, { signal: AbortSignal.timeout(2000) }).then(
    (response) => response.ok,
    () => false,
  );
}

async function main(): Promise<void> {
  const common = {
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    NATS_PREFIX: tag,
    REDIS_URL: redisUrl,
    METRICS_QUEUE_PREFIX: tag,
    LOG_LEVEL: 'error',
  };
  const children: ChildProcess[] = [];
  const pool = new Pool({ connectionString: databaseUrl });
  const queue = new RequestMetricsQueue({ redisUrl, prefix: tag });
  const withOpenSearch = await openSearchAnswers();
  const dataStream = tag.replace(/_/g, '-');
  try {
    const metricsPort = await freePort();
    children.push(
      await spawnTypeScript(
        'apps/metrics/src/main.ts',
        {
          ...common,
          DATABASE_SCHEMA: `${tag}_mx`,
          HTTP_PORT: String(metricsPort),
          ...(withOpenSearch ? { OPENSEARCH_URL: openSearchUrl, OPENSEARCH_DATA_STREAM: dataStream } : {}),
        },
        `http://127.0.0.1:${metricsPort}/readyz`,
      ),
    );
    const gatewayEnv = {
      ...common,
      IDENTITY_SCHEMA: `${tag}_id`,
      GATEWAY_SCHEMA: `${tag}_gw`,
      REDIS_PREFIX: `${tag}:`,
      PLATFORM_SECRET_KEY: randomBytes(32).toString('hex'),
      // The rounds send tens of thousands of requests with one credential: its rate limit is not what is measured.
      API_RATE_LIMIT_PER_MINUTE: '1000000',
    };
    const gateways: Record<'on' | 'off', string> = { on: '', off: '' };
    const gatewayPids: Record<'on' | 'off', number> = { on: 0, off: 0 };
    for (const capture of ['on', 'off'] as const) {
      const port = await freePort();
      gateways[capture] = `http://127.0.0.1:${port}`;
      const gateway = await spawnTypeScript(
        'apps/gateway/src/main.ts',
        { ...gatewayEnv, GATEWAY_PORT: String(port), METRICS_CAPTURE: capture },
        `${gateways[capture]}/v1/openapi.json`,
      );
      children.push(gateway);
      gatewayPids[capture] = gateway.pid ?? 0;
    }
    const signup = await fetch(`${gateways.on}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${tag}@example.com`, password: 'benchmark password', workspaceName: 'bench' }),
    });
    const { token, workspace } = (await signup.json()) as { token: string; workspace: { id: string } };
    const auth = { authorization: `Bearer ${token}` };

    // The metrics service is paused during the rounds: on this machine's two cores its ingestion of the records
    // would slow whichever gateway ran next. The ratio is the capturing gateway's own cost; ingestion is measured
    // on its own below.
    const metrics = children[0];
    for (const capture of ['on', 'off'] as const)
      await autocannon({ url: `${gateways[capture]}/v1/me`, headers: auth, connections: 32, duration: 1 });
    metrics.kill('SIGSTOP');
    const rounds: Record<'on' | 'off', number[]> = { on: [], off: [] };
    const cpu: Record<'on' | 'off', { ms: number; requests: number }> = {
      on: { ms: 0, requests: 0 },
      off: { ms: 0, requests: 0 },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const capture of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        const cpuBefore = cpuMsOf(gatewayPids[capture]);
        const result = await autocannon({
          url: `${gateways[capture]}/v1/me`,
          headers: auth,
          connections: 32,
          duration: ROUND_SECONDS,
        });
        const failed = result.non2xx + result.errors + result.timeouts;
        if (failed > 0) throw new Error(`GET /v1/me with capture ${capture}: ${failed} requests failed`);
        rounds[capture].push(result.requests.average);
        cpu[capture].ms += cpuMsOf(gatewayPids[capture]) - cpuBefore;
        cpu[capture].requests += result.requests.total;
      }
    }
    metrics.kill('SIGCONT');
    while ((await queue.queue.getJobCountByTypes('waiting', 'active', 'delayed')) > 0)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const median = (values: number[]) => percentile(values, 50);
    const captureRatio = median(rounds.on) / median(rounds.off);
    const cpuPerRequestUs = (capture: 'on' | 'off') => (cpu[capture].ms * 1000) / cpu[capture].requests;
    for (const capture of ['on', 'off'] as const)
      console.log(
        `GET /v1/me, capture ${capture.padEnd(3)} ${median(rounds[capture]).toFixed(0).padStart(7)} req/s  (median of ${ROUNDS} alternating rounds: ${rounds[capture].map((r) => r.toFixed(0)).join(', ')}); gateway CPU ${cpuPerRequestUs(capture).toFixed(0)} µs/request`,
      );

    const visible: number[] = [];
    for (let sample = 0; sample < 50; sample++) {
      const requestId = randomUUID();
      await fetch(`${gateways.on}/v1/me`, { headers: { ...auth, 'x-request-id': requestId } });
      const answered = performance.now();
      while ((await storedCount(pool, 'request_id = $1', [requestId])) === 0) {
        if (performance.now() - answered > 30_000) throw new Error('a request was not stored within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      visible.push(performance.now() - answered);
    }
    console.log(
      `answer to stored row               p50 ${percentile(visible, 50).toFixed(0)} ms  p99 ${percentile(visible, 99).toFixed(0)} ms (50 requests)`,
    );

    const template: Omit<RequestMetricRecord, 'id' | 'requestId' | 'occurredAt'> = {
      method: 'GET',
      route: '/v1/deployments/:id',
      path: '/v1/deployments/00000000-0000-4000-8000-000000000000',
      query: { limit: '20' },
      status: 200,
      errorCode: null,
      latencyMs: 12.5,
      clientIp: '203.0.113.9',
      userAgent: 'bench',
      referer: null,
      userId: randomUUID(),
      workspaceId: workspace.id,
      tokenId: null,
      sessionId: randomUUID(),
      country: 'NL',
      service: 'gateway',
      replica: 'bench',
    };
    const before = await storedCount(pool);
    const started = performance.now();
    for (let sent = 0; sent < INGEST_RECORDS; sent += 10_000) {
      const batches = Array.from({ length: 20 }, (_, batch) =>
        Array.from({ length: 500 }, (_, n) => ({
          ...template,
          id: randomUUID(),
          requestId: randomUUID(),
          occurredAt: new Date(Date.now() - ((sent + batch * 500 + n) % 86_000) * 1000).toISOString(),
          status: n % 50 === 0 ? 500 : 200,
          latencyMs: (n % 100) + 0.5,
        })),
      );
      await queue.send(batches);
    }
    while ((await storedCount(pool)) < before + INGEST_RECORDS) {
      if (performance.now() - started > 600_000) throw new Error('ingestion did not finish within 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ingestPerSecond = INGEST_RECORDS / ((performance.now() - started) / 1000);
    console.log(
      `ingest into PostgreSQL             ${ingestPerSecond.toFixed(0)} records/s (${INGEST_RECORDS} records)`,
    );
    let ingestOpenSearchPerSecond: number | null = null;
    if (withOpenSearch) {
      const indexed = async () => {
        await fetch(`${openSearchUrl}/${dataStream}/_refresh`, { method: 'POST' });
        const answer = await fetch(`${openSearchUrl}/${dataStream}/_count`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: { term: { replica: 'bench' } } }),
        });
        return ((await answer.json()) as { count: number }).count;
      };
      while ((await indexed()) < INGEST_RECORDS) {
        if (performance.now() - started > 600_000) throw new Error('OpenSearch did not catch up within 10 minutes');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      ingestOpenSearchPerSecond = INGEST_RECORDS / ((performance.now() - started) / 1000);
      console.log(
        `ingest into OpenSearch             ${ingestOpenSearchPerSecond.toFixed(0)} records/s (the same records, bulk)`,
      );
    }

    await pool.query(`ANALYZE ${tag}_mx.request_metrics`);
    const statsTimes: number[] = [];
    for (let run = 0; run < 5; run++) {
      const at = performance.now();
      const answer = await fetch(`${gateways.on}/v1/metrics/requests/stats?hours=24`, { headers: auth });
      if (answer.status !== 200) throw new Error(`stats answered ${answer.status}: ${await answer.text()}`);
      await answer.text();
      statsTimes.push(performance.now() - at);
    }
    const statsRows = await storedCount(pool, 'workspace_id = $1', [workspace.id]);
    console.log(
      `GET /v1/metrics/requests/stats     ${percentile(statsTimes, 50).toFixed(0)} ms over ${statsRows} rows (median of 5: ${statsTimes.map((t) => t.toFixed(0)).join(', ')})`,
    );
    console.log(
      JSON.stringify({
        capture_ratio: Number(captureRatio.toFixed(3)),
        ingest_pg_per_s: Math.round(ingestPerSecond),
        ingest_os_per_s: ingestOpenSearchPerSecond === null ? null : Math.round(ingestOpenSearchPerSecond),
        visible_p99_ms: Math.round(percentile(visible, 99)),
        stats_ms: Math.round(percentile(statsTimes, 50)),
        stats_rows: statsRows,
        gateway_cpu_us_on: Math.round(cpuPerRequestUs('on')),
        gateway_cpu_us_off: Math.round(cpuPerRequestUs('off')),
      }),
    );
  } finally {
    // A failure during the rounds leaves the metrics service paused, where it would never take the SIGTERM.
    children[0]?.kill('SIGCONT');
    for (const child of children) await stopProcess(child);
    await queue.queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const bus = await Bus.connect({ servers: natsUrl, prefix: tag });
    for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const)
      await bus.manager.streams.delete(bus.subjects.stream(stream)).catch(() => undefined);
    await bus.close();
    if (withOpenSearch) {
      await fetch(`${openSearchUrl}/_data_stream/${dataStream}`, { method: 'DELETE' }).catch(() => undefined);
      await fetch(`${openSearchUrl}/_index_template/${dataStream}`, { method: 'DELETE' }).catch(() => undefined);
    }
    for (const schema of ['mx', 'id', 'gw', 'metrics'])
      await pool.query(`DROP SCHEMA IF EXISTS ${tag}_${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
