import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, openSearchTestsRun, testServices, uniqueName } from '@platform/testing';
import { aRecord } from '../test-support';
import { MetricsSearchStore } from './metrics-search-store';
import { openSearchClient } from './opensearch-client';
import type { OpenSearchSettings } from './opensearch-settings';

const DAY_MS = 86_400_000;

function storeOf(settings: Partial<OpenSearchSettings> & { dataStream: string }): MetricsSearchStore {
  const full: OpenSearchSettings = {
    node: testServices.openSearchUrl,
    auth: { type: 'none' },
    retentionDays: 30,
    ...settings,
  };
  return new MetricsSearchStore(openSearchClient(full), full);
}

(openSearchTestsRun() ? describe : describe.skip)('MetricsSearchStore against a real OpenSearch node', () => {
  const dataStream = uniqueName('reqmetrics');
  let store: MetricsSearchStore;

  beforeAll(async () => {
    store = storeOf({ dataStream, retentionDays: 3 });
    await store.setup();
    await store.setup();
  });

  afterAll(async () => {
    await store.client.indices.deleteDataStream({ name: dataStream }).catch(() => undefined);
    await store.client.indices.deleteIndexTemplate({ name: dataStream }).catch(() => undefined);
    await store.client.close();
  });

  async function count(query: object = { match_all: {} }): Promise<number> {
    await store.refresh();
    const { body } = await store.client.count({ index: dataStream, body: { query } });
    return body.count;
  }

  it('stores every field of a record once, however often its batch is written', async () => {
    const workspaceId = randomUUID();
    const record = aRecord({
      workspaceId,
      route: '/v1/deployments/:id',
      path: '/v1/deployments/42',
      query: { token: '[redacted]', view: ['a', 'b'] },
      status: 503,
      errorCode: 'unavailable',
      latencyMs: 12.5,
      country: 'NL',
      referer: 'https://console.example/',
    });
    const batch = [record, aRecord({ workspaceId }), aRecord({ workspaceId })];
    expect(await store.write(batch)).toBe(3);
    // The batch again, as after a lost acknowledgement: nothing new, nothing doubled, no error.
    expect(await store.write(batch)).toBe(0);
    expect(await count({ term: { workspaceId } })).toBe(3);

    const page = await store.list({ workspaceId }, { limit: 10, status: 503 });
    expect(page.items).toEqual([record]);
    const { body } = await store.client.search({ index: dataStream, body: { query: { term: { id: record.id } } } });
    expect(body.hits.hits[0]._source).toMatchObject({
      '@timestamp': record.occurredAt,
      routeKey: 'GET /v1/deployments/:id',
      year: new Date(record.occurredAt).getUTCFullYear(),
      hour: new Date(record.occurredAt).getUTCHours(),
    });
  });

  it('answers lists, stats and charts within a workspace, or across all of them', async () => {
    const workspaceId = randomUUID();
    const now = new Date();
    const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
    const records = [
      aRecord({ workspaceId, occurredAt: at(1), route: '/v1/slow', path: '/v1/slow', latencyMs: 900 }),
      aRecord({ workspaceId, occurredAt: at(2), route: '/v1/slow', path: '/v1/slow', latencyMs: 1100 }),
      aRecord({ workspaceId, occurredAt: at(3), route: '/v1/fails', path: '/v1/fails', status: 500, latencyMs: 5 }),
      aRecord({ workspaceId, occurredAt: at(4), route: '/v1/fails', path: '/v1/fails', status: 404, latencyMs: 5 }),
      aRecord({ workspaceId, occurredAt: at(5), route: '/v1/me', latencyMs: 2, path: '/v1/me' }),
    ];
    await store.write(records);
    await store.write([aRecord({ occurredAt: at(1) })]);
    await store.refresh();

    const first = await store.list({ workspaceId }, { limit: 2 });
    expect(first.items.map((item) => item.id)).toEqual([records[0].id, records[1].id]);
    const second = await store.list({ workspaceId }, { limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.items.map((item) => item.id)).toEqual([records[2].id, records[3].id]);
    expect((await store.list({ workspaceId }, { limit: 10, errorsOnly: true })).items).toHaveLength(2);
    expect((await store.list({ workspaceId }, { limit: 10, minLatencyMs: 1000 })).items).toEqual([records[1]]);
    expect((await store.list({ workspaceId }, { limit: 10, pathPrefix: '/v1/m' })).items).toEqual([records[4]]);

    const stats = await store.stats({ workspaceId }, { hours: 1 }, now);
    expect(stats).toMatchObject({ total: 5, errors: 2, serverErrors: 1, errorRate: 0.4 });
    expect(stats.slowestRoutes[0]).toMatchObject({ method: 'GET', route: '/v1/slow', count: 2 });
    expect(stats.latencyMs.p99).toBeGreaterThan(900);
    expect(stats.failingRoutes).toEqual([{ method: 'GET', route: '/v1/fails', count: 2, errors: 2, errorRate: 1 }]);
    const everyone = await store.stats({ workspaceId: null }, { hours: 1 }, now);
    expect(everyone.total).toBeGreaterThanOrEqual(6);

    const chart = await store.timeseries({ workspaceId }, { metric: 'rate', step: '1m' }, now);
    expect(chart.points).toHaveLength(61);
    expect(chart.points.reduce((sum, point) => sum + (point.value ?? 0), 0)).toBe(5);
    const errors = await store.timeseries({ workspaceId }, { metric: 'errors', step: '1h', from: at(30) }, now);
    expect(errors.points.reduce((sum, point) => sum + (point.value ?? 0), 0)).toBe(2);
  });

  it('deletes backing indices whose newest request is past the retention, never the write index', async () => {
    const ownStream = uniqueName('reqretention');
    const trimmed = storeOf({ dataStream: ownStream, retentionDays: 3 });
    try {
      await trimmed.setup();
      const old = aRecord({ occurredAt: new Date(Date.now() - 10 * DAY_MS).toISOString() });
      await trimmed.write([old]);
      await trimmed.client.indices.rollover({ alias: ownStream });
      const recent = aRecord();
      await trimmed.write([recent]);
      await trimmed.refresh();
      const deleted = await trimmed.maintain();
      expect(deleted).toEqual([expect.stringMatching(new RegExp(`^\\.ds-${ownStream}-0+1$`))]);
      const { body } = await trimmed.client.indices.getDataStream({ name: ownStream });
      expect(body.data_streams[0].indices.map((index) => index.index_name)).not.toContain(deleted[0]);
      await trimmed.refresh();
      expect((await trimmed.list({ workspaceId: null }, { limit: 10 })).items.map((item) => item.id)).toEqual([
        recent.id,
      ]);
      // Nothing else is old: a second pass deletes nothing, and the write index stays however old it is.
      expect(await trimmed.maintain(new Date(Date.now() + 30 * DAY_MS))).toEqual([]);
    } finally {
      await trimmed.client.indices.deleteDataStream({ name: ownStream }).catch(() => undefined);
      await trimmed.client.indices.deleteIndexTemplate({ name: ownStream }).catch(() => undefined);
      await trimmed.client.close();
    }
  });

  describe('behind a real nginx that asks for basic auth', () => {
    let nginx: ChildProcess;
    let dir: string;
    let url: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'opensearch-basic-'));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      await writeFile(join(dir, 'users'), 'metrics:{PLAIN}a good password\n');
      const upstream = new URL(testServices.openSearchUrl).host;
      await writeFile(
        join(dir, 'nginx.conf'),
        `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {}
         http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir};
           server { listen 127.0.0.1:${port};
             location / { auth_basic "opensearch"; auth_basic_user_file ${dir}/users; proxy_pass http://${upstream}; } } }`,
      );
      nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
      for (let tries = 0; tries < 50 && (await fetch(url).catch(() => undefined)) === undefined; tries++)
        await new Promise((resolve) => setTimeout(resolve, 100));
    });

    afterAll(async () => {
      nginx?.kill();
      await rm(dir, { recursive: true, force: true });
    });

    it('writes with the right credentials and is refused with wrong ones', async () => {
      const signedIn = storeOf({
        node: url,
        dataStream,
        auth: { type: 'basic', username: 'metrics', password: 'a good password' },
      });
      const record = aRecord();
      expect(await signedIn.write([record])).toBe(1);
      expect(await count({ term: { id: record.id } })).toBe(1);
      const wrong = storeOf({
        node: url,
        dataStream,
        auth: { type: 'basic', username: 'metrics', password: 'guessed' },
      });
      await expect(wrong.write([aRecord()])).rejects.toMatchObject({ meta: { statusCode: 401 } });
      await signedIn.client.close();
      await wrong.client.close();
    });
  });

  it('signs requests with SigV4 when the auth type is aws', async () => {
    const seen: (IncomingHttpHeaders & { path?: string })[] = [];
    // Answers as OpenSearch would: the set-up calls (plugins, template, data stream), then the bulk request.
    const capture = createServer((request, response) => {
      seen.push({ ...request.headers, path: request.url });
      request.resume();
      response.setHeader('content-type', 'application/json');
      if (request.url?.startsWith('/_cat/plugins')) response.end('[]');
      else if (request.url?.startsWith('/_bulk'))
        response.end('{"took":1,"errors":false,"items":[{"create":{"status":201}}]}');
      else response.end('{"acknowledged":true}');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => capture.listen(port, '127.0.0.1', resolve));
    try {
      const signed = storeOf({
        node: `http://127.0.0.1:${port}`,
        dataStream,
        auth: {
          type: 'aws',
          region: 'eu-west-1',
          service: 'es',
          credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
        },
      });
      expect(await signed.write([aRecord()])).toBe(1);
      expect(seen.map((request) => request.path?.replace(/\?.*/, ''))).toEqual([
        '/_cat/plugins',
        `/_index_template/${dataStream}`,
        `/_data_stream/${dataStream}`,
        '/_bulk',
      ]);
      for (const request of seen) {
        expect(request.authorization).toMatch(
          /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
        );
        expect(request['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      }
      expect(JSON.stringify(seen)).not.toContain('not-a-real-secret');
      await signed.client.close();
    } finally {
      capture.close();
    }
  });
});
