import { randomUUID } from 'node:crypto';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrontRoutes, LocalFrontProxy, ServiceNames, ServiceQueries, servicesProjection } from '@platform/deployments';
import { runMigrations } from '@platform/event-store';
import { createTestSchema, eventually, freePort, type TestSchema } from '@platform/testing';

/** A server edge: answers with the Host it was asked for and its own name. */
async function edge(name: string): Promise<{ server: Server; address: string }> {
  const server = createServer((request, response) => response.end(`${name} ${request.headers.host}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the local front door follows what serves', () => {
  let db: TestSchema;
  let dir: string;
  let front: LocalFrontProxy;
  let port: number;
  let routes: FrontRoutes;
  const edges: Server[] = [];

  beforeAll(async () => {
    db = createTestSchema('front_routes');
    await runMigrations(db.pool, db.schema, servicesProjection.migrations ?? []);
    dir = await mkdtemp(join(tmpdir(), 'front-door-'));
    port = await freePort();
    front = new LocalFrontProxy(dir, { address: '127.0.0.1', port });
    routes = new FrontRoutes({
      pool: db.pool,
      schema: db.schema,
      door: front,
      pollMs: 100,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    });
    routes.start();
  });
  afterAll(async () => {
    await routes.stop();
    await front.stop();
    for (const server of edges) server.close();
    await rm(dir, { recursive: true, force: true });
    await db.dispose();
  });

  /** A service of `workspace` serving on `servers`; its name is claimed as the deployer claims it, if free. */
  async function deployed(
    serviceName: string,
    servers: Record<string, { status: string; url: string }>,
    deploymentId = randomUUID(),
    workspace = 'ws',
  ): Promise<string> {
    const serviceId = randomUUID();
    await new ServiceNames(db.pool, db.schema).claim(serviceName, workspace).catch(() => undefined);
    await db.pool.query(
      `INSERT INTO ${db.schema}.deployments (id, workspace_id, service_id, status, image_tag, source, servers, requested_by, requested_at, finished_at)
       VALUES ($1, $4, $2, 'succeeded', 'deploy_x', '{}', $3, 'u', now(), now())`,
      [deploymentId, serviceId, JSON.stringify(servers), workspace],
    );
    await db.pool.query(
      `INSERT INTO ${db.schema}.services (id, workspace_id, project_id, name, port, health_check_path, env_names, current_deployment_id, created_at, updated_at)
       VALUES ($1, $5, $2, $3, 3000, '/', '{}', $4, now(), now())`,
      [serviceId, randomUUID(), serviceName, deploymentId, workspace],
    );
    return serviceId;
  }

  /** A deployment of workspace `ws`'s service named like the hostname, as the deployment process opens it. */
  const opening = (deploymentId: string, hostname: string, routeEdges: string[], workspaceId = 'ws') => ({
    deploymentId,
    workspaceId,
    serviceName: hostname.replace(/\.localhost$/, ''),
    hostname,
    edges: routeEdges,
  });

  /** As a browser asks for http://<hostname>/ (fetch may not set Host itself). */
  const through = (hostname: string) =>
    new Promise<string>((resolve) => {
      const request = get({ host: '127.0.0.1', port, path: '/', headers: { host: hostname } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve(`${response.statusCode} ${body.trim()}`));
      });
      request.on('error', () => resolve('down'));
    });

  it("opens each app by its hostname on the edges its current deployment switched to, and only this machine's", async () => {
    const [one, two] = [await edge('one'), await edge('two')];
    edges.push(one.server, two.server);
    await deployed('hello', {
      [randomUUID()]: { status: 'switched', url: `http://${one.address}` },
      [randomUUID()]: { status: 'failed', url: `http://${two.address}` },
      [randomUUID()]: { status: 'switched', url: 'http://203.0.113.7:80' },
    });
    await eventually(async () => expect(await through('hello.localhost')).toBe('200 one hello.localhost'));
    expect(await routes.routes()).toEqual([{ hostname: 'hello.localhost', edges: [one.address] }]);
    // The service's URL, as the API gives it, is this front door's.
    const hello =
      (await db.pool.query<{ id: string }>(`SELECT id FROM ${db.schema}.services WHERE name = 'hello'`)).rows[0]?.id ??
      '';
    expect((await new ServiceQueries(db.pool, db.schema, port).get('ws', { serviceId: hello })).url).toBe(
      `http://hello.localhost:${port}`,
    );
    expect((await new ServiceQueries(db.pool, db.schema).get('ws', { serviceId: hello })).url).toBe(
      'http://hello.localhost',
    );

    await deployed('shop', { [randomUUID()]: { status: 'switched', url: `http://${two.address}` } });
    await eventually(async () => expect(await through('shop.localhost')).toBe('200 two shop.localhost'));
    expect(await through('hello.localhost')).toBe('200 one hello.localhost');
    // A deployment with no server of this machine gets no route.
    await deployed('far', { [randomUUID()]: { status: 'switched', url: 'http://203.0.113.8:80' } });
    expect((await routes.routes()).map((route) => route.hostname)).toEqual(['hello.localhost', 'shop.localhost']);
  });

  it('routes a deployment opened by the deployment process at once, before the read model shows it serving', async () => {
    const [three, four] = [await edge('three'), await edge('four')];
    edges.push(three.server, four.server);
    const deploymentId = randomUUID();
    await new ServiceNames(db.pool, db.schema).claim('fresh', 'ws');
    const wayIn = await routes.open(opening(deploymentId, 'fresh.localhost', [three.address, '203.0.113.9:80']));
    // Routed by `open` itself: in force for the next connection, as a deployment's success promises.
    expect(await through('fresh.localhost')).toBe('200 three fresh.localhost');
    expect(wayIn).toEqual({
      url: `http://fresh.localhost:${port}`,
      address: '127.0.0.1',
      port,
      host: 'fresh.localhost',
    });
    // The read model catching up with that deployment says the same; a later one replaces it.
    await deployed('fresh', { [randomUUID()]: { status: 'switched', url: `http://${three.address}` } }, deploymentId);
    await routes.open(opening(randomUUID(), 'fresh.localhost', [four.address]));
    expect(await through('fresh.localhost')).toBe('200 four fresh.localhost');
    // A deployment that then failed is taken back: the hostname goes to what serves.
    const failed = randomUUID();
    await new ServiceNames(db.pool, db.schema).claim('gone', 'ws');
    await routes.open(opening(failed, 'gone.localhost', [four.address]));
    expect(await through('gone.localhost')).toBe('200 four gone.localhost');
    await routes.close(failed, 'gone.localhost');
    expect(await through('gone.localhost')).toMatch(/^404 no app answers/);
    // Taking back another deployment's route leaves the hostname's own as it is.
    await routes.close(randomUUID(), 'fresh.localhost');
    expect(await through('fresh.localhost')).toBe('200 four fresh.localhost');
  });

  it('never routes a hostname to a workspace that does not hold the service name', async () => {
    const [mine, theirs] = [await edge('mine'), await edge('theirs')];
    edges.push(mine.server, theirs.server);
    await deployed('owned', { [randomUUID()]: { status: 'switched', url: `http://${mine.address}` } });
    await eventually(async () => expect(await through('owned.localhost')).toBe('200 mine owned.localhost'));
    // Another workspace's service of that name (made before names were claimed), deployed later, and opened.
    await deployed(
      'owned',
      { [randomUUID()]: { status: 'switched', url: `http://${theirs.address}` } },
      undefined,
      'other',
    );
    expect(await routes.open(opening(randomUUID(), 'owned.localhost', [theirs.address], 'other'))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await through('owned.localhost')).toBe('200 mine owned.localhost');
    expect(await routes.routes()).toContainEqual({ hostname: 'owned.localhost', edges: [mine.address] });
  });

  it('answers each newly opened hostname on the very next connection, route after route', async () => {
    const [five, six] = [await edge('five'), await edge('six')];
    edges.push(five.server, six.server);
    const answers: string[] = [];
    for (let round = 1; round <= 25; round++) {
      const hostname = `round${round}.localhost`;
      const serving = round % 2 ? five : six;
      await new ServiceNames(db.pool, db.schema).claim(`round${round}`, 'ws');
      await routes.open(opening(randomUUID(), hostname, [serving.address]));
      answers.push(await through(hostname));
    }
    // Old workers answering beside new ones after a reload would say 404 for the hostname just added.
    expect(answers.filter((answer) => !answer.startsWith('200 '))).toEqual([]);
  });
});
