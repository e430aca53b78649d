import { randomUUID } from 'node:crypto';
import { DocrRegistry } from '@platform/registry';
import { DigitalOceanApi } from './client';
import { FakeDigitalOcean } from './test-support/fake-digitalocean';

/**
 * The DigitalOcean Container Registry adapter over the DigitalOcean API, against the fake that checks every request
 * and answer against the official document.
 */
describe('DigitalOcean Container Registry (contract)', () => {
  let fake: FakeDigitalOcean;
  let api: DigitalOceanApi;
  const workspace = randomUUID();

  beforeEach(async () => {
    fake = await FakeDigitalOcean.start();
    api = new DigitalOceanApi({ token: fake.token, baseUrl: fake.url });
  });

  afterEach(async () => {
    expect(fake.violations).toEqual([]);
    await fake.close();
  });

  it("makes the account's registry on first use and reuses it after", async () => {
    const first = await DocrRegistry.ensure(api, workspace, 'acme-platform');
    expect(first.registryName).toBe('acme-platform');
    expect(fake.requestsTo('registry_create')).toHaveLength(1);
    expect(fake.requestsTo('registry_create')[0].body).toEqual({
      name: 'acme-platform',
      subscription_tier_slug: 'starter',
    });

    const again = await DocrRegistry.ensure(api, workspace, 'another-name');
    expect(again.registryName).toBe('acme-platform');
    expect(fake.requestsTo('registry_create')).toHaveLength(1);
    expect(again.repositoryOf(workspace, 'web')).toBe('registry.digitalocean.com/acme-platform/web');
  });

  it('hands short-lived credentials: read-only for a pull, read-write for a push', async () => {
    const registry = await DocrRegistry.ensure(api, workspace, 'acme-platform');
    const repository = registry.repositoryOf(workspace, 'web');

    const pull = await registry.credentials(workspace, repository, ['pull'], 600);
    const push = await registry.credentials(workspace, repository, ['pull', 'push'], 900);

    expect(fake.dockerCredentials.map(({ expirySeconds, readWrite }) => ({ expirySeconds, readWrite }))).toEqual([
      { expirySeconds: 600, readWrite: false },
      { expirySeconds: 900, readWrite: true },
    ]);
    const [username, password] = Buffer.from(fake.dockerCredentials[0].auth, 'base64').toString().split(':');
    expect(pull).toEqual({ serveraddress: 'registry.digitalocean.com', username, password });
    expect(push.password).not.toBe(pull.password);
  });

  it("refuses a repository outside the workspace's registry, and another workspace, asking DigitalOcean nothing", async () => {
    const registry = await DocrRegistry.ensure(api, workspace, 'acme-platform');
    await expect(
      registry.credentials(workspace, 'registry.digitalocean.com/someone-else/web', ['pull'], 600),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      registry.credentials(randomUUID(), registry.repositoryOf(workspace, 'web'), ['pull'], 600),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(fake.requestsTo('registry_get_dockerCredentials')).toHaveLength(0);
  });
});
