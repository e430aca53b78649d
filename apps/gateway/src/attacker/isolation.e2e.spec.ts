import { randomUUID } from 'node:crypto';
import { eventually, expectRefusal } from '@platform/testing';
import { EventStreamReader, startStack, type ApiClient, type Stack } from '../test-support';

jest.setTimeout(600_000);

/** A plain image this machine's engine holds (built by scripts/build-base-images.sh), no workspace's own. */
const PLAIN_IMAGE = 'platform/debian:bookworm';
const SECRET_VALUE = `the-secret-${randomUUID()}`;

interface Tenant {
  token: string;
  workspaceId: string;
  serverId: string;
  projectId: string;
  events: EventStreamReader;
}

async function tenant(stack: Stack, label: string): Promise<Tenant> {
  const { api } = stack;
  const user = await api.signup(label);
  const events = await EventStreamReader.open(stack.gateway.url, user.token);
  const server = await api.readyLocalServer(user.token, `${label}-1`);
  const project = await api.request<{ projectId: string }>('POST', '/v1/projects', {
    token: user.token,
    body: { name: `${label}-project` },
  });
  expect(project.status).toBe(202);
  return { ...user, serverId: server.serverId, projectId: project.body.projectId, events };
}

async function createService(api: ApiClient, owner: Tenant, name: string) {
  return api.request<{ serviceId: string }>('POST', `/v1/projects/${owner.projectId}/services`, {
    token: owner.token,
    body: { name, port: 3000, env: { API_KEY: SECRET_VALUE } },
  });
}

async function deploy(api: ApiClient, owner: Tenant, serviceId: string, source: unknown) {
  return api.request<{ deploymentId: string }>('POST', '/v1/deployments', {
    token: owner.token,
    body: { serviceId, source, serverIds: [owner.serverId] },
  });
}

async function failureOf(api: ApiClient, owner: Tenant, deploymentId: string): Promise<string> {
  let reason = '';
  await eventually(async () => {
    const view = await api.request<{ status: string; failureReason: string | null }>(
      'GET',
      `/v1/deployments/${deploymentId}`,
      { token: owner.token },
    );
    expect(view.body.status).toBe('failed');
    reason = view.body.failureReason ?? '';
  }, 180_000);
  return reason;
}

/**
 * Workspace B, signed up like anyone, goes after what workspace A holds on the same instance: its images in the
 * shared Docker engine, its front-door name, the secrets in its events; and after the machine, through git sources.
 */
describe('an attacker in another workspace', () => {
  let stack: Stack;
  let a: Tenant;
  let b: Tenant;
  let aServiceName: string;
  let aImage: string;

  beforeAll(async () => {
    stack = await startStack('attacker');
    [a, b] = await Promise.all([tenant(stack, 'victim'), tenant(stack, 'attacker')]);
    aServiceName = `shop-${randomUUID().slice(0, 8)}`;
    const service = await createService(stack.api, a, aServiceName);
    expect(service.status).toBe(202);
    const deployment = await deploy(stack.api, a, service.body.serviceId, { type: 'image', image: PLAIN_IMAGE });
    expect(deployment.status).toBe(202);
    // A's image as the platform tagged it for A's service (the deployment itself may then fail: no app in it).
    await eventually(() => {
      const ready = a.events.events.find((event) => event.event === 'ImageReady');
      expect(ready).toBeDefined();
      aImage = (JSON.parse(ready?.data ?? '{}') as { data: { image: string } }).data.image;
    }, 180_000);
  });
  afterAll(async () => {
    await a?.events.close();
    await b?.events.close();
    await stack?.stop();
  });

  it("cannot run A's image by its name: the deployment fails saying why", async () => {
    const service = await createService(stack.api, b, `loot-${randomUUID().slice(0, 8)}`);
    const deployment = await deploy(stack.api, b, service.body.serviceId, { type: 'image', image: aImage });
    expect(deployment.status).toBe(202);
    expect(await failureOf(stack.api, b, deployment.body.deploymentId)).toContain(
      `the image ${aImage} was made by the platform for another service`,
    );
  });

  it("cannot name A's image by its id or an id prefix: refused at the API", async () => {
    const service = await createService(stack.api, b, `prefix-${randomUUID().slice(0, 8)}`);
    for (const image of ['3f9a2c', `sha256:${'ab'.repeat(32)}`, 'ab'.repeat(32)]) {
      const refused = await deploy(stack.api, b, service.body.serviceId, { type: 'image', image });
      expectRefusal(refused, { status: 400, code: 'validation_failed' });
      expect(JSON.stringify(refused.body)).toContain('not by an image id or id prefix');
    }
  });

  it("cannot take A's front-door name, and A's hostname stays A's", async () => {
    const taken = await createService(stack.api, b, aServiceName);
    expectRefusal(taken, { status: 409, code: 'name_taken' });
    expect(JSON.stringify(taken.body)).toContain('choose another name');
    const services = await stack.api.request<{ items: { name: string }[] }>(
      'GET',
      `/v1/projects/${b.projectId}/services`,
      { token: b.token },
    );
    expect(services.body.items.map((service) => service.name)).not.toContain(aServiceName);
  });

  it("reads none of A's events, and A's own events carry no sealed value", async () => {
    const aStream = a.events.events.map((event) => event.data).join('\n');
    expect(aStream).toContain('DeploymentRequested');
    expect(aStream).toContain('ServiceCreated');
    expect(aStream).not.toMatch(/sealed|"v1:/i);
    expect(aStream).not.toContain(SECRET_VALUE);
    const requested = a.events.events.find((event) => event.event === 'DeploymentRequested');
    const data = (JSON.parse(requested?.data ?? '{}') as { data: { targets: object[]; env: object } }).data;
    expect(Object.keys(data.targets[0]).sort()).toEqual(['agentUrl', 'edgeHttpPort', 'publicIp', 'serverId']);
    expect(data.env).toEqual({ API_KEY: '••••••••' });

    const bStream = b.events.events.map((event) => event.data).join('\n');
    expect(bStream).not.toContain(a.workspaceId);
    expect(bStream).not.toContain(aServiceName);
  });

  it('cannot make the platform clone from this machine: a git host resolving to 127.0.0.1 is refused', async () => {
    const service = await createService(stack.api, b, `git-${randomUUID().slice(0, 8)}`);
    const deployment = await deploy(stack.api, b, service.body.serviceId, {
      type: 'git',
      url: 'https://git.localhost/acme/app.git',
      ref: 'main',
    });
    expect(deployment.status).toBe(202);
    expect(await failureOf(stack.api, b, deployment.body.deploymentId)).toContain(
      'git.localhost refused: private address',
    );
  });

  it('gets a 4xx, not a 500, for a git URL that git would read as an option', async () => {
    const service = await createService(stack.api, b, `opt-${randomUUID().slice(0, 8)}`);
    const refused = await deploy(stack.api, b, service.body.serviceId, {
      type: 'git',
      url: '--upload-pack=touch /tmp/pwned',
      ref: 'main',
    });
    expectRefusal(refused, { status: 400, code: 'validation_failed' });
  });

  it('cannot replay a sign-in under its Idempotency-Key: the answer held a session and is not kept', async () => {
    const key = randomUUID();
    const body = { email: `replay-${randomUUID()}@example.com`, password: 'correct horse battery staple' };
    const login = () =>
      stack.api.request('POST', '/v1/auth/signup', {
        body: { ...body, workspaceName: 'replayed' },
        headers: { 'idempotency-key': key },
      });
    expect((await login()).status).toBe(201);
    expectRefusal(await login(), { status: 422, code: 'idempotency_key_reused' });
    const { rows } = await stack.db.pool.query<{ body: unknown; fingerprint: string }>(
      `SELECT body, fingerprint FROM ${stack.schemas.gateway}.idempotency_keys WHERE key = $1`,
      [key],
    );
    expect(rows).toEqual([{ body: null, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });
});
