import { randomUUID } from 'node:crypto';
import { apiRoutes } from '@platform/contracts';
import { answerOf, eventually, expectRefusal } from '@platform/testing';
import { startStack, type Stack } from './test-support';

const fields = () => ({
  name: 'web',
  serviceId: randomUUID(),
  source: { type: 'image', image: 'registry.local/acme/web:1.0.0' },
  serverIds: [randomUUID()],
});

describe('API conventions', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('conventions', { AUTH_RATE_LIMIT_PER_MINUTE: '5', BODY_LIMIT_BYTES: '65536' });
  }, 60_000);
  afterAll(() => stack.stop(), 30_000);

  const eventCount = async () => {
    const { rows } = await stack.db.pool.query(`SELECT count(*)::int AS n FROM ${stack.schemas.deployments}.events`);
    return rows[0].n as number;
  };
  const userCount = async () => {
    const { rows } = await stack.db.pool.query(`SELECT count(*)::int AS n FROM ${stack.schemas.identity}.users`);
    return rows[0].n as number;
  };

  it('refuses bad input with the error shape and a 4xx, changing nothing', async () => {
    const { api } = stack;
    const owner = await api.signup('bad-input');
    await api.request('POST', '/v1/deploy-configs', { token: owner.token, body: fields() });
    await eventually(async () => expect(await eventCount()).toBe(1));
    const [events, users] = [await eventCount(), await userCount()];
    const auth = { authorization: `Bearer ${owner.token}` };
    const json = { ...auth, 'content-type': 'application/json' };

    const cases: {
      name: string;
      method: string;
      path: string;
      headers: Record<string, string>;
      body?: string;
      status: number;
      code: string;
    }[] = [
      {
        name: 'malformed JSON',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: json,
        body: '{"name": "web",',
        status: 400,
        code: 'malformed_request',
      },
      {
        name: 'unknown field',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: json,
        body: JSON.stringify({ ...fields(), admin: true }),
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'wrong types',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: json,
        body: JSON.stringify({ ...fields(), serverIds: 'all' }),
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'nested unknown field',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: json,
        body: JSON.stringify({ ...fields(), source: { type: 'image', image: 'web:1', pull: 'always' } }),
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'shell in a git ref',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: json,
        body: JSON.stringify({
          ...fields(),
          source: { type: 'git', url: 'https://github.com/a/b.git', ref: '--upload-pack=touch /tmp/x' },
        }),
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'oversized body',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: json,
        body: JSON.stringify({ ...fields(), name: 'x'.repeat(100_000) }),
        status: 413,
        code: 'payload_too_large',
      },
      {
        name: 'empty body',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: json,
        body: '',
        status: 400,
        code: 'malformed_request',
      },
      {
        name: 'no body',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: auth,
        status: 400,
        code: 'malformed_request',
      },
      {
        name: 'JSON array',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: json,
        body: '[]',
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'not JSON',
        method: 'POST',
        path: '/v1/deploy-configs',
        headers: { ...auth, 'content-type': 'text/plain' },
        body: 'name=web',
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        name: 'bad id in path',
        method: 'PUT',
        path: '/v1/deploy-configs/not-a-uuid',
        headers: json,
        body: JSON.stringify(fields()),
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'unknown query parameter',
        method: 'GET',
        path: '/v1/deploy-configs?limit=5&sort=name',
        headers: auth,
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'limit out of range',
        method: 'GET',
        path: '/v1/deploy-configs?limit=100000',
        headers: auth,
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'body on a DELETE',
        method: 'DELETE',
        path: `/v1/deploy-configs/${randomUUID()}`,
        headers: json,
        body: '{"force":true}',
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'signup with a short password',
        method: 'POST',
        path: '/v1/auth/signup',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'x@example.com', password: 'short', workspaceName: 'w' }),
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'signup with a bad email',
        method: 'POST',
        path: '/v1/auth/signup',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'not-an-email', password: 'long enough password', workspaceName: 'w' }),
        status: 400,
        code: 'validation_failed',
      },
      { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', headers: auth, status: 404, code: 'not_found' },
    ];
    for (const c of cases) {
      const response = await fetch(`${stack.gateway.url}${c.path}`, {
        method: c.method,
        headers: c.headers,
        body: c.body,
      });
      expectRefusal(await answerOf(response), {
        case: c.name,
        status: c.status,
        code: c.code,
        message: c.status === 415 ? 'Content-Type: application/json' : undefined,
      });
    }
    const details = await api.request('POST', '/v1/deploy-configs', {
      token: owner.token,
      body: { ...fields(), serverIds: ['nope'] },
    });
    const { details: problems } = expectRefusal(details, { status: 400, code: 'validation_failed' });
    expect((problems as { path: string }[]).map((d) => d.path)).toContain('body.serverIds.0');

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await eventCount()).toBe(events);
    expect(await userCount()).toBe(users);
  });

  it('echoes X-Request-Id, sends security headers, and keeps CORS closed', async () => {
    const response = await fetch(`${stack.gateway.url}/v1/me`, {
      headers: { 'x-request-id': 'trace-123', origin: 'https://evil.example' },
    });
    expect(response.headers.get('x-request-id')).toBe('trace-123');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const unknownRoute = await fetch(`${stack.gateway.url}/v1/no-such-route`);
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.headers.get('x-content-type-options')).toBe('nosniff');
    // Refused by Fastify before any hook runs, yet in the same shape and with the same headers.
    const malformedUrl = await fetch(`${stack.gateway.url}/v1/deploy-configs/%zz`, {
      headers: { authorization: `Bearer ${(await stack.api.signup('badurl')).token}` },
    });
    expect(malformedUrl.headers.get('x-content-type-options')).toBe('nosniff');
    expect(malformedUrl.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expectRefusal(await answerOf(malformedUrl), { status: 400, code: 'malformed_request' });
    const generated = await fetch(`${stack.gateway.url}/v1/me`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const preflight = await fetch(`${stack.gateway.url}/v1/deploy-configs`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a retried POST with the same Idempotency-Key with the first answer, doing the work once', async () => {
    const { api } = stack;
    const owner = await api.signup('idempotent');
    const key = randomUUID();
    const body = fields();
    const first = await api.request<{ deployConfigId: string; commandId: string }>('POST', '/v1/deploy-configs', {
      token: owner.token,
      body,
      headers: { 'idempotency-key': key },
    });
    const retry = await api.request<{ deployConfigId: string; commandId: string }>('POST', '/v1/deploy-configs', {
      token: owner.token,
      body,
      headers: { 'idempotency-key': key },
    });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');

    const reused = await api.request('POST', '/v1/deploy-configs', {
      token: owner.token,
      body: fields(),
      headers: { 'idempotency-key': key },
    });
    expectRefusal(reused, { status: 422, code: 'idempotency_key_reused' });

    await eventually(async () => {
      const list = await api.request<{ items: unknown[] }>('GET', '/v1/deploy-configs', { token: owner.token });
      expect(list.body.items).toHaveLength(1);
    });
    const refusedKey = randomUUID();
    const refused = await api.request('POST', '/v1/api-tokens', {
      token: owner.token,
      body: { name: '', scopes: [] },
      headers: { 'idempotency-key': refusedKey },
    });
    const refusedAgain = await api.request('POST', '/v1/api-tokens', {
      token: owner.token,
      body: { name: '', scopes: [] },
      headers: { 'idempotency-key': refusedKey },
    });
    expectRefusal(refused, { status: 400, code: 'validation_failed' });
    expectRefusal(refusedAgain, { status: 400, code: 'validation_failed' });
    expect(refusedAgain.body.error).toEqual(refused.body.error);
  });

  it('rate-limits the auth routes with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const response = await stack.api.request('POST', '/v1/auth/login', {
        body: { email: 'someone@example.com', password: 'whatever12345' },
      });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('serves the OpenAPI document of every route, and a browsable /docs', async () => {
    const document = (await (await fetch(`${stack.gateway.url}/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { operationId: string; responses: Record<string, { headers?: Record<string, unknown> }> }>
      >;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods).map((op) => op.operationId),
    );
    expect(operations.sort()).toEqual(
      Object.values(apiRoutes)
        .map((route) => route.operationId)
        .sort(),
    );
    expect(document.paths['/v1/deploy-configs/{id}']).toBeDefined();
    // A command's answer says whether it was applied before it left.
    expect(Object.keys(document.paths['/v1/projects'].post.responses['202'].headers ?? {})).toEqual([
      'X-Command-Status',
    ]);
    // The event catalogue's schemas, as GET /v1/event-types serves them.
    const catalogue = await stack.api.request<{ items: { type: string; schema: unknown; example: unknown }[] }>(
      'GET',
      '/v1/event-types',
    );
    expect(catalogue.status).toBe(200);
    const succeeded = catalogue.body.items.find((entry) => entry.type === 'DeploymentSucceeded');
    expect(succeeded?.example).toEqual({ deploymentId: expect.any(String), durationMs: expect.any(Number) });
    expect(document.components.schemas.DeploymentSucceededEvent).toEqual(succeeded?.schema);
    expect(Object.keys(document.components.schemas).filter((name) => name.endsWith('Event'))).toHaveLength(
      catalogue.body.items.length,
    );
    const docs = await fetch(`${stack.gateway.url}/docs`);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    // The page's own policy (its inline styles) replaces the API's, which allows nothing.
    expect(docs.headers.get('content-security-policy')).toContain("style-src 'unsafe-inline'");
    const html = await docs.text();
    expect(html).toContain('/v1/deploy-configs/{id}');
    expect(html).not.toMatch(/<script/i);
  });
});
