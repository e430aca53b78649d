import { X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import { parse } from 'yaml';
import { agentServerName } from '@platform/agent-protocol';
import { DomainError } from '@platform/contracts';
import { PlatformCertificateAuthority } from '@platform/secrets';
import { MANAGED_SERVER_TAG } from '../cloud-provider';
import { UnmanagedResourceError } from '../cloud-provider';
import { DigitalOceanApi, PAGE_SIZE } from './client';
import { DigitalOceanCloudProvider } from './digitalocean-cloud';
import { DigitalOceanActionError, DigitalOceanError } from './errors';
import { FakeDigitalOcean } from './test-support/fake-digitalocean';
import type { TransportEvent } from './transport';

/**
 * Contract tests: the adapter against a fake DigitalOcean that checks every request against the official
 * OpenAPI document and answers only with what the document allows. Waits are recorded, not slept.
 */
describe('DigitalOcean cloud provider (contract)', () => {
  let fake: FakeDigitalOcean;
  let ca: PlatformCertificateAuthority;
  let sleeps: number[];
  let events: TransportEvent[];

  function apiWith(token: string): DigitalOceanApi {
    return new DigitalOceanApi({
      token,
      baseUrl: fake.url,
      clock: {
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0.5,
      },
      onEvent: (event) => events.push(event),
    });
  }

  function provider(token = fake.token): DigitalOceanCloudProvider {
    return new DigitalOceanCloudProvider(apiWith(token), {
      defaults: { region: 'fra1', size: 's-1vcpu-1gb', snapshotId: '7' },
      agent: {
        platformAddress: '198.51.100.10',
        ca,
        tarball: { url: 'https://downloads.example.test/platform-agent.tar.gz', sha256: 'e'.repeat(64) },
      },
      timing: { pollIntervalMs: 10 },
    });
  }

  async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: unknown) => error,
    );
  }

  beforeAll(async () => {
    ca = (await PlatformCertificateAuthority.generate()).ca;
  });

  beforeEach(async () => {
    fake = await FakeDigitalOcean.start();
    sleeps = [];
    events = [];
  });

  afterEach(async () => {
    // Every request the adapter sent was one the document accepts, and every answer was one it allows.
    expect(fake.violations).toEqual([]);
    await fake.close();
  });

  it('the fake reports requests the document rejects and answers it does not allow', async () => {
    const api = apiWith(fake.token);
    await api.http.GET('/v2/droplets', { params: { query: { per_page: 500 } } });
    // A snapshot action without its type, and a droplet without a size: both refused by the document.
    await api.http.POST('/v2/droplets/{droplet_id}/actions', {
      params: { path: { droplet_id: 1 } },
      body: { name: 'x' } as never,
    });
    await api.http.POST('/v2/droplets', { body: { name: 'web', image: 7 } as never });
    fake.respondNext('regions_list', { status: 200, body: { regions: [{ slug: 'fra1' }] } });
    await api.http.GET('/v2/regions');

    expect(fake.violations).toEqual([
      expect.stringMatching(
        /^droplets_list: the document rejects the request: query parameter per_page must be <= 200/,
      ),
      expect.stringMatching(
        /^dropletActions_post: the document rejects the request: request body must have required property 'type'/,
      ),
      expect.stringMatching(/^droplets_create: the document rejects the request: .*must have required property 'size'/),
      expect.stringMatching(
        /^regions_list: the fake's 200 answer breaks the document: .*must have required property 'available'/,
      ),
    ]);
    fake.violations.length = 0;
  });

  it('creates a server from a snapshot with the managed tag and user data, and waits until it runs', async () => {
    const created = await provider().createServer({
      name: 'web-1',
      tags: ['server-1234'],
      region: 'fra1',
      size: 's-1vcpu-1gb',
      source: { snapshotId: '7' },
    });

    const [create] = fake.requestsTo('droplets_create');
    const body = create?.body as {
      name: string;
      image: number;
      region: string;
      size: string;
      tags: string[];
      user_data: string;
    };
    expect(body).toMatchObject({ name: 'web-1', image: 7, region: 'fra1', size: 's-1vcpu-1gb' });
    expect(body.tags).toEqual([MANAGED_SERVER_TAG, 'server-1234']);
    expect(body.user_data.startsWith('#cloud-config\n')).toBe(true);
    const userData = parse(body.user_data) as { write_files: { path: string; content: string }[] };
    expect(userData.write_files.find((file) => file.path.endsWith('agent.secret'))?.content.trim()).toBe(
      created.agentSecret,
    );
    // The droplet has no address yet: its certificate, from the platform CA, names the server by its secret.
    const certificate = new X509Certificate(
      userData.write_files.find((file) => file.path.endsWith('agent.crt'))?.content ?? '',
    );
    expect(certificate.checkIssued(new X509Certificate(ca.certificate))).toBe(true);
    expect(certificate.subjectAltName).toBe(`DNS:${agentServerName(created.agentSecret)}`);

    expect(created).toMatchObject({
      name: 'web-1',
      status: 'running',
      dropletStatus: 'active',
      region: 'fra1',
      tags: [MANAGED_SERVER_TAG, 'server-1234'],
    });
    expect(created.publicIp).toMatch(/^203\.0\.113\.\d+$/);
    expect(created.agentUrl).toBe(`https://${created.publicIp}:7100`);
    expect(fake.requestsTo('actions_get').length).toBeGreaterThanOrEqual(2);
  });

  it('builds from a base image with the full installation when asked to', async () => {
    await provider().createServer({ name: 'builder-1', source: { baseImage: 'ubuntu-24-04-x64' } });
    const body = fake.requestsTo('droplets_create')[0]?.body as { image: string; user_data: string };
    expect(body.image).toBe('ubuntu-24-04-x64');
    expect((parse(body.user_data) as { packages: string[] }).packages).toContain('docker.io');
  });

  it('deletes the droplet again when its creation errors', async () => {
    fake.actionScripts.set('create', ['in-progress', 'errored']);
    const error = await rejection(provider().createServer({ name: 'web-2' }));
    expect(error).toBeInstanceOf(DigitalOceanActionError);
    expect(fake.requestsTo('droplets_destroy')).toHaveLength(1);
    expect(fake.droplets.size).toBe(0);
  });

  it('refuses a bad name before anything is sent', async () => {
    const error = await rejection(provider().createServer({ name: 'web;rm -rf /' }));
    expect(error).toMatchObject({ code: 'validation_failed' });
    expect(fake.requests).toEqual([]);
  });

  it('lists the managed servers by tag over several pages of 200', async () => {
    for (let index = 0; index < 450; index++) fake.addDroplet({ name: `app-${index}`, tags: [MANAGED_SERVER_TAG] });
    fake.addDroplet({ name: 'database', tags: ['prod'] });

    const servers = await provider().listServers();

    expect(servers).toHaveLength(450);
    expect(servers.map((server) => server.name)).not.toContain('database');
    const lists = fake.requestsTo('droplets_list');
    expect(lists.map((request) => request.query.get('page'))).toEqual(['1', '2', '3']);
    for (const request of lists) {
      expect(request.query.get('tag_name')).toBe(MANAGED_SERVER_TAG);
      expect(request.query.get('per_page')).toBe(String(PAGE_SIZE));
    }
  });

  it('waits out a 429 for as long as retry-after says, then succeeds', async () => {
    fake.addDroplet({ name: 'app', tags: [MANAGED_SERVER_TAG] });
    fake.respondNext('droplets_list', {
      status: 429,
      headers: { 'retry-after': '2' },
      body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' },
    });

    const servers = await provider().listServers();

    expect(servers).toHaveLength(1);
    expect(fake.requestsTo('droplets_list')).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
    expect(events).toEqual([expect.objectContaining({ kind: 'rate_limited', path: '/v2/droplets', waitMs: 2000 })]);
  });

  it('waits until ratelimit-reset on a 429 without retry-after', async () => {
    const resetAt = Math.ceil(Date.now() / 1000) + 3;
    fake.respondNext('account_get', {
      status: 429,
      headers: { 'ratelimit-remaining': '0', 'ratelimit-reset': String(resetAt) },
      body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' },
    });

    await provider().verifyCredentials();

    expect(sleeps).toHaveLength(1);
    // Until the reset second (3 s from now, give or take the current second), not a backoff.
    expect(sleeps[0]).toBeGreaterThan(1000);
    expect(sleeps[0]).toBeLessThanOrEqual(4000);
  });

  it('slows down before the limit when few requests remain', async () => {
    fake.rateLimitRemaining = 5;
    const api = apiWith(fake.token);
    await api.listRegions();
    await api.listSizes();
    expect(events.map((event) => event.kind)).toContain('slowing_down');
    expect(sleeps.every((ms) => ms > 0 && ms <= 60_000)).toBe(true);
  });

  it('raises a rate-limit error that says when to try again once the waits are used up', async () => {
    const limited = {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' },
    };
    fake.respondNext('regions_list', ...Array.from({ length: 6 }, () => limited));
    const error = await rejection(provider().listRegions());
    expect(error).toBeInstanceOf(DigitalOceanError);
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, digitalOceanId: 'too_many_requests' });
    expect((error as Error).message).toMatch(/rate limit .* used up/);
  });

  it('retries a 5xx with jittered backoff, then succeeds', async () => {
    const failure = {
      status: 503,
      body: { id: 'service_unavailable', message: 'Service is temporarily unavailable.' },
    };
    fake.respondNext('sizes_list', failure, {
      ...failure,
      status: 500,
      body: { id: 'server_error', message: 'Unexpected server-side error' },
    });

    const sizes = await provider().listSizes();

    expect(sizes.map((size) => size.slug)).toEqual(['s-1vcpu-1gb']);
    expect(fake.requestsTo('sizes_list')).toHaveLength(3);
    // random() = 0.5 of a ceiling that doubles: 500 ms, then 1000 ms.
    expect(sleeps).toEqual([250, 500]);
    expect(
      events.filter((event) => event.kind === 'retrying').map((event) => event.kind === 'retrying' && event.status),
    ).toEqual([503, 500]);
  });

  it('never retries a 4xx', async () => {
    fake.respondNext('regions_list', { status: 422, body: { id: 'unprocessable_entity', message: 'nope' } });
    const error = await rejection(provider().listRegions());
    expect(error).toMatchObject({ code: 'validation_failed', status: 422 });
    expect(fake.requestsTo('regions_list')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not repeat a droplet creation whose outcome is unknown', async () => {
    fake.respondNext('droplets_create', {
      status: 500,
      body: { id: 'server_error', message: 'Unexpected server-side error' },
    });
    const error = await rejection(provider().createServer({ name: 'web-3' }));
    expect(error).toMatchObject({ code: 'unavailable', status: 500 });
    expect(fake.requestsTo('droplets_create')).toHaveLength(1);
  });

  it('retries when DigitalOcean cannot be reached, then gives up with a typed error', async () => {
    const url = fake.url;
    await fake.close();
    const api = new DigitalOceanApi({
      token: fake.token,
      baseUrl: url,
      clock: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    });
    const error = await rejection(api.getAccount());
    expect(error).toBeInstanceOf(DigitalOceanError);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect((error as Error).message).toMatch(/could not be reached \(ECONNREFUSED\) after 5 tries/);
    expect(sleeps).toHaveLength(4);
    fake = await FakeDigitalOcean.start();
  });

  it('turns a 404 on delete into a typed not-found error', async () => {
    const droplet = fake.addDroplet({ name: 'gone', tags: [MANAGED_SERVER_TAG] });
    fake.respondNext('droplets_destroy', {
      status: 404,
      body: { id: 'not_found', message: 'The resource you were accessing could not be found.' },
    });

    const error = await rejection(provider().deleteServer(String(droplet.id)));

    expect(error).toBeInstanceOf(DigitalOceanError);
    expect(error).toMatchObject({ code: 'not_found', status: 404, digitalOceanId: 'not_found' });
    expect((error as Error).message).toContain(`delete droplet ${droplet.id}`);
    expect((error as DomainError).toBody().details).toEqual([
      expect.objectContaining({ provider: 'digitalocean', status: 404 }),
    ]);
  });

  it('deletes a managed server; a droplet that is gone is not found', async () => {
    const droplet = fake.addDroplet({ name: 'web', tags: [MANAGED_SERVER_TAG] });
    await provider().deleteServer(String(droplet.id));
    expect(fake.droplets.has(droplet.id)).toBe(false);
    await expect(provider().getServer(String(droplet.id))).resolves.toBeUndefined();
    await expect(provider().deleteServer(String(droplet.id))).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('refuses to delete an unmanaged droplet unless forced, and says so', async () => {
    const droplet = fake.addDroplet({ name: 'database', tags: ['prod'] });

    const error = await rejection(provider().deleteServer(String(droplet.id)));

    expect(error).toBeInstanceOf(UnmanagedResourceError);
    expect(error).toMatchObject({ code: 'conflict' });
    expect((error as Error).message).toContain(`droplet ${droplet.id} (database)`);
    expect((error as Error).message).toContain(`managed tag "${MANAGED_SERVER_TAG}"`);
    expect((error as Error).message).toContain('force=true');
    expect(fake.requestsTo('droplets_destroy')).toEqual([]);

    await provider().deleteServer(String(droplet.id), { force: true });
    expect(fake.droplets.has(droplet.id)).toBe(false);
  });

  it('never powers off an unmanaged droplet', async () => {
    const droplet = fake.addDroplet({ name: 'database', tags: [] });
    await expect(provider().stopServer(String(droplet.id))).rejects.toBeInstanceOf(UnmanagedResourceError);
    expect(fake.requestsTo('dropletActions_post')).toEqual([]);
  });

  it('stops and starts a server, polling each action until it completes', async () => {
    const droplet = fake.addDroplet({ name: 'web', tags: [MANAGED_SERVER_TAG] });
    fake.actionScripts.set('shutdown', ['in-progress', 'in-progress', 'completed']);

    const stopped = await provider().stopServer(String(droplet.id));
    expect(stopped).toMatchObject({ status: 'stopped', dropletStatus: 'off' });
    expect(fake.requestsTo('actions_get')).toHaveLength(3);
    expect(sleeps).toEqual([10, 10]);

    const started = await provider().startServer(String(droplet.id));
    expect(started).toMatchObject({ status: 'running', dropletStatus: 'active' });
    expect(fake.requestsTo('dropletActions_post').map((request) => (request.body as { type: string }).type)).toEqual([
      'shutdown',
      'power_on',
    ]);
  });

  it('powers off hard when the clean shutdown errors', async () => {
    const droplet = fake.addDroplet({ name: 'web', tags: [MANAGED_SERVER_TAG] });
    fake.actionScripts.set('shutdown', ['errored']);
    await provider().stopServer(String(droplet.id));
    expect(fake.requestsTo('dropletActions_post').map((request) => (request.body as { type: string }).type)).toEqual([
      'shutdown',
      'power_off',
    ]);
    expect(fake.droplets.get(droplet.id)?.status).toBe('off');
  });

  it('fails an errored action with a typed error', async () => {
    const droplet = fake.addDroplet({ name: 'web', tags: [MANAGED_SERVER_TAG], status: 'off' });
    fake.actionScripts.set('power_on', ['in-progress', 'errored']);

    const error = await rejection(provider().startServer(String(droplet.id)));

    expect(error).toBeInstanceOf(DigitalOceanActionError);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect((error as Error).message).toMatch(/action \d+ \(power_on on droplet \d+\) errored/);
  });

  it('gives up on an action that outlasts its deadline', async () => {
    const droplet = fake.addDroplet({ name: 'web', tags: [MANAGED_SERVER_TAG], status: 'off' });
    fake.actionScripts.set('power_on', ['in-progress']);
    const api = apiWith(fake.token);
    const action = await api.startDropletAction(droplet.id, { type: 'power_on' });
    const error = await rejection(api.waitForAction(action.id ?? 0, { deadlineMs: 5, pollIntervalMs: 10 }));
    expect(error).toMatchObject({ code: 'timeout' });
    expect((error as Error).message).toContain('still in-progress');
  });

  it('snapshots a server: powers it off, snapshots, waits, and tags the snapshot as managed', async () => {
    const droplet = fake.addDroplet({ name: 'builder', tags: [MANAGED_SERVER_TAG] });

    const snapshot = await provider().snapshotServer(String(droplet.id), 'platform-agent-0.1.0');

    expect(fake.requestsTo('dropletActions_post').map((request) => request.body)).toEqual([
      { type: 'shutdown' },
      { type: 'snapshot', name: 'platform-agent-0.1.0' },
    ]);
    expect(snapshot).toMatchObject({
      name: 'platform-agent-0.1.0',
      serverId: String(droplet.id),
      tags: [MANAGED_SERVER_TAG],
    });
    expect(fake.requestsTo('tags_assign_resources').map((request) => request.body)).toEqual([
      { resources: [{ resource_id: snapshot.id, resource_type: 'image' }] },
    ]);

    const listed = await provider().listSnapshots();
    expect(listed.map((each) => each.id)).toEqual([snapshot.id]);
  });

  it('lists only managed snapshots and deletes them, refusing an unmanaged one unless forced', async () => {
    const managed = fake.addSnapshot({ name: 'platform-1', tags: [MANAGED_SERVER_TAG] });
    const foreign = fake.addSnapshot({ name: 'someone-elses', tags: null });

    expect((await provider().listSnapshots()).map((snapshot) => snapshot.id)).toEqual([managed.id]);
    expect(fake.requestsTo('snapshots_list')[0]?.query.get('resource_type')).toBe('droplet');

    await expect(provider().deleteSnapshot(foreign.id)).rejects.toBeInstanceOf(UnmanagedResourceError);
    await provider().deleteSnapshot(managed.id);
    await provider().deleteSnapshot(foreign.id, { force: true });
    expect(fake.snapshots.size).toBe(0);
  });

  it('lists regions and sizes', async () => {
    await expect(provider().listRegions()).resolves.toEqual([
      { slug: 'fra1', name: 'Frankfurt 1', available: true, sizes: ['s-1vcpu-1gb', 's-2vcpu-2gb'] },
    ]);
    await expect(provider().listSizes()).resolves.toEqual([
      expect.objectContaining({ slug: 's-1vcpu-1gb', vcpus: 1, memoryMegabytes: 1024, priceMonthlyUsd: 6 }),
    ]);
  });

  it('verifies credentials with the account, and a bad token is told to save a new one', async () => {
    await expect(provider().verifyCredentials()).resolves.toMatchObject({
      email: 'ops@example.test',
      status: 'active',
      serverLimit: 25,
    });

    const wrongToken = `dop_v1_${'0'.repeat(32)}`;
    const error = await rejection(provider(wrongToken).verifyCredentials());

    expect(error).toBeInstanceOf(DigitalOceanError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401, digitalOceanId: 'unauthorized' });
    expect((error as Error).message).toMatch(/^the DigitalOcean token is invalid or revoked; save a new one/);
    expect((error as Error).message).not.toContain(wrongToken);
    expect(fake.requestsTo('account_get')).toHaveLength(2);
    const api = apiWith(wrongToken);
    expect(inspect(api, { depth: 20, showHidden: true })).not.toContain(wrongToken);
    expect(JSON.stringify(api)).not.toContain(wrongToken);
  });
});
