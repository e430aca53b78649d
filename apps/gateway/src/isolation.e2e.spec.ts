import { randomUUID } from 'node:crypto';
import { tarOf } from '@platform/archive/src/test-support';
import { apiRoutes, type ApiRoute, type ApiRouteName } from '@platform/contracts';
import { eventually, expectRefusal } from '@platform/testing';
import {
  EventStreamReader,
  startCloudFakes,
  startStack,
  type ApiClient,
  type CloudFakes,
  type Stack,
} from './test-support';

interface Tenant {
  token: string;
  userId: string;
  email: string;
  workspaceId: string;
  deployConfigId: string;
  apiTokenId: string;
  apiToken: string;
  serverId: string;
  projectId: string;
  serviceId: string;
  deploymentId: string;
  snapshotId: string;
  inviteId: string;
  uploadId: string;
  domainId: string;
  webhookId: string;
}

const fields = (name: string) => ({
  name,
  serviceId: randomUUID(),
  source: { type: 'image', image: 'registry.local/acme/web:1.0.0' },
  serverIds: [randomUUID()],
});

async function tenant(api: ApiClient, label: string, digitalOceanToken: string): Promise<Tenant> {
  const user = await api.signup(label);
  expect(
    (await api.request('PUT', '/v1/providers/digitalocean', { token: user.token, body: { token: digitalOceanToken } }))
      .status,
  ).toBe(200);
  const snapshot = await api.request<{ snapshotId: string }>('POST', '/v1/snapshots', {
    token: user.token,
    body: { provider: 'digitalocean', region: 'fra1' },
  });
  expect(snapshot.status).toBe(202);
  const config = await api.request<{ deployConfigId: string }>('POST', '/v1/deploy-configs', {
    token: user.token,
    body: fields(`${label}-config`),
  });
  await eventually(async () =>
    expect(
      (await api.request('GET', `/v1/deploy-configs/${config.body.deployConfigId}`, { token: user.token })).status,
    ).toBe(200),
  );
  const upload = await fetch(`${api.baseUrl}/v1/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/gzip' },
    body: await tarOf([{ name: 'index.js', content: 'console.log(1)' }]),
  });
  expect(upload.status).toBe(201);
  const { uploadId } = (await upload.json()) as { uploadId: string };
  const webhook = await api.request<{ webhookId: string }>('POST', '/v1/webhooks', {
    token: user.token,
    body: { url: `http://127.0.0.1:9/${label}-hook`, eventTypes: ['DeploymentSucceeded'] },
  });
  expect(webhook.status).toBe(202);
  const token = await api.request<{ id: string; token: string }>('POST', '/v1/api-tokens', {
    token: user.token,
    body: { name: `${label}-token`, scopes: ['read', 'deploy'] },
  });
  const invite = await api.request<{ id: string }>('POST', `/v1/workspaces/${user.workspaceId}/invites`, {
    token: user.token,
    body: { role: 'member' },
  });
  const server = await api.readyLocalServer(user.token, `${label}-1`);
  const project = await api.request<{ projectId: string }>('POST', '/v1/projects', {
    token: user.token,
    body: { name: `${label}-project` },
  });
  await eventually(async () =>
    expect((await api.request('GET', `/v1/projects/${project.body.projectId}`, { token: user.token })).status).toBe(
      200,
    ),
  );
  const service = await api.request<{ serviceId: string }>('POST', `/v1/projects/${project.body.projectId}/services`, {
    token: user.token,
    body: { name: `${label}-web`, port: 3000, env: { SECRET_NOTE: `${label}-secret-value` } },
  });
  await eventually(async () =>
    expect((await api.request('GET', `/v1/services/${service.body.serviceId}`, { token: user.token })).status).toBe(
      200,
    ),
  );
  const deployment = await api.request<{ deploymentId: string }>('POST', '/v1/deployments', {
    token: user.token,
    body: {
      serviceId: service.body.serviceId,
      source: { type: 'image', image: 'platform-test/absent:1' },
      serverIds: [server.serverId],
    },
  });
  expect(deployment.status).toBe(202);
  await eventually(async () => {
    const view = await api.request<{ status: string }>('GET', `/v1/deployments/${deployment.body.deploymentId}`, {
      token: user.token,
    });
    expect(view.body.status).toBe('failed');
  }, 30_000);
  const domain = await api.request<{ domainId: string }>('POST', `/v1/services/${service.body.serviceId}/domains`, {
    token: user.token,
    body: { hostname: `${label}-shop.localhost` },
  });
  expect(domain.status).toBe(202);
  return {
    ...user,
    domainId: domain.body.domainId,
    deployConfigId: config.body.deployConfigId,
    apiTokenId: token.body.id,
    apiToken: token.body.token,
    serverId: server.serverId,
    projectId: project.body.projectId,
    serviceId: service.body.serviceId,
    deploymentId: deployment.body.deploymentId,
    snapshotId: snapshot.body.snapshotId,
    inviteId: invite.body.id,
    uploadId,
    webhookId: webhook.body.webhookId,
  };
}

/**
 * Every route of the API, aimed by workspace B at workspace A's resources. A new route without an entry here
 * fails the test, so isolation is checked for the whole route table, not a sample.
 */
function attempts(
  a: Tenant,
  b: Tenant,
  digitalOceanToken: string,
): Record<ApiRouteName, { path: string; body?: unknown } | 'public' | 'own-session'> {
  return {
    signup: 'public',
    signupPolicy: 'public',
    login: 'public',
    // Ends the caller's own session and touches no workspace: checked in the identity tests.
    logout: 'own-session',
    me: { path: '/v1/me' },
    listWorkspaces: { path: '/v1/workspaces' },
    createWorkspace: { path: '/v1/workspaces', body: { name: 'intruder' } },
    listApiTokens: { path: '/v1/api-tokens' },
    createApiToken: { path: '/v1/api-tokens', body: { name: 'intruder', scopes: ['read'] } },
    revokeApiToken: { path: `/v1/api-tokens/${a.apiTokenId}` },
    listMembers: { path: `/v1/workspaces/${a.workspaceId}/members` },
    addMember: { path: `/v1/workspaces/${a.workspaceId}/members`, body: { email: b.email, role: 'owner' } },
    updateMember: { path: `/v1/workspaces/${a.workspaceId}/members/${a.userId}`, body: { role: 'viewer' } },
    removeMember: { path: `/v1/workspaces/${a.workspaceId}/members/${a.userId}` },
    listInvites: { path: `/v1/workspaces/${a.workspaceId}/invites` },
    createInvite: { path: `/v1/workspaces/${a.workspaceId}/invites`, body: { role: 'owner' } },
    revokeInvite: { path: `/v1/workspaces/${a.workspaceId}/invites/${a.inviteId}` },
    listDeployConfigs: { path: '/v1/deploy-configs' },
    createDeployConfig: { path: '/v1/deploy-configs', body: fields('intruder') },
    getDeployConfig: { path: `/v1/deploy-configs/${a.deployConfigId}` },
    updateDeployConfig: { path: `/v1/deploy-configs/${a.deployConfigId}`, body: fields('hijacked') },
    deleteDeployConfig: { path: `/v1/deploy-configs/${a.deployConfigId}` },
    listServers: { path: '/v1/servers' },
    getServer: { path: `/v1/servers/${a.serverId}` },
    provisionServer: { path: '/v1/servers', body: { provider: 'local', name: 'intruder' } },
    destroyServer: { path: `/v1/servers/${a.serverId}?force=true` },
    refreshServer: { path: `/v1/servers/${a.serverId}/refresh` },
    listRegions: { path: '/v1/providers/local/regions' },
    listProjects: { path: '/v1/projects' },
    createProject: { path: '/v1/projects', body: { name: 'intruder' } },
    getProject: { path: `/v1/projects/${a.projectId}` },
    listServices: { path: `/v1/projects/${a.projectId}/services` },
    createService: { path: `/v1/projects/${a.projectId}/services`, body: { name: 'intruder', port: 3000 } },
    getService: { path: `/v1/services/${a.serviceId}` },
    updateService: { path: `/v1/services/${a.serviceId}`, body: { env: { SECRET_NOTE: 'hijacked' } } },
    createUpload: { path: '/v1/uploads' },
    deleteUpload: { path: `/v1/uploads/${a.uploadId}` },
    listDeployments: { path: '/v1/deployments' },
    createDeployment: {
      path: '/v1/deployments',
      body: { serviceId: a.serviceId, source: { type: 'image', image: 'web:1' }, serverIds: [a.serverId] },
    },
    getDeployment: { path: `/v1/deployments/${a.deploymentId}` },
    getDeploymentLogs: { path: `/v1/deployments/${a.deploymentId}/logs` },
    rollbackDeployment: { path: `/v1/deployments/${a.deploymentId}/rollback` },
    listSizes: { path: '/v1/providers/local/sizes' },
    listProviders: { path: '/v1/providers' },
    saveProviderCredentials: { path: '/v1/providers/digitalocean', body: { token: digitalOceanToken } },
    removeProviderCredentials: { path: '/v1/providers/cloudflare' },
    listSnapshots: { path: '/v1/snapshots' },
    getSnapshot: { path: `/v1/snapshots/${a.snapshotId}` },
    createSnapshot: { path: '/v1/snapshots', body: { provider: 'digitalocean', region: 'fra1' } },
    deleteSnapshot: { path: `/v1/snapshots/${a.snapshotId}` },
    listWebhooks: { path: '/v1/webhooks' },
    createWebhook: {
      path: '/v1/webhooks',
      body: { url: 'http://127.0.0.1:9/intruder', eventTypes: ['DeploymentSucceeded'] },
    },
    getWebhook: { path: `/v1/webhooks/${a.webhookId}` },
    updateWebhook: { path: `/v1/webhooks/${a.webhookId}`, body: { url: 'http://127.0.0.1:9/hijacked' } },
    deleteWebhook: { path: `/v1/webhooks/${a.webhookId}` },
    rotateWebhookSecret: { path: `/v1/webhooks/${a.webhookId}/rotate-secret` },
    sendTestWebhook: { path: `/v1/webhooks/${a.webhookId}/test` },
    listWebhookDeliveries: { path: `/v1/webhooks/${a.webhookId}/deliveries` },
    redeliverWebhookDelivery: { path: `/v1/webhooks/${a.webhookId}/deliveries/${randomUUID()}/redeliver` },
    redeliverWebhooks: { path: `/v1/webhooks/${a.webhookId}/redeliver`, body: { since: '2020-01-01T00:00:00Z' } },
    events: { path: '/v1/events' },
    // Documentation of the contracts: the same for everyone.
    listEventTypes: 'public',
    // A filter, not a lookup: B finds none of A's events naming A's deployment.
    listEventHistory: { path: '/v1/events/history?limit=200' },
    listAudit: { path: '/v1/audit' },
    listRequestMetrics: { path: `/v1/metrics/requests?workspaceId=${a.workspaceId}` },
    getRequestStats: { path: `/v1/metrics/requests/stats?workspaceId=${a.workspaceId}` },
    listSlowRequests: { path: `/v1/metrics/requests/slow?workspaceId=${a.workspaceId}` },
    listErrorRequests: { path: `/v1/metrics/requests/errors?workspaceId=${a.workspaceId}` },
    getRequestTimeseries: { path: `/v1/metrics/requests/timeseries?metric=rate&workspaceId=${a.workspaceId}` },
    // The instance admin's (alpha signed up first): anyone else is refused 403 (the metrics e2e checks it).
    listFailedRequestBatches: { path: '/v1/metrics/failed-batches' },
    retryFailedRequestBatch: { path: '/v1/metrics/failed-batches/00000000-0000-4000-8000-000000000000/retry' },
    listDomains: { path: `/v1/services/${a.serviceId}/domains` },
    addDomain: { path: `/v1/services/${a.serviceId}/domains`, body: { hostname: 'intruder.localhost' } },
    getDomain: { path: `/v1/services/${a.serviceId}/domains/${a.domainId}` },
    removeDomain: { path: `/v1/services/${a.serviceId}/domains/${a.domainId}` },
  };
}

describe('workspace isolation over the whole route table', () => {
  let stack: Stack;
  let fakes: CloudFakes;
  beforeAll(async () => {
    fakes = await startCloudFakes();
    stack = await startStack('isolation', {}, fakes.provisionerSettings, { webhooks: {} });
  }, 90_000);
  afterAll(async () => {
    await stack.stop();
    await fakes.close();
  }, 60_000);

  async function snapshotOf(a: Tenant) {
    const { api } = stack;
    const config = await api.request('GET', `/v1/deploy-configs/${a.deployConfigId}`, { token: a.token });
    const members = await api.request('GET', `/v1/workspaces/${a.workspaceId}/members`, { token: a.token });
    const invites = await api.request('GET', `/v1/workspaces/${a.workspaceId}/invites`, { token: a.token });
    const tokens = await api.request('GET', '/v1/api-tokens', { token: a.token });
    const server = await api.request('GET', `/v1/servers/${a.serverId}`, { token: a.token });
    const service = await api.request('GET', `/v1/services/${a.serviceId}`, { token: a.token });
    const deployment = await api.request('GET', `/v1/deployments/${a.deploymentId}`, { token: a.token });
    const snapshot = await api.request('GET', `/v1/snapshots/${a.snapshotId}`, { token: a.token });
    const providers = await api.request('GET', '/v1/providers', { token: a.token });
    const domain = await api.request('GET', `/v1/services/${a.serviceId}/domains/${a.domainId}`, { token: a.token });
    const webhook = await api.request('GET', `/v1/webhooks/${a.webhookId}`, { token: a.token });
    const { rows } = await stack.db.pool.query(`SELECT count(*)::int AS n FROM ${stack.schemas.deployments}.events`);
    const own = await stack.db.pool.query(
      `SELECT count(*)::int AS n FROM ${stack.schemas.deployments}.events WHERE metadata->>'workspaceId' = $1`,
      [a.workspaceId],
    );
    return {
      config: config.body,
      members: members.body,
      invites: invites.body,
      tokens: (tokens.body.items as { id: string }[]).map((t) => t.id),
      server: server.body,
      service: service.body,
      deployment: deployment.body,
      snapshot: snapshot.body,
      providers: providers.body,
      domain: (domain.body as { hostname: string }).hostname,
      webhook: webhook.body,
      events: rows[0].n as number,
      aEvents: own.rows[0].n as number,
    };
  }

  it("lets no route of workspace B see or change workspace A's resources", async () => {
    const { api } = stack;
    const a = await tenant(api, 'alpha', fakes.digitalOcean.token);
    const b = await tenant(api, 'bravo', fakes.digitalOcean.token);
    for (const tenant of [a, b]) {
      await eventually(async () => {
        const view = await api.request<{ status: string }>('GET', `/v1/snapshots/${tenant.snapshotId}`, {
          token: tenant.token,
        });
        expect(view.body.status).toBe('ready');
      }, 60_000);
    }
    const table = attempts(a, b, fakes.digitalOcean.token);
    expect(Object.keys(table).sort()).toEqual(Object.keys(apiRoutes).sort());
    const before = await snapshotOf(a);
    const secretsOfA = [
      a.workspaceId,
      a.deployConfigId,
      a.apiTokenId,
      a.serverId,
      a.projectId,
      a.serviceId,
      a.deploymentId,
      a.snapshotId,
      a.uploadId,
      a.domainId,
      a.webhookId,
      a.email,
      'alpha-config',
      'alpha-token',
      'alpha-1',
      'alpha-project',
      'alpha-web',
      'alpha-secret-value',
      'alpha-shop.localhost',
      'alpha-hook',
    ];
    const bEvents = await EventStreamReader.open(stack.gateway.url, b.token);

    for (const [name, attempt] of Object.entries(table) as [ApiRouteName, (typeof table)[ApiRouteName]][]) {
      if (attempt === 'public' || attempt === 'own-session') continue;
      const route: ApiRoute = apiRoutes[name];
      const path = attempt.path.replace(/\?.*/, '');
      const aimsAtA = secretsOfA.some(
        (secret) => path.includes(secret) || JSON.stringify(attempt.body ?? {}).includes(secret),
      );

      // B's own credential, and B's API token, against A's resource ids.
      for (const token of [b.token, b.apiToken]) {
        if (route.stream) continue;
        const response = await api.request(route.method, attempt.path, { token, body: attempt.body });
        if (aimsAtA) {
          // An API token lacking the route's scope is refused (403) before the resource is even looked up.
          expect({ route: name, refused: [403, 404].includes(response.status) }).toEqual({
            route: name,
            refused: true,
          });
          if (token === b.token) expectRefusal(response, { case: name, status: 404, code: 'not_found' });
        } else {
          const text = JSON.stringify(response.body ?? {});
          for (const secret of secretsOfA)
            expect({ route: name, leaked: text.includes(secret) }).toEqual({ route: name, leaked: false });
        }
      }

      // B asking to act inside A's workspace: as if A's workspace did not exist.
      {
        const intoA = await api.request(route.method, attempt.path, {
          token: b.token,
          body: attempt.body,
          headers: { 'x-workspace-id': a.workspaceId },
        });
        expectRefusal(intoA, { case: name, status: 404, code: 'not_found' });
      }
    }

    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await snapshotOf(a);
    // B's own writes (a config, a workspace, a token) land in B's workspace; A's resources are exactly as they were.
    expect(after.config).toEqual(before.config);
    expect(after.members).toEqual(before.members);
    expect(after.invites).toEqual(before.invites);
    expect(after.tokens).toEqual(before.tokens);
    expect(after.server).toEqual(before.server);
    expect(after.service).toEqual(before.service);
    expect(after.deployment).toEqual(before.deployment);
    expect(after.snapshot).toEqual(before.snapshot);
    expect(after.providers).toEqual(before.providers);
    expect(after.domain).toEqual(before.domain);
    expect(after.webhook).toEqual(before.webhook);
    expect(fakes.digitalOcean.violations).toEqual([]);
    expect((await api.request('GET', '/v1/me', { token: a.apiToken })).status).toBe(200);
    expect(after.aEvents).toBe(before.aEvents);
    expect(bEvents.events.every((event) => !secretsOfA.some((secret) => event.data.includes(secret)))).toBe(true);
    await bEvents.close();
    expect(after.events).toBeGreaterThanOrEqual(before.events);
  }, 120_000);
});
