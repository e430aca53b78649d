import { randomBytes } from 'node:crypto';
import { tarOf, zipOf } from '@platform/archive/src/test-support';
import { createTestSchema, expectRefusal, testServices, uniqueName, type TestSchema } from '@platform/testing';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from './start-gateway';
import { ApiClient } from './test-support';

const QUOTA = 1_000_000;
const PER_MINUTE = 40;

/** The gateway alone (uploads and the API's limits need no other service), on the real PostgreSQL, NATS and Redis. */
describe('uploads and per-credential limits through the gateway', () => {
  let db: TestSchema;
  let uploadsDir: string;
  let gateway: RunningGateway;
  let api: ApiClient;

  beforeAll(async () => {
    db = createTestSchema('uploads');
    uploadsDir = await mkdtemp(join(tmpdir(), 'platform-uploads-int-'));
    const prefix = uniqueName('uploads');
    gateway = await startGateway({
      handleSignals: false,
      env: {
        DATABASE_URL: testServices.databaseUrl,
        NATS_URL: testServices.natsUrl,
        NATS_PREFIX: prefix,
        REDIS_URL: testServices.redisUrl,
        REDIS_PREFIX: `${prefix}:`,
        IDENTITY_SCHEMA: `${db.schema}_id`,
        GATEWAY_SCHEMA: `${db.schema}_gw`,
        GATEWAY_PORT: '0',
        LOG_LEVEL: 'silent',
        PLATFORM_SECRET_KEY: randomBytes(32).toString('hex'),
        UPLOADS_DIR: uploadsDir,
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
        // Several people sign up here, as on a development instance.
        SIGNUP: 'open',
        UPLOAD_QUOTA_BYTES_PER_WORKSPACE: String(QUOTA),
        API_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
      },
    });
    api = new ApiClient(gateway.url);
  }, 60_000);

  afterAll(async () => {
    await gateway.stop();
    await rm(uploadsDir, { recursive: true, force: true });
    for (const schema of [`${db.schema}_id`, `${db.schema}_gw`])
      await db.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.dispose();
  });

  async function upload(token: string, archive: Buffer) {
    const response = await fetch(`${gateway.url}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: archive,
    });
    const body = (await response.json()) as {
      uploadId?: string;
      error?: { code: string; message: string; details?: unknown[] };
    };
    return { status: response.status, headers: response.headers, body };
  }

  /** Every file the uploads directory holds, partial ones included. */
  async function filesStored(): Promise<string[]> {
    const incoming = await readdir(join(uploadsDir, '.incoming')).catch(() => []);
    return [...(await readdir(uploadsDir)), ...incoming].filter((name) => name !== '.incoming').sort();
  }

  it.each<[string, () => Promise<Buffer>, { entry?: string; reason: string }]>([
    [
      'a path that escapes',
      () => tarOf([{ name: '../../etc/cron.d/evil', content: 'x' }]),
      { entry: '../../etc/cron.d/evil', reason: 'path_escapes' },
    ],
    [
      'a link out',
      () => tarOf([{ name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }]),
      { entry: 'passwd', reason: 'link_escapes' },
    ],
    [
      'a device',
      () => tarOf([{ name: 'dev/null', type: 'character-device' }]),
      { entry: 'dev/null', reason: 'special_file' },
    ],
    [
      'a zip entry that escapes',
      () => zipOf([{ name: 'pppppppppp', content: 'x' }], { pppppppppp: '../../evil' }),
      { entry: '../../evil', reason: 'path_escapes' },
    ],
  ])('refuses %s at upload with 422, naming the entry, and keeps none of it', async (_what, archive, detail) => {
    const user = await api.signup('hostile');
    const before = await filesStored();
    const refused = await upload(user.token, await archive());
    expect(await filesStored()).toEqual(before);
    expectRefusal(refused, { status: 422, code: 'archive_refused' });
    expect(refused.body.error?.details).toEqual([detail]);
    if (detail.entry) expect(refused.body.error?.message).toContain(`"${detail.entry}"`);
  });

  it('refuses a bomb of entries and a truncated archive at upload with 422', async () => {
    const user = await api.signup('bomb');
    // 50,001 empty directories: a few hundred KiB compressed, past the 50,000 entries a build unpacks.
    const bomb = await tarOf(Array.from({ length: 50_001 }, (_, index) => ({ name: `d${index}/`, type: 'directory' })));
    expect(bomb.length).toBeLessThan(QUOTA);
    const refusedBomb = await upload(user.token, bomb);
    expectRefusal(refusedBomb, { status: 422, code: 'archive_refused' });
    expect(refusedBomb.body.error?.details).toEqual([{ reason: 'limit_exceeded', limit: 50_000 }]);

    const whole = await tarOf([{ name: 'app.js', content: randomBytes(20_000) }]);
    const truncated = await upload(user.token, whole.subarray(0, whole.length / 2));
    expectRefusal(truncated, { status: 422, code: 'archive_refused' });
    expect(truncated.body.error?.details).toEqual([{ reason: 'corrupt' }]);
    expect(await upload(user.token, whole)).toMatchObject({ status: 201 });
  }, 60_000);

  it("refuses an upload past the workspace's quota with 413, naming quota and usage; deleting one makes room", async () => {
    const [owner, neighbour] = [await api.signup('quota'), await api.signup('neighbour')];
    const archive = await tarOf([{ name: 'noise', content: randomBytes(400_000) }]);
    const first = await upload(owner.token, archive);
    expect(first.status).toBe(201);
    expect((await upload(owner.token, archive)).status).toBe(201);

    const over = await upload(owner.token, archive);
    expectRefusal(over, { status: 413, code: 'payload_too_large' });
    expect(over.body.error?.details).toEqual([{ reason: 'quota_exceeded', quota: QUOTA, used: 2 * archive.length }]);
    expect(over.body.error?.message).toContain(`quota of ${QUOTA} bytes`);
    expect((await upload(neighbour.token, archive)).status).toBe(201);

    // Another workspace cannot delete it; its owner can, and that gives the bytes back.
    expect((await api.request('DELETE', `/v1/uploads/${first.body.uploadId}`, { token: neighbour.token })).status).toBe(
      404,
    );
    expect((await api.request('DELETE', `/v1/uploads/${first.body.uploadId}`, { token: owner.token })).status).toBe(
      204,
    );
    expect((await upload(owner.token, archive)).status).toBe(201);
  });

  it('limits requests per credential with 429 and Retry-After; other credentials go on', async () => {
    const [busy, other] = [await api.signup('busy'), await api.signup('other')];
    const answers = [];
    for (let i = 0; i < PER_MINUTE + 5; i++) answers.push(await api.request('GET', '/v1/me', { token: busy.token }));
    const statuses = answers.map((answer) => answer.status);
    // A sliding window: at least the limit passes, and what is over it is refused.
    expect(statuses.slice(0, PER_MINUTE - 1).every((status) => status === 200)).toBe(true);
    const refused = answers.find((answer) => answer.status === 429);
    expect(refused).toBeDefined();
    expectRefusal(refused!, { status: 429, code: 'rate_limited' });
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused!.body).toMatchObject({
      error: { details: [{ reason: 'credential_rate_limit', limitPerMinute: PER_MINUTE }] },
    });
    expect((await api.request('GET', '/v1/me', { token: other.token })).status).toBe(200);
  });
});
