import { defineQuery, DomainError, ErrorBodySchema } from '@platform/contracts';
import { uniqueName } from '@platform/testing';
import { z } from 'zod';
import type { Bus } from './bus';
import { decodeMessage, encodeJson } from './json';
import { queryRoute } from './queries';
import { QueryCache } from './query-cache';
import { connectTestBus, sleep } from './test-support';

jest.setTimeout(30_000);

const ServerSchema = z.strictObject({ id: z.string(), name: z.string(), status: z.enum(['ready', 'provisioning']) });
const GetServer = defineQuery('servers', 'GetServer', z.strictObject({ serverId: z.string().min(1) }), ServerSchema);
const ListServers = defineQuery(
  'servers',
  'ListServers',
  z.strictObject({ limit: z.coerce.number().int().min(1).max(10).default(5) }),
  z.strictObject({ limits: z.array(z.number()) }),
);
const SlowQuery = defineQuery('servers', 'SlowQuery', z.strictObject({}), z.null());
const BrokenQuery = defineQuery('servers', 'BrokenQuery', z.strictObject({}), ServerSchema);
const Unserved = defineQuery('servers', 'Unserved', z.strictObject({}), z.null());

const prefix = uniqueName('bus-qry');
let client: Bus;
let service: Bus;
const workspaceId = 'ws-7';
const calls = { getServer: 0 };

beforeAll(async () => {
  client = await connectTestBus(prefix);
  service = await connectTestBus(prefix);
  await service.serveQueries('servers', [
    queryRoute(GetServer, async (request) => {
      calls.getServer++;
      if (request.params.serverId === 'db-1') throw new Error('password=hunter2 rejected by pg');
      if (request.params.serverId !== 'web-1') {
        throw new DomainError('not_found', `server ${request.params.serverId} not found`, [
          { workspaceId: request.workspaceId },
        ]);
      }
      return { id: 'web-1', name: 'web', status: 'ready' as const };
    }),
    queryRoute(ListServers, async (request) => ({ limits: [request.params.limit] })),
    queryRoute(SlowQuery, async () => {
      await sleep(1000);
      return null;
    }),
    queryRoute(BrokenQuery, async () => ({ id: 'web-1' }) as z.input<typeof ServerSchema>),
  ]);
});

afterAll(async () => {
  await client.close();
  await service.close();
});

it('returns the result of the owning service, parsed by the contract', async () => {
  await expect(client.query(GetServer, { workspaceId, params: { serverId: 'web-1' } })).resolves.toEqual({
    id: 'web-1',
    name: 'web',
    status: 'ready',
  });
  // The parameter schema's defaults apply before the request leaves.
  await expect(client.query(ListServers, { workspaceId, params: {} })).resolves.toEqual({ limits: [5] });
});

it('throws the DomainError the service refused with, code, message and details intact', async () => {
  const querying = client.query(GetServer, { workspaceId, params: { serverId: 'web-9' } });

  await expect(querying).rejects.toBeInstanceOf(DomainError);
  await expect(querying).rejects.toMatchObject({
    code: 'not_found',
    message: 'server web-9 not found',
    details: [{ workspaceId }],
  });
});

it('refuses invalid params before sending anything', async () => {
  const before = calls.getServer;

  await expect(client.query(GetServer, { workspaceId, params: { serverId: '' } })).rejects.toMatchObject({
    code: 'validation_failed',
    details: [{ path: 'serverId', message: expect.any(String) }],
  });
  expect(calls.getServer).toBe(before);
});

it('answers a request with invalid params with validation_failed, without calling the handler', async () => {
  const before = calls.getServer;
  const answer = await client.connection.request(
    client.subjects.query(GetServer),
    encodeJson({ workspaceId, params: { serverId: 42 } }),
    { timeout: 2000 },
  );

  expect(answer.headers?.get('Platform-Query-Refused')).toBe('true');
  expect(decodeMessage(ErrorBodySchema, answer.data, 'refusal')).toEqual({
    ok: true,
    value: {
      code: 'validation_failed',
      message: expect.any(String),
      details: [{ path: 'serverId', message: expect.any(String) }],
    },
  });
  expect(calls.getServer).toBe(before);
});

it('answers an unexpected failure with internal, without leaking its message', async () => {
  const querying = client.query(GetServer, { workspaceId, params: { serverId: 'db-1' } });

  await expect(querying).rejects.toMatchObject({ code: 'internal', message: 'query GetServer failed' });
  await expect(querying).rejects.not.toMatchObject({ message: expect.stringContaining('hunter2') });
});

it('throws invalid_message when the answer breaks the result contract', async () => {
  await expect(client.query(BrokenQuery, { workspaceId, params: {} })).rejects.toMatchObject({
    code: 'invalid_message',
    details: expect.arrayContaining([expect.objectContaining({ path: 'name' })]),
  });
});

it('throws timeout when the service answers too late', async () => {
  await expect(client.query(SlowQuery, { workspaceId, params: {} }, { timeoutMs: 200 })).rejects.toMatchObject({
    code: 'timeout',
  });
});

it('throws unavailable when no service serves the query', async () => {
  await expect(client.query(Unserved, { workspaceId, params: {} })).rejects.toMatchObject({ code: 'unavailable' });
});

it('has each request answered by one replica only', async () => {
  const Ping = defineQuery('replicas', 'Ping', z.strictObject({}), z.literal('pong'));
  let answered = 0;
  const ping = queryRoute(Ping, async () => {
    answered++;
    return 'pong' as const;
  });
  const replicas = [await connectTestBus(prefix), await connectTestBus(prefix)];
  try {
    for (const replica of replicas) await replica.serveQueries('replicas', [ping]);

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => client.query(Ping, { workspaceId, params: {} })),
    );
    expect(answers).toEqual(Array(20).fill('pong'));
    expect(answered).toBe(20);
  } finally {
    await Promise.all(replicas.map((replica) => replica.close()));
  }
});

it('refuses to serve a query of another context', async () => {
  await expect(service.serveQueries('deployments', [queryRoute(Unserved, async () => null)])).rejects.toThrow(
    /does not belong to context deployments/,
  );
});

it('answers with JSON the answering service checked, ready to pass on unparsed', async () => {
  const Defaulted = defineQuery(
    'defaults',
    'Defaulted',
    z.strictObject({}),
    z.object({ name: z.string(), tier: z.string().default('free') }),
  );
  const server = await connectTestBus(prefix);
  try {
    await server.serveQueries('defaults', [
      queryRoute(Defaulted, async () => ({ name: 'web', internalNote: 'not in the contract' }) as never),
    ]);

    const json = await client.queryJson(Defaulted, { workspaceId, params: {} });
    // The contract's output: defaults applied, keys outside it dropped.
    expect(JSON.parse(json.toString('utf8'))).toEqual({ name: 'web', tier: 'free' });
  } finally {
    await server.close();
  }
});

describe('cached routes', () => {
  const Count = defineQuery(
    'counted',
    'Count',
    z.strictObject({ of: z.string() }),
    z.strictObject({ of: z.string(), reads: z.number() }),
  );
  let reads = 0;
  const gate: { release?: () => void } = {};
  let cache: QueryCache;
  let server: Bus;

  beforeEach(async () => {
    reads = 0;
    cache = new QueryCache();
    cache.resume();
    server = await connectTestBus(prefix);
    const route = queryRoute(
      Count,
      async (request) => {
        reads++;
        const answer = { of: request.params.of, reads };
        if (request.params.of === 'slow') await new Promise<void>((resolve) => (gate.release = resolve));
        return answer;
      },
      { cached: true },
    );
    await server.serveQueries('counted', [route], { cache });
  });

  afterEach(() => server.close());

  function releaseRead(): void {
    const release = gate.release;
    gate.release = undefined;
    release?.();
  }

  const ask = (of: string, inWorkspace = workspaceId) =>
    client.query(Count, { workspaceId: inWorkspace, params: { of } });

  it('answers again from the cache until the workspace changes, per workspace and params', async () => {
    await expect(ask('a')).resolves.toEqual({ of: 'a', reads: 1 });
    await expect(ask('a')).resolves.toEqual({ of: 'a', reads: 1 });
    await expect(ask('b')).resolves.toEqual({ of: 'b', reads: 2 });
    await expect(ask('a', 'ws-other')).resolves.toEqual({ of: 'a', reads: 3 });

    cache.changed([workspaceId]);
    await expect(ask('a')).resolves.toEqual({ of: 'a', reads: 4 });
    await expect(ask('a', 'ws-other')).resolves.toEqual({ of: 'a', reads: 3 });
  });

  it('does not keep an answer read before a change that landed while it was read', async () => {
    const answering = ask('slow');
    await waitUntil(() => gate.release !== undefined);
    cache.changed([workspaceId]);
    releaseRead();
    await expect(answering).resolves.toEqual({ of: 'slow', reads: 1 });

    const again = ask('slow');
    await waitUntil(() => gate.release !== undefined);
    releaseRead();
    await expect(again).resolves.toEqual({ of: 'slow', reads: 2 });
  });

  it('serves nothing from the cache while change notices may be missed', async () => {
    await ask('a');
    cache.suspend();
    await expect(ask('a')).resolves.toEqual({ of: 'a', reads: 2 });
    await expect(ask('a')).resolves.toEqual({ of: 'a', reads: 3 });
    cache.resume();
    await expect(ask('a')).resolves.toEqual({ of: 'a', reads: 4 });
    await expect(ask('a')).resolves.toEqual({ of: 'a', reads: 4 });
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt++) await sleep(10);
  if (!condition()) throw new Error('condition not met in 2 s');
}
