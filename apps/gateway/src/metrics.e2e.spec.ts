import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '@platform/bus';
import { REQUEST_METRICS_QUEUE, type RequestMetricRecord } from '@platform/contracts';
import {
  createTestSchema,
  eventually,
  expectRefusal,
  freePort,
  spawnTypeScript,
  stopProcess,
  testServices,
  uniqueName,
  type TestSchema,
} from '@platform/testing';
import { Queue } from 'bullmq';
import { startGateway, type RunningGateway } from './start-gateway';
import { ApiClient } from './test-support';

/** A request to the gateway from a chosen loopback address: 127.0.0.1 is the trusted proxy, 127.0.0.2 is not. */
function callFrom(
  localAddress: string,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { localAddress, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        const json = response.headers['content-type']?.startsWith('application/json');
        resolve({ status: response.statusCode ?? 0, body: json ? JSON.parse(text) : text });
      });
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('request metrics through the gateway (capture, queue, metrics service, queries)', () => {
  let db: TestSchema;
  let prefix: string;
  let schemas: { identity: string; gateway: string; metrics: string };
  let gateway: RunningGateway;
  let api: ApiClient;
  let metricsEnv: NodeJS.ProcessEnv;
  let metrics: ChildProcess;
  let uploadsDir: string;

  let metricsUrl: string;

  async function startMetrics(): Promise<ChildProcess> {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    return spawnTypeScript(
      'apps/metrics/src/main.ts',
      { ...metricsEnv, HTTP_PORT: String(port) },
      `http://127.0.0.1:${port}/readyz`,
    );
  }

  beforeAll(async () => {
    db = createTestSchema('metrics');
    prefix = uniqueName('metrics');
    schemas = { identity: `${db.schema}_id`, gateway: `${db.schema}_gw`, metrics: `${db.schema}_mx` };
    uploadsDir = await mkdtemp(join(tmpdir(), 'platform-metrics-uploads-'));
    const common = {
      DATABASE_URL: testServices.databaseUrl,
      NATS_URL: testServices.natsUrl,
      NATS_PREFIX: prefix,
      REDIS_URL: testServices.redisUrl,
      METRICS_QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
    };
    metricsEnv = { ...common, DATABASE_SCHEMA: schemas.metrics, REPLICA_ID: 'metrics-e2e' };
    metrics = await startMetrics();
    gateway = await startGateway({
      handleSignals: false,
      env: {
        ...common,
        GATEWAY_PORT: '0',
        IDENTITY_SCHEMA: schemas.identity,
        GATEWAY_SCHEMA: schemas.gateway,
        REDIS_PREFIX: `${prefix}:`,
        PLATFORM_SECRET_KEY: randomBytes(32).toString('hex'),
        UPLOADS_DIR: uploadsDir,
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
        // Several people sign up here, as on a development instance.
        SIGNUP: 'open',
        TRUST_PROXY: '127.0.0.1',
      },
    });
    api = new ApiClient(gateway.url);
  }, 90_000);

  afterAll(async () => {
    await gateway?.stop();
    if (metrics) await stopProcess(metrics);
    const queue = new Queue(REQUEST_METRICS_QUEUE, { connection: { url: testServices.redisUrl }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const cleanup = await Bus.connect({ servers: testServices.natsUrl, prefix });
    for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const)
      await cleanup.manager.streams.delete(cleanup.subjects.stream(stream)).catch(() => undefined);
    await cleanup.close();
    for (const schema of Object.values(schemas)) await db.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.dispose();
    await rm(uploadsDir, { recursive: true, force: true });
  }, 60_000);

  async function recordOf(
    token: string,
    requestId: string,
    list = '/v1/metrics/requests',
  ): Promise<RequestMetricRecord> {
    const page = await api.request<{ items: RequestMetricRecord[] }>('GET', `${list}?limit=200`, { token });
    expect(page.status).toBe(200);
    const found = page.body.items.find((item) => item.requestId === requestId);
    if (!found) throw new Error(`request ${requestId} is not in ${list} yet`);
    return found;
  }

  /** The first account: the instance's owner, its admin. */
  let instanceAdmin: { token: string; workspaceId: string };

  it('records a request with its route template, redacted query, caller and the address a trusted proxy names', async () => {
    const owner = await api.signup('metrics-owner');
    instanceAdmin = owner;
    const viaProxy = randomUUID();
    const sent = Date.now();
    const answer = await callFrom('127.0.0.1', `${gateway.url}/v1/me?api_key=s3cret-value&view=full`, {
      authorization: `Bearer ${owner.token}`,
      'x-request-id': viaProxy,
      'x-forwarded-for': '198.51.100.7',
      'cf-ipcountry': 'NL',
      'user-agent': 'metrics-e2e/1',
    });
    // GET /v1/me takes no query: refused, and recorded like any answer, with its error code.
    expect(answer.status).toBe(400);
    const record = await eventually(() => recordOf(owner.token, viaProxy), 10_000);
    const visibleAfterMs = Date.now() - sent;
    expect(record).toMatchObject({
      method: 'GET',
      route: '/v1/me',
      path: '/v1/me',
      query: { api_key: '[redacted]', view: 'full' },
      status: 400,
      errorCode: 'validation_failed',
      clientIp: '198.51.100.7',
      country: 'NL',
      userAgent: 'metrics-e2e/1',
      userId: owner.userId,
      workspaceId: owner.workspaceId,
      tokenId: null,
      service: 'gateway',
    });
    expect(record.sessionId).toEqual(expect.any(String));
    expect(record.latencyMs).toBeGreaterThan(0);
    expect(JSON.stringify(record)).not.toContain('s3cret-value');
    console.log(`request visible in GET /v1/metrics/requests ${visibleAfterMs} ms after its answer`);

    // From a peer that is no trusted proxy, X-Forwarded-For and CF-IPCountry are the client's own words: ignored.
    const spoofed = randomUUID();
    const members = await callFrom('127.0.0.2', `${gateway.url}/v1/workspaces/${owner.workspaceId}/members`, {
      authorization: `Bearer ${owner.token}`,
      'x-request-id': spoofed,
      'x-forwarded-for': '203.0.113.66',
      'cf-ipcountry': 'US',
    });
    expect(members.status).toBe(200);
    const spoofedRecord = await eventually(() => recordOf(owner.token, spoofed), 10_000);
    expect(spoofedRecord).toMatchObject({
      route: '/v1/workspaces/:workspaceId/members',
      path: `/v1/workspaces/${owner.workspaceId}/members`,
      clientIp: '127.0.0.2',
      country: null,
    });

    await eventually(() => recordOf(owner.token, viaProxy, '/v1/metrics/requests/errors'), 10_000);

    // The gateway's Prometheus scrape, for a scraper on this machine that came straight to it, and no one else.
    const gatewayScrape = await fetch(`${gateway.url}/metrics`);
    expect(gatewayScrape.status).toBe(200);
    const gatewayText = await gatewayScrape.text();
    expect(gatewayText).toMatch(
      /^http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/v1\/workspaces\/:workspaceId\/members",http_response_status_code="200"\} 1$/m,
    );
    expect(gatewayText).toMatch(/^http_server_active_requests 1$/m);
    expect(gatewayText).toMatch(/^request_metrics_capture_dropped_total 0$/m);
    const forwarded = await callFrom('127.0.0.1', `${gateway.url}/metrics`, { 'x-forwarded-for': '198.51.100.7' });
    expect(forwarded.status).toBe(404);

    // The metrics service's Prometheus scrape: what it stored, and the queue.
    const scrape = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(Number(/^request_metrics_records_stored_total (\d+)$/m.exec(scrape)?.[1])).toBeGreaterThanOrEqual(2);
    expect(scrape).toMatch(/^request_metrics_queue_batches\{state="failed"\} 0$/m);

    const stats = await api.request<{ total: number; errors: number }>('GET', '/v1/metrics/requests/stats?hours=1', {
      token: owner.token,
    });
    expect(stats.status).toBe(200);
    expect(stats.body.total).toBeGreaterThanOrEqual(3);
    expect(stats.body.errors).toBeGreaterThanOrEqual(1);
    const chart = await api.request<{ points: { value: number }[] }>(
      'GET',
      '/v1/metrics/requests/timeseries?metric=rate&step=5m',
      { token: owner.token },
    );
    expect(chart.status).toBe(200);
    expect(chart.body.points.reduce((sum, point) => sum + point.value, 0)).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it("shows a workspace admin their own workspace's requests only, the instance admin every workspace, and refuses members", async () => {
    const alpha = await api.signup('metrics-alpha');
    const bravo = await api.signup('metrics-bravo');
    const alphasRequest = randomUUID();
    const bravosRequest = randomUUID();
    await api.request('GET', '/v1/me', { token: alpha.token, headers: { 'x-request-id': alphasRequest } });
    await api.request('GET', '/v1/me', { token: bravo.token, headers: { 'x-request-id': bravosRequest } });
    await eventually(() => recordOf(alpha.token, alphasRequest), 10_000);
    await eventually(() => recordOf(bravo.token, bravosRequest), 10_000);

    const bravosView = await api.request<{ items: RequestMetricRecord[] }>('GET', '/v1/metrics/requests?limit=200', {
      token: bravo.token,
    });
    expect(bravosView.status).toBe(200);
    expect(bravosView.body.items.length).toBeGreaterThan(0);
    expect(bravosView.body.items.every((item) => item.workspaceId === bravo.workspaceId)).toBe(true);
    const intoAlpha = await api.request('GET', `/v1/metrics/requests?workspaceId=${alpha.workspaceId}`, {
      token: bravo.token,
    });
    expectRefusal(intoAlpha, { status: 404, code: 'not_found' });

    // The instance admin sees every workspace, or the one a filter names.
    const everyone = await api.request<{ items: RequestMetricRecord[] }>('GET', '/v1/metrics/requests?limit=200', {
      token: instanceAdmin.token,
    });
    expect(everyone.body.items.map((item) => item.requestId)).toEqual(
      expect.arrayContaining([alphasRequest, bravosRequest]),
    );
    const onlyAlpha = await api.request<{ items: RequestMetricRecord[] }>(
      'GET',
      `/v1/metrics/requests?limit=200&workspaceId=${alpha.workspaceId}`,
      { token: instanceAdmin.token },
    );
    expect(onlyAlpha.body.items.map((item) => item.requestId)).toContain(alphasRequest);
    expect(onlyAlpha.body.items.every((item) => item.workspaceId === alpha.workspaceId)).toBe(true);
    const allStats = await api.request<{ total: number }>('GET', '/v1/metrics/requests/stats?hours=1', {
      token: instanceAdmin.token,
    });
    const bravosStats = await api.request<{ total: number }>('GET', '/v1/metrics/requests/stats?hours=1', {
      token: bravo.token,
    });
    expect(allStats.body.total).toBeGreaterThan(bravosStats.body.total);

    for (const role of ['member', 'viewer'] as const) {
      const person = await api.signup(`metrics-${role}`);
      const added = await api.request('POST', `/v1/workspaces/${alpha.workspaceId}/members`, {
        token: alpha.token,
        body: { email: person.email, role },
      });
      expect(added.status).toBe(201);
      for (const path of ['/v1/metrics/requests', '/v1/metrics/requests/stats', '/v1/metrics/requests/errors']) {
        const refused = await api.request('GET', path, {
          token: person.token,
          headers: { 'x-workspace-id': alpha.workspaceId },
        });
        expectRefusal(refused, { status: 403, code: 'forbidden', case: `${role} ${path}` });
      }
    }
  }, 60_000);

  it('shows the failed batches to the instance admin alone, who can queue one again', async () => {
    const queue = new Queue(REQUEST_METRICS_QUEUE, { connection: { url: testServices.redisUrl }, prefix });
    try {
      // A batch no retry can mend (not a batch of records) goes straight to the failed set.
      await queue.add('batch', { records: [{ not: 'a record' }] }, { jobId: 'broken-batch' });
      const failed = await eventually(async () => {
        const answer = await api.request<{ items: { id: string; failedReason: string; attempts: number }[] }>(
          'GET',
          '/v1/metrics/failed-batches',
          { token: instanceAdmin.token },
        );
        expect(answer.status).toBe(200);
        const found = answer.body.items.find((item) => item.id === 'broken-batch');
        if (!found) throw new Error('the batch has not failed yet');
        return found;
      }, 10_000);
      expect(failed).toMatchObject({
        attempts: 1,
        failedReason: expect.stringContaining('not a batch of request records'),
      });
      const workspaceAdmin = await api.signup('metrics-failed');
      expectRefusal(await api.request('GET', '/v1/metrics/failed-batches', { token: workspaceAdmin.token }), {
        status: 403,
        code: 'forbidden',
      });
      expectRefusal(
        await api.request('POST', '/v1/metrics/failed-batches/broken-batch/retry', { token: workspaceAdmin.token }),
        { status: 403, code: 'forbidden' },
      );
      const firstTry = (await queue.getJob('broken-batch'))?.processedOn ?? 0;
      const retried = await api.request('POST', '/v1/metrics/failed-batches/broken-batch/retry', {
        token: instanceAdmin.token,
      });
      expect(retried).toMatchObject({ status: 202, body: { id: 'broken-batch' } });
      // Taken again by the worker, and failed again (it still is no batch): its attempts counted afresh.
      await eventually(async () => {
        const job = await queue.getJob('broken-batch');
        expect(await job?.getState()).toBe('failed');
        expect(job?.attemptsMade).toBe(1);
        expect(job?.processedOn).toBeGreaterThan(firstTry);
      }, 10_000);
      expectRefusal(
        await api.request('POST', '/v1/metrics/failed-batches/no-such-batch/retry', { token: instanceAdmin.token }),
        { status: 404, code: 'not_found' },
      );
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('loses and doubles nothing when the worker is killed in the middle of a batch', async () => {
    const owner = await api.signup('metrics-kill');
    const queue = new Queue(REQUEST_METRICS_QUEUE, { connection: { url: testServices.redisUrl }, prefix });
    const lock = await db.pool.connect();
    const requestIds = Array.from({ length: 20 }, () => randomUUID());
    try {
      // The worker's write waits behind this lock: it is mid-batch, its rows not committed, its job not acknowledged.
      await lock.query('BEGIN');
      await lock.query(`LOCK TABLE ${schemas.metrics}.request_metrics IN ACCESS EXCLUSIVE MODE`);
      for (const requestId of requestIds)
        await api.request('GET', '/v1/me', { token: owner.token, headers: { 'x-request-id': requestId } });
      await eventually(async () => expect(await queue.getActiveCount()).toBeGreaterThan(0), 10_000);
      metrics.kill('SIGKILL');
      await stopProcess(metrics);
      await lock.query('ROLLBACK');
      metrics = await startMetrics();
      // The job's lock lapses (30 s) and the new worker takes it again; rows the killed one's statement still
      // committed are not stored twice.
      await eventually(
        async () => {
          const { rows } = await db.pool.query(
            `SELECT request_id, count(*)::int AS n FROM ${schemas.metrics}.request_metrics
              WHERE request_id = ANY($1) GROUP BY request_id`,
            [requestIds],
          );
          expect(rows).toHaveLength(20);
          expect(await queue.getJobCounts('active', 'wait', 'delayed')).toEqual({ active: 0, wait: 0, delayed: 0 });
        },
        120_000,
        500,
      );
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM ${schemas.metrics}.request_metrics WHERE request_id = ANY($1)`,
        [requestIds],
      );
      expect(rows[0].n).toBe(20);
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      lock.release();
      await queue.close();
    }
  }, 180_000);
});
