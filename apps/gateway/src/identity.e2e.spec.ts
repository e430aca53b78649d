import { expectRefusal } from '@platform/testing';
import { startStack, type Stack } from './test-support';

describe('identity through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('identity');
  }, 60_000);
  afterAll(() => stack.stop(), 30_000);

  it('signs up, logs in by token and by cookie, and answers /v1/me', async () => {
    const { api } = stack;
    const alice = await api.signup('alice');
    const me = await api.request<{
      user: { email: string };
      workspace: { id: string; role: string };
      credential: { scopes: string[] };
    }>('GET', '/v1/me', {
      token: alice.token,
    });
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(alice.email);
    expect(me.body.workspace).toMatchObject({ id: alice.workspaceId, role: 'owner' });
    expect(me.body.credential.scopes).toEqual(['read', 'deploy', 'infra', 'admin']);

    const login = await api.request<{ token: string }>('POST', '/v1/auth/login', {
      body: { email: alice.email.toUpperCase(), password: alice.password },
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^session=pls_/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const byCookie = await api.request('GET', '/v1/me', { headers: { cookie: cookie.split(';')[0] } });
    expect(byCookie.status).toBe(200);

    expect(
      (await api.request('POST', '/v1/auth/login', { body: { email: alice.email, password: 'wrong password!' } }))
        .status,
    ).toBe(401);
    expect(
      (await api.request('POST', '/v1/auth/login', { body: { email: 'nobody@example.com', password: 'whatever1234' } }))
        .status,
    ).toBe(401);
    const again = await api.request('POST', '/v1/auth/signup', {
      body: { email: alice.email, password: 'another password', workspaceName: 'x' },
    });
    expectRefusal(again, { status: 409, code: 'conflict' });

    const logout = await api.request('POST', '/v1/auth/logout', { token: login.body.token });
    expect(logout.status).toBe(204);
    expect((await api.request('GET', '/v1/me', { token: login.body.token })).status).toBe(401);
    expect((await api.request('GET', '/v1/me', { token: alice.token })).status).toBe(200);
  });

  it('creates API tokens shown once, uses them within their scopes, and refuses them once revoked', async () => {
    const { api } = stack;
    const owner = await api.signup('owner');
    const created = await api.request<{ id: string; token: string; prefix: string; scopes: string[] }>(
      'POST',
      '/v1/api-tokens',
      {
        token: owner.token,
        body: { name: 'ci', scopes: ['read'] },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^plt_/);
    expect(created.body.token.startsWith(created.body.prefix)).toBe(true);

    const token = created.body.token;
    const me = await api.request<{ credential: { kind: string; scopes: string[] } }>('GET', '/v1/me', { token });
    expect(me.body.credential).toEqual({ kind: 'api_token', scopes: ['read'] });
    expect((await api.request('GET', '/v1/deploy-configs', { token })).status).toBe(200);
    const write = await api.request('POST', '/v1/deploy-configs', {
      token,
      body: {
        name: 'x',
        serviceId: created.body.id,
        source: { type: 'image', image: 'web:1' },
        serverIds: [created.body.id],
      },
    });
    expectRefusal(write, { status: 403, code: 'forbidden', message: /scope/ });
    const mint = await api.request('POST', '/v1/api-tokens', {
      token,
      body: { name: 'x', scopes: ['read'] },
    });
    expectRefusal(mint, { status: 403, code: 'forbidden', message: /session/ });

    const listed = await api.request<{ items: Record<string, unknown>[] }>('GET', '/v1/api-tokens', {
      token: owner.token,
    });
    expect(listed.body.items).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(token);

    expect((await api.request('DELETE', `/v1/api-tokens/${created.body.id}`, { token: owner.token })).status).toBe(204);
    expect((await api.request('GET', '/v1/me', { token })).status).toBe(401);
    expect((await api.request('DELETE', `/v1/api-tokens/${created.body.id}`, { token: owner.token })).status).toBe(404);

    const tooMuch = await api.request('POST', '/v1/api-tokens', {
      token: owner.token,
      body: { name: 'x', scopes: ['read', 'read'] },
    });
    expect(tooMuch.status).toBe(400);
  });

  it("lets a member manage their own tokens only, within their role's scopes", async () => {
    const { api } = stack;
    const owner = await api.signup('token-owner');
    const member = await api.signup('token-member');
    await api.request('POST', `/v1/workspaces/${owner.workspaceId}/members`, {
      token: owner.token,
      body: { email: member.email, role: 'member' },
    });
    const asMember = { token: member.token, headers: { 'x-workspace-id': owner.workspaceId } };
    const ownersToken = await api.request<{ id: string }>('POST', '/v1/api-tokens', {
      token: owner.token,
      body: { name: 'owner', scopes: ['admin'] },
    });
    const membersToken = await api.request<{ id: string }>('POST', '/v1/api-tokens', {
      ...asMember,
      body: { name: 'ci', scopes: ['read', 'deploy'] },
    });
    expect(membersToken.status).toBe(201);
    const escalate = await api.request('POST', '/v1/api-tokens', {
      ...asMember,
      body: { name: 'root', scopes: ['admin'] },
    });
    expect(escalate.status).toBe(403);

    const seenByMember = await api.request<{ items: { id: string }[] }>('GET', '/v1/api-tokens', asMember);
    expect(seenByMember.body.items.map((t) => t.id)).toEqual([membersToken.body.id]);
    const seenByOwner = await api.request<{ items: { id: string }[] }>('GET', '/v1/api-tokens', { token: owner.token });
    expect(seenByOwner.body.items.map((t) => t.id).sort()).toEqual([ownersToken.body.id, membersToken.body.id].sort());
    expect((await api.request('DELETE', `/v1/api-tokens/${ownersToken.body.id}`, asMember)).status).toBe(404);
    expect((await api.request('DELETE', `/v1/api-tokens/${membersToken.body.id}`, asMember)).status).toBe(204);
  });

  it('manages members and roles: a viewer reads but changes nothing, and the last owner stays', async () => {
    const { api } = stack;
    const owner = await api.signup('team-owner');
    const bob = await api.signup('bob');
    const added = await api.request<{ role: string }>('POST', `/v1/workspaces/${owner.workspaceId}/members`, {
      token: owner.token,
      body: { email: bob.email, role: 'viewer' },
    });
    expect(added.status).toBe(201);
    expect(added.body.role).toBe('viewer');

    const asBob = { token: bob.token, headers: { 'x-workspace-id': owner.workspaceId } };
    const members = await api.request<{ items: { email: string; role: string }[] }>(
      'GET',
      `/v1/workspaces/${owner.workspaceId}/members`,
      asBob,
    );
    expect(members.status).toBe(200);
    expect(members.body.items.map((m) => m.role).sort()).toEqual(['owner', 'viewer']);
    expect((await api.request('GET', '/v1/deploy-configs', asBob)).status).toBe(200);
    const refused = await api.request('POST', '/v1/deploy-configs', {
      ...asBob,
      body: {
        name: 'web',
        serviceId: '2b1f5d3c-1a4e-4c8b-9f3a-6d5e4c3b2a10',
        source: { type: 'image', image: 'web:1' },
        serverIds: ['6c1f5d3c-1a4e-4c8b-9f3a-6d5e4c3b2a10'],
      },
    });
    expectRefusal(refused, { status: 403, code: 'forbidden' });
    expect(
      (
        await api.request('POST', `/v1/workspaces/${owner.workspaceId}/members`, {
          ...asBob,
          body: { email: owner.email, role: 'viewer' },
        })
      ).status,
    ).toBe(403);

    const promoted = await api.request('PATCH', `/v1/workspaces/${owner.workspaceId}/members/${bob.userId}`, {
      token: owner.token,
      body: { role: 'member' },
    });
    expect(promoted.status).toBe(200);
    // The promotion takes effect at once, despite the credential cache.
    const me = await api.request<{ workspace: { role: string } }>('GET', '/v1/me', asBob);
    expect(me.body.workspace.role).toBe('member');

    const demoteLastOwner = await api.request('PATCH', `/v1/workspaces/${owner.workspaceId}/members/${owner.userId}`, {
      token: owner.token,
      body: { role: 'admin' },
    });
    expectRefusal(demoteLastOwner, { status: 409, code: 'conflict', message: /needs an owner/ });

    expect(
      (await api.request('DELETE', `/v1/workspaces/${owner.workspaceId}/members/${bob.userId}`, { token: owner.token }))
        .status,
    ).toBe(204);
    expect((await api.request('GET', '/v1/me', asBob)).status).toBe(404);
    const unknown = await api.request('POST', `/v1/workspaces/${owner.workspaceId}/members`, {
      token: owner.token,
      body: { email: 'nobody-here@example.com', role: 'member' },
    });
    expectRefusal(unknown, { status: 404, code: 'not_found', message: /sign up/ });
  });
});
