import { chmod, writeFile } from 'node:fs/promises';
import { createServer as createPlainHttpServer, request as plainHttpRequest } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import { pino } from 'pino';
import { AgentClient, closeAgentConnections } from '@platform/agent-client';
import { agentServerName, generateAgentSecret, sha256Hex, signRequest } from '@platform/agent-protocol';
import { tarOf } from '@platform/archive/src/test-support';
import { AgentAuthHeaders, EMPTY_BODY_SHA256 } from '@platform/contracts';
import { PlatformCertificateAuthority } from '@platform/secrets';
import { freePort } from '@platform/testing';
import { Agent } from './agent';
import { buildAgentServer } from './http-server';
import { docker, startTestAgent, type TestAgent } from './test-support';
import { readAgentTls } from './tls';

jest.setTimeout(60_000);

let agent: TestAgent;

interface RawAnswer {
  readonly status: number;
  readonly body: { error?: { code: string; message: string; details?: Array<{ reason?: string }> } };
}

function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
  contentType = 'application/json',
  port = agent.config.http.port,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        ca: agent.ca.certificate,
        servername: agentServerName(agent.secret),
        method,
        path,
        headers: { ...headers, ...(body ? { 'content-type': contentType } : {}) },
        agent: false,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: text ? (JSON.parse(text) as RawAnswer['body']) : {} }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function routeTable(hostname: string): Buffer {
  return Buffer.from(JSON.stringify({ routes: [{ hostname, upstream: { host: '127.0.0.1', port: 9 } }] }));
}

function signed(
  body: Buffer,
  options: { secret?: string; now?: number; path?: string; method?: string } = {},
): Record<string, string> {
  return signRequest(
    options.secret ?? agent.secret,
    { method: options.method ?? 'PUT', pathWithQuery: options.path ?? '/v1/edge/routes', bodySha256: sha256Hex(body) },
    { now: options.now },
  );
}

async function hostnames(): Promise<string[]> {
  return (await agent.client.routes()).routes.map((route) => route.hostname);
}

beforeAll(async () => {
  agent = await startTestAgent('auth');
  await agent.client.applyRoutes({
    routes: [{ hostname: 'before.localhost', upstream: { host: '127.0.0.1', port: 9 } }],
  });
});
afterAll(async () => {
  await agent?.close();
});

describe('requests the agent refuses with 401, changing nothing', () => {
  afterEach(async () => {
    expect(await hostnames()).toEqual(['before.localhost']);
  });

  it.each<[string, () => Promise<RawAnswer>, string]>([
    ['unsigned', () => send('PUT', '/v1/edge/routes', {}, routeTable('evil.localhost')), 'missing_headers'],
    [
      'signed with another secret',
      () =>
        send(
          'PUT',
          '/v1/edge/routes',
          signed(routeTable('evil.localhost'), { secret: 'f'.repeat(64) }),
          routeTable('evil.localhost'),
        ),
      'bad_signature',
    ],
    [
      'signed a minute ago',
      () =>
        send(
          'PUT',
          '/v1/edge/routes',
          signed(routeTable('evil.localhost'), { now: Date.now() - 60_000 }),
          routeTable('evil.localhost'),
        ),
      'stale',
    ],
    [
      'signed for a minute from now',
      () =>
        send(
          'PUT',
          '/v1/edge/routes',
          signed(routeTable('evil.localhost'), { now: Date.now() + 60_000 }),
          routeTable('evil.localhost'),
        ),
      'stale',
    ],
    [
      'signed for another path',
      () =>
        send(
          'PUT',
          '/v1/edge/routes',
          signed(routeTable('evil.localhost'), { path: '/v1/edge/routes?x=1' }),
          routeTable('evil.localhost'),
        ),
      'bad_signature',
    ],
    [
      'signed for another method',
      () =>
        send(
          'PUT',
          '/v1/edge/routes',
          signed(routeTable('evil.localhost'), { method: 'POST' }),
          routeTable('evil.localhost'),
        ),
      'bad_signature',
    ],
  ])('%s', async (_what, attempt, reason) => {
    const answer = await attempt();
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({ code: 'unauthorized', details: [{ reason }] });
  });

  it('a body other than the one signed (signature headers kept)', async () => {
    const headers = signed(routeTable('innocent.localhost'));
    const answer = await send('PUT', '/v1/edge/routes', headers, routeTable('evil.localhost'));
    expect(answer.status).toBe(401);
    expect(answer.body.error?.message).toBe('the request body is not the one that was signed');
  });

  it('a body hash header changed to match another body', async () => {
    const headers = {
      ...signed(routeTable('innocent.localhost')),
      [AgentAuthHeaders.contentSha256]: sha256Hex(routeTable('evil.localhost')),
    };
    expect((await send('PUT', '/v1/edge/routes', headers, routeTable('evil.localhost'))).status).toBe(401);
  });

  it('a signed archive swapped for another in transit: no image is built', async () => {
    const signedArchive = await tarOf([{ name: 'Dockerfile', content: 'FROM scratch\nLABEL x=1\n' }]);
    const otherArchive = await tarOf([{ name: 'Dockerfile', content: 'FROM scratch\nLABEL x=2\n' }]);
    const repository = agent.name('swapped');
    const path = `/v1/images/build?repository=${repository}&tag=deploy_swap&service=swap`;
    const headers = signRequest(agent.secret, {
      method: 'POST',
      pathWithQuery: path,
      bodySha256: sha256Hex(signedArchive),
    });
    const answer = await send('POST', path, headers, otherArchive, 'application/gzip');
    expect(answer.status).toBe(401);
    expect(answer.body.error?.message).toMatch(/not the one the request signed/);
    await expect(docker.getImage(`${repository}:deploy_swap`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('replays', () => {
  it('are refused inside the window: a captured request cannot undo a later change', async () => {
    const first = routeTable('first.localhost');
    const headers = signed(first);
    expect((await send('PUT', '/v1/edge/routes', headers, first)).status).toBe(200);
    await agent.client.applyRoutes({
      routes: [{ hostname: 'before.localhost', upstream: { host: '127.0.0.1', port: 9 } }],
    });

    const replay = await send('PUT', '/v1/edge/routes', headers, first);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toMatchObject({ code: 'unauthorized', details: [{ reason: 'replayed' }] });
    expect(await hostnames()).toEqual(['before.localhost']);
  });

  it('of a read are refused as well', async () => {
    const headers = signRequest(agent.secret, {
      method: 'GET',
      pathWithQuery: '/v1/version',
      bodySha256: EMPTY_BODY_SHA256,
    });
    expect((await send('GET', '/v1/version', headers)).status).toBe(200);
    expect((await send('GET', '/v1/version', headers)).status).toBe(401);
  });
});

describe('the transport', () => {
  it('is HTTPS only: a plain HTTP request gets no answer', async () => {
    const answer = await new Promise<string>((resolve) => {
      const req = plainHttpRequest(
        { host: '127.0.0.1', port: agent.config.http.port, path: '/v1/health', agent: false, timeout: 5000 },
        (response) => resolve(`answered ${response.statusCode}`),
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => resolve(`refused: ${error.message}`));
      req.end();
    });
    expect(answer).toMatch(/^refused: /);
  });

  it('is trusted only with the platform CA: a client trusting another CA refuses the agent', async () => {
    const { ca: otherCa } = await PlatformCertificateAuthority.generate();
    const client = new AgentClient({ baseUrl: agent.agentUrl, secret: agent.secret, ca: otherCa.certificate });
    await expect(client.health()).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/self-signed certificate in certificate chain|unable to verify/),
    });
  });

  it('checks the server: a certificate the platform CA issued to another server is refused', async () => {
    const elsewhere = await agent.ca.issueServerCertificate({
      name: agentServerName(generateAgentSecret()),
      address: '127.0.0.1',
    });
    const impostor = buildAgentServer(agent.agent, pino({ level: 'silent' }), {
      cert: elsewhere.certificate,
      key: elsewhere.privateKey,
    });
    const port = await freePort();
    await impostor.listen({ host: '127.0.0.1', port });
    try {
      const client = new AgentClient({
        baseUrl: `https://127.0.0.1:${port}`,
        secret: agent.secret,
        ca: agent.ca.certificate,
      });
      await expect(client.health()).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/Host: [0-9a-f]{32}\.agent\.invalid\. is not in the cert's altnames/),
      });
    } finally {
      await impostor.close();
    }
  });

  it('is kept alive: calls after the first one do not open (and handshake) a connection again', async () => {
    const connect = jest.spyOn(tls, 'connect');
    try {
      closeAgentConnections(agent.agentUrl);
      for (let call = 0; call < 10; call++) await agent.client.routes();
      expect(connect).toHaveBeenCalledTimes(1);
    } finally {
      connect.mockRestore();
    }
  });

  it('is TLS for a URL recorded as http:// too, and names the fix when the agent there predates TLS', async () => {
    const recordedBefore = new AgentClient({
      baseUrl: `http://127.0.0.1:${agent.config.http.port}`,
      secret: agent.secret,
      ca: agent.ca.certificate,
    });
    expect((await recordedBefore.health()).status).toBe('ok');

    const requestsInClear: string[] = [];
    const oldAgent = createPlainHttpServer((request, response) => {
      requestsInClear.push(request.url ?? '');
      response.end('{}');
    });
    const port = await freePort();
    await new Promise<void>((listening) => oldAgent.listen(port, '127.0.0.1', listening));
    try {
      const client = new AgentClient({
        baseUrl: `http://127.0.0.1:${port}`,
        secret: agent.secret,
        ca: agent.ca.certificate,
      });
      await expect(client.health()).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(
          /made before agents spoke TLS: if its agent is older than 0\.2\.0, replace the server$/,
        ),
      });
      expect(requestsInClear).toEqual([]);
    } finally {
      await new Promise((closed) => oldAgent.close(closed));
    }
  });
});

describe('a replay after the agent restarts', () => {
  it('is refused: what was signed before the start is not accepted, though the nonces were forgotten', async () => {
    const table = routeTable('before.localhost');
    const captured = signed(table);
    expect((await send('PUT', '/v1/edge/routes', captured, table)).status).toBe(200);

    const restarted = await Agent.start(agent.config);
    const server = buildAgentServer(restarted, pino({ level: 'silent' }), await readAgentTls(agent.config.tls));
    const port = await freePort();
    await server.listen({ host: '127.0.0.1', port });
    try {
      const replay = await send('PUT', '/v1/edge/routes', captured, table, 'application/json', port);
      expect(replay.status).toBe(401);
      expect(replay.body.error).toMatchObject({ code: 'unauthorized', details: [{ reason: 'signed_before_start' }] });
      const fresh = routeTable('before.localhost');
      expect((await send('PUT', '/v1/edge/routes', signed(fresh), fresh, 'application/json', port)).status).toBe(200);
    } finally {
      restarted.close();
      await server.close();
    }
  });
});

describe('the secret file', () => {
  it('is refused when group or others may read it: the agent does not start', async () => {
    const loose = join(agent.dataDir, 'loose-secret');
    await writeFile(loose, 'a'.repeat(64), { mode: 0o600 });
    await chmod(loose, 0o644);
    await expect(Agent.start({ ...agent.config, secretFile: loose })).rejects.toThrow(/mode 0644; it must be 0600/);
  });
});

describe('errors in the platform shape', () => {
  it('answers bad input with 400 and the fields at fault', async () => {
    const body = Buffer.from(JSON.stringify({ name: 'x', image: 'BAD IMAGE', service: 'web', port: 70000 }));
    const headers = signRequest(agent.secret, {
      method: 'POST',
      pathWithQuery: '/v1/containers',
      bodySha256: sha256Hex(body),
    });
    const answer = await send('POST', '/v1/containers', headers, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: 'validation_failed',
      message: expect.stringMatching(/^the container is not valid: /),
    });
    expect(answer.body.error?.details?.map((detail) => (detail as { path: string }).path).sort()).toEqual([
      'image',
      'port',
    ]);
  });

  it('answers an unknown route with 404 and a container of another server with 404', async () => {
    await expect(agent.client.containerHealth('not-ours')).rejects.toMatchObject({ code: 'not_found' });
    const headers = signRequest(agent.secret, {
      method: 'GET',
      pathWithQuery: '/v1/nothing',
      bodySha256: EMPTY_BODY_SHA256,
    });
    expect(await send('GET', '/v1/nothing', headers)).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
  });
});
