import { DropletAgents, type FakeCloudflare, type FakeDigitalOcean } from '@platform/cloud/testing';
import { MANAGED_SERVER_TAG } from '@platform/cloud';
import { EXPECTED_AGENT_VERSION } from '@platform/contracts';
import { eventually, expectRefusal } from '@platform/testing';
import { EventStreamReader, startCloudFakes, startStack, type CloudFakes, type Stack } from './test-support';

interface ProviderView {
  provider: string;
  connected: boolean;
  account: string | null;
  verifiedAt: string | null;
}
interface SnapshotView {
  id: string;
  status: string;
  step: string | null;
  providerSnapshotId: string | null;
  agentVersion: string;
  agentOutdated: boolean;
  regions: string[];
  failureReason: string | null;
}
interface ServerView {
  id: string;
  status: string;
  provider: string;
  agentVersion: string | null;
  publicIp: string | null;
  failureReason: string | null;
}

/**
 * DigitalOcean and Cloudflare through the public API, against fakes that hold every request and answer to the
 * official API documents; each DigitalOcean droplet runs a real agent on a loopback address, with the secret
 * its cloud-init user data carries.
 */
describe('providers, snapshots and DigitalOcean servers through the gateway', () => {
  let stack: Stack;
  let fakes: CloudFakes;
  let digitalOcean: FakeDigitalOcean;
  let cloudflare: FakeCloudflare;
  let agents: DropletAgents;

  beforeAll(async () => {
    fakes = await startCloudFakes();
    ({ digitalOcean, cloudflare, agents } = fakes);
    stack = await startStack('infra', {}, fakes.provisionerSettings);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await fakes?.close();
  }, 60_000);
  afterEach(() => {
    expect(digitalOcean.violations).toEqual([]);
    expect(cloudflare.violations).toEqual([]);
    expect(agents.problems).toEqual([]);
  });

  const eventsText = async () => {
    const { rows } = await stack.db.pool.query(
      `SELECT data::text || metadata::text AS text FROM ${stack.schemas.servers}.events`,
    );
    return rows.map((row: { text: string }) => row.text).join('\n');
  };

  async function connected(label: string) {
    const owner = await stack.api.signup(label);
    const saved = await stack.api.request<ProviderView>('PUT', '/v1/providers/digitalocean', {
      token: owner.token,
      body: { token: digitalOcean.token },
    });
    expect(saved.status).toBe(200);
    return owner;
  }

  it('saves provider tokens only once the provider accepts them, and never shows them again', async () => {
    const { api } = stack;
    const owner = await api.signup('providers');
    const member = await api.signup('providers-member');
    await api.request('POST', `/v1/workspaces/${owner.workspaceId}/members`, {
      token: owner.token,
      body: { email: member.email, role: 'member' },
    });

    const before = await api.request<{ items: ProviderView[] }>('GET', '/v1/providers', { token: owner.token });
    expect(before.body.items.map(({ provider, connected }) => ({ provider, connected }))).toEqual([
      { provider: 'local', connected: true },
      { provider: 'digitalocean', connected: false },
      { provider: 'cloudflare', connected: false },
    ]);
    const noToken = await api.request('GET', '/v1/providers/digitalocean/regions', { token: owner.token });
    expectRefusal(noToken, { status: 400, code: 'validation_failed', message: /save one first/ });

    const wrong = await api.request('PUT', '/v1/providers/digitalocean', {
      token: owner.token,
      body: { token: `dop_v1_${'0'.repeat(64)}` },
    });
    expectRefusal(wrong, { status: 400, code: 'validation_failed', message: /DigitalOcean did not accept the token/ });
    const asMember = await api.request('PUT', '/v1/providers/digitalocean', {
      token: member.token,
      headers: { 'x-workspace-id': owner.workspaceId },
      body: { token: digitalOcean.token },
    });
    expectRefusal(asMember, { status: 403, code: 'forbidden' });
    expect(
      (await api.request<{ items: ProviderView[] }>('GET', '/v1/providers', { token: owner.token })).body.items[1]
        ?.connected,
    ).toBe(false);

    const saved = await api.request<ProviderView>('PUT', '/v1/providers/digitalocean', {
      token: owner.token,
      body: { token: digitalOcean.token },
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ provider: 'digitalocean', connected: true, account: 'ops@example.test' });
    const cf = await api.request<ProviderView>('PUT', '/v1/providers/cloudflare', {
      token: owner.token,
      body: { token: cloudflare.token },
    });
    expect(cf.status).toBe(200);
    expect(cf.body.account).toContain(cloudflare.tokenId);
    const wrongCf = await api.request('PUT', '/v1/providers/cloudflare', {
      token: owner.token,
      body: { token: 'f'.repeat(40) },
    });
    expectRefusal(wrongCf, {
      status: 400,
      code: 'validation_failed',
      message: /Cloudflare did not accept the token: Cloudflare refused it: Invalid API Token/,
    });

    const after = await api.request<{ items: ProviderView[] }>('GET', '/v1/providers', {
      token: member.token,
      headers: { 'x-workspace-id': owner.workspaceId },
    });
    expect(after.body.items.map(({ provider, connected, account }) => ({ provider, connected, account }))).toEqual([
      { provider: 'local', connected: true, account: null },
      { provider: 'digitalocean', connected: true, account: 'ops@example.test' },
      { provider: 'cloudflare', connected: true, account: cf.body.account },
    ]);
    const regions = await api.request<{ items: { slug: string }[] }>('GET', '/v1/providers/digitalocean/regions', {
      token: owner.token,
    });
    expect(regions.body.items.map((region) => region.slug)).toEqual(['fra1']);
    const sizes = await api.request<{ items: { slug: string; regions: string[] }[] }>(
      'GET',
      '/v1/providers/digitalocean/sizes',
      { token: owner.token },
    );
    expect(sizes.body.items).toEqual([expect.objectContaining({ slug: 's-1vcpu-1gb', regions: ['fra1'] })]);

    // Never in an answer, the event log or the table it is kept in.
    for (const text of [
      JSON.stringify(saved.body),
      JSON.stringify(after.body),
      JSON.stringify(cf.body),
      await eventsText(),
    ]) {
      expect(text).not.toContain(digitalOcean.token);
      expect(text).not.toContain(cloudflare.token);
    }
    const { rows } = await stack.db.pool.query(
      `SELECT provider, sealed_token FROM ${stack.schemas.servers}.provider_credentials WHERE workspace_id = $1`,
      [owner.workspaceId],
    );
    expect(rows).toHaveLength(2);
    for (const row of rows as { sealed_token: string }[]) {
      expect(row.sealed_token).toMatch(/^v1:/);
      expect(row.sealed_token).not.toContain(digitalOcean.token);
    }

    const removed = await api.request<ProviderView>('DELETE', '/v1/providers/cloudflare', { token: owner.token });
    expect(removed.body).toMatchObject({ provider: 'cloudflare', connected: false, account: null });
    const types = (
      await stack.db.pool.query(
        `SELECT type FROM ${stack.schemas.servers}.events WHERE metadata->>'workspaceId' = $1 ORDER BY global_position`,
        [owner.workspaceId],
      )
    ).rows.map((row: { type: string }) => row.type);
    expect(types).toEqual(['ProviderConnected', 'ProviderConnected', 'ProviderDisconnected']);
  }, 60_000);

  it('builds a snapshot on a builder droplet, boots a DigitalOcean server from it, and removes both again', async () => {
    const { api } = stack;
    const owner = await connected('snapshots');
    const live = await EventStreamReader.open(
      stack.gateway.url,
      owner.token,
      '?types=SnapshotBuilderCreated,SnapshotReady,ServerCreated,ServerReady',
    );

    const requested = await api.request<{ snapshotId: string }>('POST', '/v1/snapshots', {
      token: owner.token,
      body: { provider: 'digitalocean', region: 'fra1' },
    });
    expect(requested.status).toBe(202);
    const { snapshotId } = requested.body;
    await eventually(async () =>
      expect((await api.request('GET', `/v1/snapshots/${snapshotId}`, { token: owner.token })).status).toBe(200),
    );
    const tooEarly = await api.request('DELETE', `/v1/snapshots/${snapshotId}`, { token: owner.token });
    expectRefusal(tooEarly, { status: 409, code: 'conflict', message: /still being built/ });
    const disconnecting = await api.request('DELETE', '/v1/providers/digitalocean', { token: owner.token });
    expectRefusal(disconnecting, { status: 409, code: 'conflict', message: /1 snapshot is being built or deleted/ });
    const snapshot = await eventually(async () => {
      const view = await api.request<SnapshotView>('GET', `/v1/snapshots/${snapshotId}`, { token: owner.token });
      expect(view.body.status).toBe('ready');
      return view.body;
    }, 90_000);
    expect(snapshot).toMatchObject({
      agentVersion: EXPECTED_AGENT_VERSION,
      agentOutdated: false,
      regions: ['fra1'],
      step: null,
    });
    const taken = digitalOcean.snapshots.get(snapshot.providerSnapshotId ?? '');
    expect(taken?.tags).toContain(MANAGED_SERVER_TAG);
    // The builder booted the stock image with the agent release to install, and is gone.
    const builderRequest = digitalOcean.requestsTo('droplets_create')[0]?.body as {
      image: unknown;
      size: string;
      tags: string[];
      user_data: string;
    };
    expect(builderRequest).toMatchObject({ image: 'ubuntu-24-04-x64', size: 's-1vcpu-1gb' });
    expect(builderRequest.tags).toEqual(expect.arrayContaining([MANAGED_SERVER_TAG, `snapshot-${snapshotId}`]));
    expect(builderRequest.user_data).toContain('https://127.0.0.1:9/platform-agent.tar.gz');
    expect([...digitalOcean.droplets.values()]).toEqual([]);
    const { rows } = await stack.db.pool.query(
      `SELECT type FROM ${stack.schemas.servers}.events WHERE stream_id = $1 ORDER BY stream_version`,
      [`snapshot-${snapshotId}`],
    );
    expect(rows.map((row: { type: string }) => row.type)).toEqual([
      'SnapshotRequested',
      'SnapshotBuilderCreated',
      'SnapshotBuilderReady',
      'SnapshotTaken',
      'SnapshotReady',
    ]);

    const server = await api.request<{ serverId: string }>('POST', '/v1/servers', {
      token: owner.token,
      body: { provider: 'digitalocean', name: 'do-web-1', region: 'fra1', size: 's-1vcpu-1gb', snapshotId },
    });
    expect(server.status).toBe(202);
    const ready = await eventually(async () => {
      const view = await api.request<ServerView>('GET', `/v1/servers/${server.body.serverId}`, { token: owner.token });
      expect(view.body.status).toBe('ready');
      return view.body;
    }, 60_000);
    expect(ready.agentVersion).toBe(EXPECTED_AGENT_VERSION);
    const dropletRequest = digitalOcean.requestsTo('droplets_create')[1]?.body as {
      image: unknown;
      tags: string[];
      user_data: string;
    };
    expect(dropletRequest.image).toBe(Number(snapshot.providerSnapshotId));
    expect(dropletRequest.tags).toEqual(expect.arrayContaining([MANAGED_SERVER_TAG, `server-${server.body.serverId}`]));
    // The agent secrets went to DigitalOcean in the user data, and nowhere else in the clear.
    const text = await eventsText();
    for (const userData of digitalOcean.userData.values()) {
      const secret = DropletAgents.secretOf(userData);
      expect(secret?.length).toBeGreaterThanOrEqual(32);
      expect(text).not.toContain(secret!);
      expect(live.events.map((event) => event.data).join('\n')).not.toContain(secret!);
    }
    await eventually(async () =>
      expect(live.events.map((event) => event.event)).toEqual(
        expect.arrayContaining(['SnapshotBuilderCreated', 'SnapshotReady', 'ServerCreated', 'ServerReady']),
      ),
    );
    // Sealed secrets are for the services: clients see the events without them.
    expect(live.events.filter((event) => event.data.includes('sealed'))).toEqual([]);
    await live.close();

    const inUse = await api.request('DELETE', '/v1/providers/digitalocean', { token: owner.token });
    expectRefusal(inUse, { status: 409, code: 'conflict', message: /1 server of this workspace still run/ });

    expect((await api.request('DELETE', `/v1/servers/${server.body.serverId}`, { token: owner.token })).status).toBe(
      202,
    );
    expect((await api.request('DELETE', `/v1/snapshots/${snapshotId}`, { token: owner.token })).status).toBe(202);
    await eventually(async () => {
      expect((await api.request('GET', `/v1/servers/${server.body.serverId}`, { token: owner.token })).status).toBe(
        404,
      );
      expect((await api.request('GET', `/v1/snapshots/${snapshotId}`, { token: owner.token })).status).toBe(404);
    }, 30_000);
    expect([...digitalOcean.droplets.values()]).toEqual([]);
    expect(digitalOcean.snapshots.has(snapshot.providerSnapshotId ?? '')).toBe(false);
    expect(agents.running()).toEqual([]);
  }, 180_000);

  it('boots the stock image without a snapshot, and deletes a droplet that lost its managed tag only when forced', async () => {
    const { api } = stack;
    const owner = await connected('unmanaged');
    const created = await api.request<{ serverId: string }>('POST', '/v1/servers', {
      token: owner.token,
      body: { provider: 'digitalocean', name: 'do-plain', region: 'fra1', size: 's-1vcpu-1gb' },
    });
    const waitFor = (status: string) =>
      eventually(async () => {
        const view = await api.request<ServerView>('GET', `/v1/servers/${created.body.serverId}`, {
          token: owner.token,
        });
        expect(view.body.status).toBe(status);
        return view.body;
      }, 60_000);
    await waitFor('ready');
    const droplet = [...digitalOcean.droplets.values()].find((each) =>
      each.tags.includes(`server-${created.body.serverId}`),
    );
    expect(
      digitalOcean
        .requestsTo('droplets_create')
        .find((request) => (request.body as { name: string }).name === 'do-plain')?.body,
    ).toMatchObject({
      image: 'ubuntu-24-04-x64',
    });
    // Someone removed the platform's tag in DigitalOcean: it is no longer known to be the platform's to delete.
    digitalOcean.droplets.set(droplet!.id, { ...droplet!, tags: [] });

    expect((await api.request('DELETE', `/v1/servers/${created.body.serverId}`, { token: owner.token })).status).toBe(
      202,
    );
    const refused = await waitFor('failed');
    expect(refused.failureReason).toMatch(/lacks the managed tag.*force=true/);
    expect(digitalOcean.droplets.has(droplet!.id)).toBe(true);

    expect(
      (await api.request('DELETE', `/v1/servers/${created.body.serverId}?force=true`, { token: owner.token })).status,
    ).toBe(202);
    await eventually(
      async () =>
        expect((await api.request('GET', `/v1/servers/${created.body.serverId}`, { token: owner.token })).status).toBe(
          404,
        ),
      30_000,
    );
    expect(digitalOcean.droplets.has(droplet!.id)).toBe(false);
  }, 120_000);

  it('finishes a snapshot after the provisioner was killed while building it', async () => {
    const { api } = stack;
    const owner = await connected('snapshot-crash');
    const requested = await api.request<{ snapshotId: string }>('POST', '/v1/snapshots', {
      token: owner.token,
      body: { provider: 'digitalocean', region: 'fra1' },
    });
    const stream = `snapshot-${requested.body.snapshotId}`;
    await eventually(
      async () => {
        const { rows } = await stack.db.pool.query(
          `SELECT count(*)::int AS n FROM ${stack.schemas.servers}.events WHERE stream_id = $1`,
          [stream],
        );
        expect(rows[0].n).toBeGreaterThanOrEqual(2);
      },
      30_000,
      5,
    );
    await stack.restartProvisioner('SIGKILL');
    await eventually(async () => {
      const view = await api.request<SnapshotView>('GET', `/v1/snapshots/${requested.body.snapshotId}`, {
        token: owner.token,
      });
      expect(view.body.status).toBe('ready');
    }, 90_000);
    const { rows } = await stack.db.pool.query(
      `SELECT type FROM ${stack.schemas.servers}.events WHERE stream_id = $1 ORDER BY stream_version`,
      [stream],
    );
    expect(rows.map((row: { type: string }) => row.type)).toEqual([
      'SnapshotRequested',
      'SnapshotBuilderCreated',
      'SnapshotBuilderReady',
      'SnapshotTaken',
      'SnapshotReady',
    ]);
    expect([...digitalOcean.droplets.values()].filter((droplet) => droplet.tags.includes(stream))).toEqual([]);
    expect(
      [...digitalOcean.snapshots.values()].filter((snapshot) =>
        snapshot.name.endsWith(requested.body.snapshotId.slice(0, 8)),
      ),
    ).toHaveLength(1);
  }, 150_000);

  it('fails a snapshot whose imaging errors, with the reason, and deletes its builder', async () => {
    const { api } = stack;
    const owner = await connected('snapshot-fails');
    digitalOcean.actionScripts.set('snapshot', ['in-progress', 'errored']);
    try {
      const requested = await api.request<{ snapshotId: string }>('POST', '/v1/snapshots', {
        token: owner.token,
        body: { provider: 'digitalocean', region: 'fra1' },
      });
      const failed = await eventually(async () => {
        const view = await api.request<SnapshotView>('GET', `/v1/snapshots/${requested.body.snapshotId}`, {
          token: owner.token,
        });
        expect(view.body.status).toBe('failed');
        return view.body;
      }, 90_000);
      expect(failed.failureReason).toMatch(/snapshot/i);
      const { rows } = await stack.db.pool.query(
        `SELECT data FROM ${stack.schemas.servers}.events WHERE stream_id = $1 AND type = 'SnapshotFailed'`,
        [`snapshot-${requested.body.snapshotId}`],
      );
      expect(rows[0].data.step).toBe('snapshot');
      expect(
        [...digitalOcean.droplets.values()].filter((droplet) =>
          droplet.tags.includes(`snapshot-${requested.body.snapshotId}`),
        ),
      ).toEqual([]);
      // A failed snapshot can be deleted; nothing was taken, so nothing is deleted at DigitalOcean.
      expect(
        (await api.request('DELETE', `/v1/snapshots/${requested.body.snapshotId}`, { token: owner.token })).status,
      ).toBe(202);
      await eventually(async () =>
        expect(
          (await api.request('GET', `/v1/snapshots/${requested.body.snapshotId}`, { token: owner.token })).status,
        ).toBe(404),
      );
    } finally {
      digitalOcean.actionScripts.delete('snapshot');
    }
  }, 120_000);

  it('refuses bad snapshot and server requests with the error shape, creating nothing', async () => {
    const { api } = stack;
    const owner = await connected('bad-snapshots');
    const other = await connected('other-snapshots');
    const foreign = await api.request<{ snapshotId: string }>('POST', '/v1/snapshots', {
      token: other.token,
      body: { provider: 'digitalocean', region: 'fra1' },
    });
    expect(foreign.status).toBe(202);
    const requestsBefore = digitalOcean.requestsTo('droplets_create').length;

    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/v1/snapshots', { provider: 'local', region: 'local' }, 400, 'body.provider'],
      ['POST', '/v1/snapshots', { provider: 'digitalocean', region: 'mars-1' }, 400, 'body.region'],
      ['POST', '/v1/snapshots', { provider: 'digitalocean', region: 'fra1', size: 'huge' }, 400, 'body.size'],
      ['POST', '/v1/snapshots', { provider: 'digitalocean', region: 'fra1; reboot' }, 400, 'body.region'],
      [
        'POST',
        '/v1/servers',
        {
          provider: 'digitalocean',
          name: 'x',
          region: 'fra1',
          size: 's-1vcpu-1gb',
          snapshotId: foreign.body.snapshotId,
        },
        404,
        '',
      ],
      [
        'POST',
        '/v1/servers',
        { provider: 'digitalocean', name: 'x y', region: 'fra1', size: 's-1vcpu-1gb' },
        400,
        'body.name',
      ],
      ['PUT', '/v1/providers/digitalocean', { token: 'short' }, 400, 'body.token'],
      ['PUT', '/v1/providers/aws', { token: digitalOcean.token }, 400, 'params.provider'],
      ['PUT', '/v1/providers/digitalocean', { token: digitalOcean.token, extra: true }, 400, 'body'],
    ];
    for (const [method, path, body, status, where] of cases) {
      const response = await api.request(method, path, { token: owner.token, body });
      const error = expectRefusal(response, {
        case: `${method} ${path} ${JSON.stringify(body)}`,
        status,
        code: status === 404 ? 'not_found' : 'validation_failed',
      });
      if (where) expect(JSON.stringify(error.details ?? [])).toContain(where);
    }
    expect((await api.request('GET', `/v1/snapshots/${foreign.body.snapshotId}`, { token: owner.token })).status).toBe(
      404,
    );
    expect(
      (await api.request('DELETE', `/v1/snapshots/${foreign.body.snapshotId}`, { token: owner.token })).status,
    ).toBe(404);
    expect(
      (await api.request<{ items: unknown[] }>('GET', '/v1/snapshots', { token: owner.token })).body.items,
    ).toEqual([]);
    expect((await api.request<{ items: unknown[] }>('GET', '/v1/servers', { token: owner.token })).body.items).toEqual(
      [],
    );
    // Only the other workspace's builder was asked for.
    expect(digitalOcean.requestsTo('droplets_create').length - requestsBefore).toBeLessThanOrEqual(1);
    await eventually(async () => {
      const view = await api.request<SnapshotView>('GET', `/v1/snapshots/${foreign.body.snapshotId}`, {
        token: other.token,
      });
      expect(view.body.status).toBe('ready');
    }, 90_000);
  }, 150_000);
});
