import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tarOf } from '@platform/archive/src/test-support';
import { apiRoutes, type ApiRouteName, type AuditEntryView } from '@platform/contracts';
import { eventually, expectRefusal } from '@platform/testing';
import { startCloudFakes, startStack, type ApiResponse, type CloudFakes, type Stack } from './test-support';

/** The routes that change state: every route but the reads. */
const changingRoutes = (Object.keys(apiRoutes) as ApiRouteName[]).filter((name) => apiRoutes[name].method !== 'GET');

describe('the audit log over the whole route table', () => {
  let stack: Stack;
  let fakes: CloudFakes;
  /** Where the webhook endpoint points: answers every delivery 200. */
  let receiver: Server;
  beforeAll(async () => {
    fakes = await startCloudFakes();
    receiver = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    stack = await startStack('audit', {}, fakes.provisionerSettings, { webhooks: {} });
  }, 90_000);
  afterAll(async () => {
    await stack.stop();
    await fakes.close();
    receiver.close();
  }, 60_000);

  it('records every state-changing route with its actor, request and resource, and no secret value', async () => {
    const { api } = stack;
    const userAgent = 'audit-test/1.0';
    const owner = await api.signup('owner');
    const secrets = [owner.password, owner.token, fakes.digitalOcean.token, 'env-secret-one', 'env-secret-two'];
    /** The session or API token each route was called with, as the audit log must name it. */
    const expectedActor = new Map<ApiRouteName, { kind: 'user' | 'api_token'; name: string }>();
    const session = { kind: 'user' as const, name: owner.email };
    const call = async <T = Record<string, unknown>>(
      name: ApiRouteName,
      path: string,
      options: { token?: string; body?: unknown; actor?: { kind: 'user' | 'api_token'; name: string } } = {},
    ): Promise<ApiResponse<T>> => {
      const route = apiRoutes[name];
      const response = await api.request<T>(route.method, path, {
        token: options.token ?? owner.token,
        body: options.body,
        headers: { 'user-agent': userAgent },
      });
      expect({ name, status: response.status }).toEqual({ name, status: route.success.status });
      if (options.actor) expectedActor.set(name, options.actor);
      for (const value of Object.values(response.body ?? {}))
        if (typeof value === 'string' && /^(pls|plt|pli)_/.test(value)) secrets.push(value);
      return response;
    };
    const ready = async (path: string, status: string) =>
      eventually(async () => {
        expect((await api.request<{ status: string }>('GET', path, { token: owner.token })).body.status).toBe(status);
      }, 60_000);

    await api.request('POST', '/v1/auth/logout', { token: owner.token });
    const login = await call<{ token: string }>('login', '/v1/auth/login', {
      body: { email: owner.email, password: owner.password },
    });
    owner.token = login.body.token;
    expectedActor.set('login', session);
    expectedActor.set('signup', session);
    await call('logout', '/v1/auth/logout', { actor: session });
    owner.token = (
      await call<{ token: string }>('login', '/v1/auth/login', {
        body: { email: owner.email, password: owner.password },
      })
    ).body.token;
    await call('createWorkspace', '/v1/workspaces', { body: { name: 'second' }, actor: session });
    const apiToken = await call<{ id: string; token: string }>('createApiToken', '/v1/api-tokens', {
      body: { name: 'ci-robot', scopes: ['read', 'deploy', 'infra'] },
      actor: session,
    });
    const robot = { kind: 'api_token' as const, name: 'ci-robot' };
    const asRobot = { token: apiToken.body.token, actor: robot };

    const invites = `/v1/workspaces/${owner.workspaceId}/invites`;
    const invite = await call<{ id: string; token: string }>('createInvite', invites, {
      body: { role: 'member' },
      actor: session,
    });
    const joined = await api.request<{ user: { id: string } }>('POST', '/v1/auth/signup', {
      body: { email: 'joiner@example.com', password: 'another long password', invite: invite.body.token },
    });
    expect(joined.status).toBe(201);
    secrets.push('another long password');
    const members = `/v1/workspaces/${owner.workspaceId}/members`;
    await call('updateMember', `${members}/${joined.body.user.id}`, { body: { role: 'viewer' }, actor: session });
    await call('removeMember', `${members}/${joined.body.user.id}`, { actor: session });
    await call('addMember', members, { body: { email: 'joiner@example.com', role: 'member' }, actor: session });
    const unused = await call<{ id: string }>('createInvite', invites, { body: { role: 'viewer' } });
    await call('revokeInvite', `${invites}/${unused.body.id}`, { actor: session });

    await call('saveProviderCredentials', '/v1/providers/digitalocean', {
      body: { token: fakes.digitalOcean.token },
      actor: session,
    });
    const snapshot = await call<{ snapshotId: string }>('createSnapshot', '/v1/snapshots', {
      body: { provider: 'digitalocean', region: 'fra1' },
      ...asRobot,
    });
    await ready(`/v1/snapshots/${snapshot.body.snapshotId}`, 'ready');
    await call('deleteSnapshot', `/v1/snapshots/${snapshot.body.snapshotId}`, asRobot);

    const config = {
      name: 'nightly',
      serviceId: randomUUID(),
      source: { type: 'image', image: 'registry.local/acme/web:1.0.0' },
      serverIds: [randomUUID()],
    };
    const created = await call<{ deployConfigId: string }>('createDeployConfig', '/v1/deploy-configs', {
      body: config,
      ...asRobot,
    });
    const configPath = `/v1/deploy-configs/${created.body.deployConfigId}`;
    await call('updateDeployConfig', configPath, { body: { ...config, name: 'weekly' }, ...asRobot });
    await call('deleteDeployConfig', configPath, asRobot);

    const server = await call<{ serverId: string }>('provisionServer', '/v1/servers', {
      body: { provider: 'local', name: 'audit-1' },
      actor: session,
    });
    await ready(`/v1/servers/${server.body.serverId}`, 'ready');
    await call('refreshServer', `/v1/servers/${server.body.serverId}/refresh`, asRobot);

    const project = await call<{ projectId: string }>('createProject', '/v1/projects', {
      body: { name: 'shop' },
      ...asRobot,
    });
    const service = await call<{ serviceId: string }>(
      'createService',
      `/v1/projects/${project.body.projectId}/services`,
      {
        body: { name: 'audit-web', port: 3000, env: { API_KEY: 'env-secret-one' } },
        ...asRobot,
      },
    );
    await call('updateService', `/v1/services/${service.body.serviceId}`, {
      body: { env: { API_KEY: 'env-secret-two' } },
      ...asRobot,
    });
    const domains = `/v1/services/${service.body.serviceId}/domains`;
    const domain = await call<{ domainId: string }>('addDomain', domains, {
      body: { hostname: 'shop-audit.localhost' },
      actor: session,
    });
    await call('removeDomain', `${domains}/${domain.body.domainId}`, { actor: session });

    const webhook = await call<{ webhookId: string; secret: string }>('createWebhook', '/v1/webhooks', {
      body: {
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
        eventTypes: ['DeploymentSucceeded'],
      },
      actor: session,
    });
    const hook = `/v1/webhooks/${webhook.body.webhookId}`;
    secrets.push(webhook.body.secret);
    await call('updateWebhook', hook, { body: { description: 'chat' }, actor: session });
    const rotated = await call<{ secret: string }>('rotateWebhookSecret', `${hook}/rotate-secret`, { actor: session });
    secrets.push(rotated.body.secret);
    const test = await call<{ deliveryId: string }>('sendTestWebhook', `${hook}/test`, { actor: session });
    await call('redeliverWebhookDelivery', `${hook}/deliveries/${test.body.deliveryId}/redeliver`, { actor: session });
    await call('redeliverWebhooks', `${hook}/redeliver`, {
      body: { since: new Date(Date.now() - 3_600_000).toISOString() },
      actor: session,
    });
    await call('deleteWebhook', hook, { actor: session });

    const upload = await fetch(`${api.baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiToken.body.token}`,
        'content-type': 'application/gzip',
        'user-agent': userAgent,
      },
      body: await tarOf([{ name: 'index.js', content: 'console.log(1)' }]),
    });
    expect(upload.status).toBe(201);
    expectedActor.set('createUpload', robot);
    const { uploadId } = (await upload.json()) as { uploadId: string };
    await call('deleteUpload', `/v1/uploads/${uploadId}`, asRobot);

    const deployment = await call<{ deploymentId: string }>('createDeployment', '/v1/deployments', {
      body: {
        serviceId: service.body.serviceId,
        source: { type: 'image', image: 'platform-test/absent:1' },
        serverIds: [server.body.serverId],
        env: { EXTRA: 'env-secret-one' },
      },
      ...asRobot,
    });
    await ready(`/v1/deployments/${deployment.body.deploymentId}`, 'failed');
    // Only a deployment that succeeded can be rolled back: refused, it changes nothing and records nothing.
    const rollback = await api.request('POST', `/v1/deployments/${deployment.body.deploymentId}/rollback`, {
      token: apiToken.body.token,
    });
    expectRefusal(rollback, { case: 'rollback of a failed deployment', status: 409, code: 'conflict' });

    await call('destroyServer', `/v1/servers/${server.body.serverId}`, { actor: session });
    await call('removeProviderCredentials', '/v1/providers/digitalocean', { actor: session });
    await call('revokeApiToken', `/v1/api-tokens/${apiToken.body.id}`, { actor: session });

    // Every state-changing route was called above, save the refused rollback and the retry of a failed batch of
    // request metrics (a batch the metrics service gave up on: metrics.e2e retries one; it is recorded as uploads are).
    expect([...expectedActor.keys(), 'rollbackDeployment', 'retryFailedRequestBatch'].sort()).toEqual(
      [...changingRoutes].sort(),
    );

    /** Every page of one listing, 20 entries a page. */
    const allOf = async (query: string) => {
      const all: AuditEntryView[] = [];
      let cursor: string | null = null;
      do {
        const page: ApiResponse<{ items: AuditEntryView[]; nextCursor: string | null }> = await api.request(
          'GET',
          `/v1/audit?limit=20${query}${cursor ? `&cursor=${cursor}` : ''}`,
          { token: owner.token },
        );
        expect(page.status).toBe(200);
        all.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return all;
    };
    // The new workspace's creation is in that workspace's log, and in the instance-level actions the owner reads.
    const entries = await eventually(async () => {
      const all = [...(await allOf('')), ...(await allOf('&scope=instance'))];
      expect(new Set(all.map((entry) => entry.action))).toEqual(new Set([...expectedActor.keys()]));
      return all;
    }, 30_000);
    expect(new Set(entries.map((entry) => entry.workspaceId))).toEqual(
      new Set([owner.workspaceId, entries.find((entry) => entry.action === 'createWorkspace')?.workspaceId]),
    );

    for (const [action, actor] of expectedActor) {
      const entry = entries.find((candidate) => candidate.action === action && candidate.actor.name === actor.name);
      expect({ action, kind: entry?.actor.kind, name: entry?.actor.name }).toEqual({ action, ...actor });
      if (action !== 'signup') expect({ action, userAgent: entry?.userAgent }).toEqual({ action, userAgent });
      expect({ action, ip: entry?.ip, requestId: typeof entry?.requestId }).toEqual({
        action,
        ip: '127.0.0.1',
        requestId: 'string',
      });
    }
    expect(entries.find((entry) => entry.action === 'createDeployment')?.resource).toEqual({
      type: 'deployment',
      id: deployment.body.deploymentId,
    });
    const text = JSON.stringify(entries);
    for (const secret of secrets) expect({ secret, leaked: text.includes(secret) }).toEqual({ secret, leaked: false });

    // The events behind the entries, as the console's Activity pages through them.
    const history = await api.request<{ items: { type: string; metadata: Record<string, unknown> }[] }>(
      'GET',
      `/v1/events/history?resourceId=${service.body.serviceId}&types=ServiceCreated,ServiceUpdated`,
      { token: owner.token },
    );
    expect(history.body.items.map((event) => event.type)).toEqual(['ServiceUpdated', 'ServiceCreated']);
    // The request's origin (address, user agent) is the audit log's: never on the event stream.
    expect(history.body.items[0].metadata).not.toHaveProperty('origin');
    expect(JSON.stringify(history.body)).not.toContain('env-secret');

    // Filters, and who may read what.
    const byRobot = await api.request<{ items: AuditEntryView[] }>('GET', '/v1/audit?actor=ci-robot', {
      token: owner.token,
    });
    expect(new Set(byRobot.body.items.map((entry) => entry.actor.kind))).toEqual(new Set(['api_token']));
    const forService = await api.request<{ items: AuditEntryView[] }>(
      'GET',
      `/v1/audit?resourceId=${service.body.serviceId}`,
      { token: owner.token },
    );
    // A domain is added to its service (its removal names the domain).
    expect(forService.body.items.map((entry) => entry.action).sort()).toEqual([
      'addDomain',
      'createService',
      'updateService',
    ]);
    const instance = await api.request<{ items: AuditEntryView[] }>('GET', '/v1/audit?scope=instance', {
      token: owner.token,
    });
    expect(new Set(instance.body.items.map((entry) => entry.action))).toEqual(
      new Set(['signup', 'createWorkspace', 'createInvite', 'revokeInvite']),
    );
    const joinerLogin = await api.request<{ token: string }>('POST', '/v1/auth/login', {
      body: { email: 'joiner@example.com', password: 'another long password' },
    });
    expectRefusal(await api.request('GET', '/v1/audit', { token: joinerLogin.body.token }), {
      case: 'a member reads the audit log',
      status: 403,
      code: 'forbidden',
    });
  }, 240_000);
});
