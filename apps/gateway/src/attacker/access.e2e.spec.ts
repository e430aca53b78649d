import { request as httpRequest } from 'node:http';
import { expectRefusal, testServices } from '@platform/testing';
import { Redis } from 'ioredis';
import { EventStreamReader, startStack, type ApiResponse, type Stack } from '../test-support';

/**
 * Who may do what on an instance exposed to the internet, tried as an attacker would through the public API:
 * signing up uninvited, reusing invitations, running servers on the platform's own machine, guessing passwords
 * in parallel, and faking HTTPS to get cookies and HSTS from an address that is no proxy of ours.
 */
describe('attacker: who may join, run servers here, and log in', () => {
  let stack: Stack;
  const password = 'correct horse battery staple';
  let owner: { token: string; userId: string; workspaceId: string; email: string };

  beforeAll(async () => {
    // The safe defaults of a real instance, not the tests' development ones; the console's address is a proxy.
    stack = await startStack('access', {
      SIGNUP: 'invite',
      LOCAL_SERVERS_WORKSPACES: '',
      TRUST_PROXY: '127.0.0.1',
      MAX_WORKSPACES_PER_USER: '3',
      SSE_MAX_STREAMS_PER_WORKSPACE: '3',
    });
    const first = await stack.api.request<{ token: string; user: { id: string }; workspace: { id: string } }>(
      'POST',
      '/v1/auth/signup',
      { body: { email: 'operator@example.com', password, workspaceName: 'operations' } },
    );
    expect(first.status).toBe(201);
    owner = {
      token: first.body.token,
      userId: first.body.user.id,
      workspaceId: first.body.workspace.id,
      email: 'operator@example.com',
    };
  }, 90_000);
  afterAll(() => stack.stop(), 60_000);

  const signup = (body: Record<string, unknown>) =>
    stack.api.request<{ token: string; workspace: { id: string; role: string } }>('POST', '/v1/auth/signup', { body });
  const invite = (body: Record<string, unknown>, token = owner.token) =>
    stack.api.request<{ id: string; token: string; status: string }>(
      'POST',
      `/v1/workspaces/${owner.workspaceId}/invites`,
      { token, body },
    );

  it('makes the first account the owner and refuses a fresh signup while signup is closed', async () => {
    const policy = await stack.api.request('GET', '/v1/auth/signup-policy');
    expect(policy.body).toEqual({ signup: 'invite_only' });
    const stranger = await signup({ email: 'stranger@example.com', password, workspaceName: 'mine' });
    expectRefusal(stranger, { status: 403, code: 'signup_closed', message: /invitation.*SIGNUP=open/ });
    // Nor by claiming an invitation that does not exist.
    expectRefusal(await signup({ email: 'stranger@example.com', password, invite: 'pli_guessed' }), {
      status: 404,
      code: 'invite_not_found',
    });
    const login = await stack.api.request('POST', '/v1/auth/login', {
      body: { email: 'stranger@example.com', password },
    });
    expect(login.status).toBe(401);
  });

  it('lets an invitation in once, in its role, and not twice, nor after it expired or was revoked', async () => {
    const made = await invite({ role: 'member' });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^pli_/);
    const listed = await stack.api.request<{ items: { id: string; status: string }[] }>(
      'GET',
      `/v1/workspaces/${owner.workspaceId}/invites`,
      { token: owner.token },
    );
    expect(listed.body.items.find((item) => item.id === made.body.id)?.status).toBe('pending');
    expect(JSON.stringify(listed.body)).not.toContain(made.body.token);
    const stored = await stack.db.pool.query(`SELECT * FROM ${stack.schemas.identity}.invites`);
    expect(JSON.stringify(stored.rows)).not.toContain(made.body.token.slice(4));

    const joined = await signup({ email: 'invited@example.com', password, invite: made.body.token });
    expect(joined.status).toBe(201);
    expect(joined.body.workspace).toMatchObject({ id: owner.workspaceId, role: 'member' });
    expectRefusal(await signup({ email: 'second@example.com', password, invite: made.body.token }), {
      status: 409,
      code: 'invite_used',
    });

    const expiring = await invite({ role: 'viewer', expiresInDays: 1 });
    await stack.db.pool.query(
      `UPDATE ${stack.schemas.identity}.invites SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [expiring.body.id],
    );
    expectRefusal(await signup({ email: 'late@example.com', password, invite: expiring.body.token }), {
      status: 410,
      code: 'invite_expired',
    });

    const revoked = await invite({ role: 'viewer' });
    const revoke = await stack.api.request('DELETE', `/v1/workspaces/${owner.workspaceId}/invites/${revoked.body.id}`, {
      token: owner.token,
    });
    expect(revoke.status).toBe(204);
    expectRefusal(await signup({ email: 'revoked@example.com', password, invite: revoked.body.token }), {
      status: 410,
      code: 'invite_revoked',
    });

    // A member invites nobody; an invitation bound to an email is for that email only.
    expectRefusal(await invite({ role: 'viewer' }, joined.body.token), { status: 403, code: 'forbidden' });
    const forDana = await invite({ role: 'viewer', email: 'dana@example.com' });
    expectRefusal(await signup({ email: 'eve@example.com', password, invite: forDana.body.token }), {
      status: 403,
      code: 'forbidden',
    });
    expect((await signup({ email: 'dana@example.com', password, invite: forDana.body.token })).status).toBe(201);
  });

  it('lets only the owner’s first workspace create servers on this machine', async () => {
    const made = await invite({ role: 'admin' });
    const member = await signup({ email: 'builder@example.com', password, invite: made.body.token });
    const own = await stack.api.request<{ id: string }>('POST', '/v1/workspaces', {
      token: member.body.token,
      body: { name: 'my own' },
    });
    expect(own.status).toBe(201);
    const ownersSecond = await stack.api.request<{ id: string }>('POST', '/v1/workspaces', {
      token: owner.token,
      body: { name: 'staging' },
    });
    const localServer = (token: string, workspaceId: string) =>
      stack.api.request('POST', '/v1/servers', {
        token,
        headers: { 'x-workspace-id': workspaceId, prefer: 'respond-async' },
        body: { provider: 'local', name: 'intruder' },
      });
    for (const [token, workspaceId] of [
      [member.body.token, own.body.id],
      [owner.token, ownersSecond.body.id],
    ]) {
      expectRefusal(await localServer(token, workspaceId), {
        status: 403,
        code: 'forbidden',
        message: /platform's own machine.*LOCAL_SERVERS_WORKSPACES/,
      });
    }
    const servers = await stack.api.request<{ items: unknown[] }>('GET', '/v1/servers', {
      token: member.body.token,
      headers: { 'x-workspace-id': own.body.id },
    });
    expect(servers.body.items).toEqual([]);
    // The operator's own workspace may (an admin in it too).
    expect((await localServer(member.body.token, owner.workspaceId)).status).toBe(202);
  });

  it('counts 50 parallel wrong passwords as 50 failures: only the first 10 are tried, then even the right one is refused', async () => {
    const victim = await signup({
      email: 'victim@example.com',
      password,
      invite: (await invite({ role: 'viewer' })).body.token,
    });
    expect(victim.status).toBe(201);
    const guesses = await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        stack.api.request('POST', '/v1/auth/login', {
          body: { email: 'victim@example.com', password: `wrong guess ${n}` },
        }),
      ),
    );
    const statuses = guesses.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40);
    const redis = new Redis(testServices.redisUrl);
    try {
      const keys = await redis.keys(`${stack.prefix}:ratelimit:login-failures:victim@example.com:127.0.0.1:*`);
      const counts = await Promise.all(keys.map((key) => redis.get(key)));
      expect(counts.reduce((sum, count) => sum + Number(count), 0)).toBe(50);
    } finally {
      redis.disconnect();
    }
    const right = await stack.api.request('POST', '/v1/auth/login', {
      body: { email: 'victim@example.com', password },
    });
    expectRefusal(right, { status: 429, code: 'rate_limited' });
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    // The owner, at another address (the console names it), is not locked out.
    const elsewhere = await stack.api.request('POST', '/v1/auth/login', {
      body: { email: 'victim@example.com', password },
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(elsewhere.status).toBe(200);
  });

  it('sends a Secure cookie and HSTS over HTTPS through a trusted proxy, and not when anyone else says HTTPS', async () => {
    const login = (localAddress: string) =>
      rawRequest(
        stack.gateway.url,
        '/v1/auth/login',
        localAddress,
        {
          'x-forwarded-proto': 'https',
          'content-type': 'application/json',
        },
        JSON.stringify({ email: owner.email, password }),
      );

    const viaProxy = await login('127.0.0.1');
    expect(viaProxy.status).toBe(200);
    expect(viaProxy.headers['set-cookie']?.[0]).toMatch(/; Secure/);
    expect(viaProxy.headers['strict-transport-security']).toMatch(/max-age=\d+/);

    const untrusted = await login('127.0.0.2');
    expect(untrusted.status).toBe(200);
    expect(untrusted.headers['set-cookie']?.[0]).toMatch(/^session=pls_/);
    expect(untrusted.headers['set-cookie']?.[0]).not.toMatch(/Secure/);
    expect(untrusted.headers['strict-transport-security']).toBeUndefined();
  });

  it('limits the workspaces a user creates, and their event streams across all of them', async () => {
    const user = await signup({
      email: 'collector@example.com',
      password,
      invite: (await invite({ role: 'viewer' })).body.token,
    });
    const created: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      const answer = await stack.api.request<{ id: string }>('POST', '/v1/workspaces', {
        token: user.body.token,
        body: { name },
      });
      expect(answer.status).toBe(201);
      created.push(answer.body.id);
    }
    expectRefusal(
      await stack.api.request('POST', '/v1/workspaces', { token: user.body.token, body: { name: 'four' } }),
      { status: 403, code: 'workspace_limit_reached', message: /MAX_WORKSPACES_PER_USER/ },
    );

    const open = (workspaceId: string, token = user.body.token) =>
      EventStreamReader.open(stack.gateway.url, token, '', undefined, { 'x-workspace-id': workspaceId });
    const readers = [await open(created[0]), await open(created[1]), await open(created[2])];
    try {
      expect(readers.map((reader) => reader.status)).toEqual([200, 200, 200]);
      // Each workspace is under its cap of 3, but the user holds 3 streams already.
      const fourth = await fetch(`${stack.gateway.url}/v1/events`, {
        headers: {
          authorization: `Bearer ${user.body.token}`,
          accept: 'text/event-stream',
          'x-workspace-id': created[0],
        },
      });
      const answer: ApiResponse = {
        status: fourth.status,
        headers: fourth.headers,
        body: (await fourth.json()) as Record<string, unknown>,
      };
      const error = expectRefusal(answer, { status: 429, code: 'rate_limited', message: /across your workspaces/ });
      expect(error.details).toMatchObject([{ openStreams: 3, limit: 3, per: 'user' }]);
      // Someone else is not held back by them.
      const others = await open(owner.workspaceId, owner.token);
      expect(others.status).toBe(200);
      await others.close();
    } finally {
      await Promise.all(readers.map((reader) => reader.close()));
    }
  });
});

/** A request sent from a given local address (127.0.0.2 is no proxy the gateway trusts), as Node's http gives it. */
function rawRequest(
  baseUrl: string,
  path: string,
  localAddress: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, headers },
      (response) => {
        response.resume();
        response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}
