/**
 * `npm run demo`: the platform on this machine with the local cloud, two local servers, and the sample app of
 * examples/hello deployed to both from an upload, behind a front nginx at http://hello.localhost. Safe to run
 * again: it logs back in and reuses the servers, the project and the service it made before.
 */
import { createGzip } from 'node:zlib';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { text } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { packDirectory } from '@platform/archive';
import { consoleUrl, gatewayUrl, logsDir, root, startPlatform } from './platform';

const account = { email: 'demo@platform.localhost', password: 'demo password, change me', workspaceName: 'Demo' };
const serverNames = ['demo-1', 'demo-2'];

async function api<T>(token: string | undefined, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as T & { error?: { message: string } };
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${answer.error?.message ?? ''}`);
  return answer;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function session(): Promise<string> {
  try {
    return (
      await api<{ token: string }>(undefined, 'POST', '/v1/auth/login', {
        email: account.email,
        password: account.password,
      })
    ).token;
  } catch {
    return (await api<{ token: string }>(undefined, 'POST', '/v1/auth/signup', account)).token;
  }
}

interface Server {
  id: string;
  name: string;
  status: string;
  publicIp: string | null;
  edge: { httpPort: number } | null;
}

async function servers(token: string): Promise<Server[]> {
  const existing = (await api<{ items: Server[] }>(token, 'GET', '/v1/servers?limit=200')).items;
  for (const name of serverNames) {
    if (existing.some((server) => server.name === name && server.status !== 'failed')) continue;
    console.log(`… provisioning local server ${name}`);
    await api(token, 'POST', '/v1/servers', { provider: 'local', name });
  }
  return until('the servers to be ready', async () => {
    const all = (await api<{ items: Server[] }>(token, 'GET', '/v1/servers?limit=200')).items.filter((s) =>
      serverNames.includes(s.name),
    );
    const ready = serverNames.map((name) => all.find((server) => server.name === name && server.status === 'ready'));
    return ready.every(Boolean) ? (ready as Server[]) : undefined;
  });
}

async function service(token: string): Promise<{ id: string; hostname: string }> {
  const projects = (await api<{ items: { id: string; name: string }[] }>(token, 'GET', '/v1/projects?limit=200')).items;
  const projectId =
    projects.find((project) => project.name === 'demo')?.id ??
    (await api<{ projectId: string }>(token, 'POST', '/v1/projects', { name: 'demo' })).projectId;
  await until('the project', () => api(token, 'GET', `/v1/projects/${projectId}`).catch(() => undefined));
  const existing = (
    await api<{ items: { id: string; name: string; hostname: string }[] }>(
      token,
      'GET',
      `/v1/projects/${projectId}/services`,
    )
  ).items.find((candidate) => candidate.name === 'hello');
  if (existing) return existing;
  const { serviceId } = await api<{ serviceId: string }>(token, 'POST', `/v1/projects/${projectId}/services`, {
    name: 'hello',
    port: 3000,
    healthCheckPath: '/health',
    env: { GREETING: 'Hello from your own platform' },
  });
  return until('the service', () =>
    api<{ id: string; hostname: string }>(token, 'GET', `/v1/services/${serviceId}`).catch(() => undefined),
  );
}

async function deploy(token: string, serviceId: string, targets: Server[]): Promise<void> {
  const archive = Readable.from(packDirectory(path.join(root, 'examples/hello')) as AsyncIterable<Buffer>).pipe(
    createGzip(),
  );
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  const upload = await fetch(`${gatewayUrl}/v1/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
    body: Buffer.concat(chunks),
  });
  const { uploadId } = (await upload.json()) as { uploadId: string };
  console.log(`… deploying examples/hello (upload ${uploadId}) to ${targets.map((s) => s.name).join(' and ')}`);
  const response = await fetch(`${gatewayUrl}/v1/deployments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ serviceId, source: { type: 'upload', uploadId }, serverIds: targets.map((s) => s.id) }),
  });
  if (!response.ok || !response.body)
    throw new Error(`the deployment was refused: ${await text(response.body as never)}`);
  const names = new Map(targets.map((server) => [server.id, server.name]));
  let outcome = '';
  for await (const frame of streamFrames(response.body)) {
    const event = /^event: (.+)$/m.exec(frame)?.[1];
    const data = /^data: (.+)$/m.exec(frame)?.[1];
    if (!event || !data) continue;
    const payload = JSON.parse(data) as { data?: { serverId?: string; reason?: string } };
    const server = payload.data?.serverId ? ` on ${names.get(payload.data.serverId) ?? payload.data.serverId}` : '';
    if (event !== 'DeploymentLogged')
      console.log(`  · ${event}${server}${payload.data?.reason ? `: ${payload.data.reason}` : ''}`);
    if (event === 'DeploymentSucceeded' || event === 'DeploymentFailed' || event === 'error') outcome = event;
  }
  if (outcome !== 'DeploymentSucceeded')
    throw new Error(`the deployment ended with ${outcome || 'no result'}; see the log above`);
}

async function* streamFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      yield buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
    }
  }
}

/**
 * The demo runs a development instance, where everyone is trusted: anyone may sign up and every workspace may
 * have servers on this machine, so the demo account works even where another account came first. `npm start`
 * keeps the safe defaults (see the README's settings); the environment's own values win here too.
 */
const developmentInstance = {
  SIGNUP: process.env.SIGNUP ?? 'open',
  LOCAL_SERVERS_WORKSPACES: process.env.LOCAL_SERVERS_WORKSPACES ?? '*',
};

async function main(): Promise<void> {
  console.log(
    `… a development instance: SIGNUP=${developmentInstance.SIGNUP}, LOCAL_SERVERS_WORKSPACES=${developmentInstance.LOCAL_SERVERS_WORKSPACES} (npm start keeps the safe defaults)`,
  );
  const platform = await startPlatform(developmentInstance);
  try {
    const token = await session();
    const targets = await servers(token);
    const hello = await service(token);
    // Its success means the app answers at its URL already.
    await deploy(token, hello.id, targets);
    console.log(`
✔ The sample app runs on two local servers:
    App            ${platform.appUrl(hello.hostname)}   (or: curl -H 'Host: ${hello.hostname}' http://${targets[0].publicIp}/)
    Console        ${consoleUrl}   (log in as ${account.email} / "${account.password}")
    API            ${gatewayUrl}/v1
    Documentation  ${gatewayUrl}/docs

Service logs: ${logsDir}/<service>.log
Press Ctrl-C to stop the platform (the local servers and the app keep running; \`npm run demo\` again picks them up).
`);
    await platform.exited();
    console.log('✔ the platform stopped');
  } catch (error) {
    await platform.stop();
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(`✖ ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
