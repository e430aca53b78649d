import { randomUUID } from 'node:crypto';
import { apiRoutes, type ApiRoute, type ApiRouteName } from '@platform/contracts';
import { eventually } from '@platform/testing';
import { EventStreamReader, startStack, type ApiClient, type Stack } from './test-support';

interface Tenant {
  token: string;
  userId: string;
  email: string;
  workspaceId: string;
  deployConfigId: string;
  apiTokenId: string;
  apiToken: string;
  serverId: string;
}

const fields = (name: string) => ({
  name,
  serviceId: randomUUID(),
  source: { type: 'image', image: 'registry.local/acme/web:1.0.0' },
  serverIds: [randomUUID()],
});

async function tenant(api: ApiClient, label: string): Promise<Tenant> {
  const user = await api.signup(label);
  const config = await api.request<{ deployConfigId: string }>('POST', '/v1/deploy-configs', { token: user.token, body: fields(`${label}-config`) });
  await eventually(async () =>
    expect((await api.request('GET', `/v1/deploy-configs/${config.body.deployConfigId}`, { token: user.token })).status).toBe(200),
  );
  const token = await api.request<{ id: string; token: string }>('POST', '/v1/api-tokens', {
    token: user.token,
    body: { name: `${label}-token`, scopes: ['read', 'deploy'] },
  });
  const server = await api.request<{ serverId: string }>('POST', '/v1/servers', { token: user.token, body: { provider: 'local', name: `${label}-1` } });
  await eventually(async () => {
    const view = await api.request<{ status: string }>('GET', `/v1/servers/${server.body.serverId}`, { token: user.token });
    expect(view.body.status).toBe('ready');
  }, 30_000);
  return { ...user, deployConfigId: config.body.deployConfigId, apiTokenId: token.body.id, apiToken: token.body.token, serverId: server.body.serverId };
}

/**
 * Every route of the API, aimed by workspace B at workspace A's resources. A new route without an entry here
 * fails the test, so isolation is checked for the whole route table, not a sample.
 */
function attempts(a: Tenant, b: Tenant): Record<ApiRouteName, { path: string; body?: unknown } | 'public' | 'own-session'> {
  return {
    signup: 'public',
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
    listSizes: { path: '/v1/providers/local/sizes' },
    events: { path: '/v1/events' },
  };
}

describe('workspace isolation over the whole route table', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('isolation');
  }, 90_000);
  afterAll(() => stack.stop(), 30_000);

  async function snapshotOf(a: Tenant) {
    const { api } = stack;
    const config = await api.request('GET', `/v1/deploy-configs/${a.deployConfigId}`, { token: a.token });
    const members = await api.request('GET', `/v1/workspaces/${a.workspaceId}/members`, { token: a.token });
    const tokens = await api.request('GET', '/v1/api-tokens', { token: a.token });
    const server = await api.request('GET', `/v1/servers/${a.serverId}`, { token: a.token });
    const { rows } = await stack.db.pool.query(`SELECT count(*)::int AS n FROM ${stack.schemas.deployments}.events`);
    return {
      config: config.body,
      members: members.body,
      tokens: (tokens.body.items as { id: string }[]).map((t) => t.id),
      server: server.body,
      events: rows[0].n as number,
    };
  }

  it("lets no route of workspace B see or change workspace A's resources", async () => {
    const { api } = stack;
    const a = await tenant(api, 'alpha');
    const b = await tenant(api, 'bravo');
    const table = attempts(a, b);
    expect(Object.keys(table).sort()).toEqual(Object.keys(apiRoutes).sort());
    const before = await snapshotOf(a);
    const secretsOfA = [a.workspaceId, a.deployConfigId, a.apiTokenId, a.serverId, a.email, 'alpha-config', 'alpha-token', 'alpha-1'];
    const bEvents = await EventStreamReader.open(stack.gateway.url, b.token);

    for (const [name, attempt] of Object.entries(table) as [ApiRouteName, (typeof table)[ApiRouteName]][]) {
      if (attempt === 'public' || attempt === 'own-session') continue;
      const route: ApiRoute = apiRoutes[name];
      const path = attempt.path.replace(/\?.*/, '');
      const aimsAtA = secretsOfA.some((secret) => path.includes(secret));

      // B's own credential, and B's API token, against A's resource ids.
      for (const token of [b.token, b.apiToken]) {
        if (route.stream) continue;
        const response = await api.request(route.method, attempt.path, { token, body: attempt.body });
        if (aimsAtA) {
          // An API token lacking the route's scope is refused (403) before the resource is even looked up.
          expect({ route: name, refused: [403, 404].includes(response.status) }).toEqual({ route: name, refused: true });
          if (token === b.token) expect({ route: name, status: response.status }).toEqual({ route: name, status: 404 });
        } else {
          const text = JSON.stringify(response.body ?? {});
          for (const secret of secretsOfA) expect({ route: name, leaked: text.includes(secret) }).toEqual({ route: name, leaked: false });
        }
      }

      // B asking to act inside A's workspace: as if A's workspace did not exist.
      {
        const intoA = await api.request<{ error?: { code: string } }>(route.method, attempt.path, {
          token: b.token,
          body: attempt.body,
          headers: { 'x-workspace-id': a.workspaceId },
        });
        expect({ route: name, status: intoA.status }).toEqual({ route: name, status: 404 });
      }
    }

    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await snapshotOf(a);
    // B's own writes (a config, a workspace, a token) land in B's workspace; A's resources are exactly as they were.
    expect(after.config).toEqual(before.config);
    expect(after.members).toEqual(before.members);
    expect(after.tokens).toEqual(before.tokens);
    expect(after.server).toEqual(before.server);
    expect((await api.request('GET', '/v1/me', { token: a.apiToken })).status).toBe(200);
    const aEvents = await stack.db.pool.query(
      `SELECT count(*)::int AS n FROM ${stack.schemas.deployments}.events WHERE metadata->>'workspaceId' = $1`,
      [a.workspaceId],
    );
    expect(aEvents.rows[0].n).toBe(1);
    expect(bEvents.events.every((event) => !secretsOfA.some((secret) => event.data.includes(secret)))).toBe(true);
    await bEvents.close();
    expect(after.events).toBeGreaterThanOrEqual(before.events);
  }, 120_000);
});
