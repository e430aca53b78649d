import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { packDirectory } from '@platform/archive';
import { eventually } from '@platform/testing';
import { ensureBaseImages, nodeBaseImage } from './base-images';
import { generateDockerfile, writeBuildFiles } from './dockerfile';

// The base image may have to be built first (a minute or two on a fresh machine).
jest.setTimeout(300_000);

const docker = new Dockerode({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
const image = `platform-test/generated-node:${randomBytes(4).toString('hex')}`;
let scratch: string;
let container: Dockerode.Container | undefined;

/** A Node.js app with a local dependency (so that `npm ci` installs something without a registry). */
const APP_FILES: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'hello',
    version: '1.0.0',
    scripts: { start: 'node server.js' },
    dependencies: { greeting: 'file:vendor/greeting' },
  }),
  'package-lock.json': JSON.stringify({
    name: 'hello',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'hello', version: '1.0.0', dependencies: { greeting: 'file:vendor/greeting' } },
      'node_modules/greeting': { resolved: 'vendor/greeting', link: true },
      'vendor/greeting': { version: '1.0.0' },
    },
  }),
  'vendor/greeting/package.json': JSON.stringify({ name: 'greeting', version: '1.0.0', main: 'index.js' }),
  'vendor/greeting/index.js': "module.exports = 'hello from a dependency';\n",
  'server.js': `
const http = require('http');
const greeting = require('greeting');
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ greeting, uid: process.getuid(), port: process.env.PORT, nodeEnv: process.env.NODE_ENV }));
});
server.listen(Number(process.env.PORT), () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
};

beforeAll(async () => {
  await ensureBaseImages(['node']);
  scratch = await mkdtemp(join(tmpdir(), 'generated-dockerfile-'));
});
afterAll(async () => {
  await container?.remove({ force: true }).catch(() => undefined);
  await docker
    .getImage(image)
    .remove({ force: true })
    .catch(() => undefined);
  await rm(scratch, { recursive: true, force: true });
});

async function build(contextDir: string, dockerfile: string): Promise<string[]> {
  const stream = await docker.buildImage(packDirectory(contextDir) as unknown as NodeJS.ReadableStream, { t: image, dockerfile, rm: true, forcerm: true });
  const output = await new Promise<Array<{ stream?: string; error?: string }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, result: Array<{ stream?: string; error?: string }>) => (error ? reject(error) : resolve(result)));
  });
  const failure = output.find((line) => line.error);
  if (failure) throw new Error(`the build failed: ${failure.error}\n${output.map((line) => line.stream ?? '').join('')}`);
  return output.map((line) => line.stream ?? '');
}

function getJson(url: string): Promise<unknown> {
  return fetch(url).then((response) => {
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.json();
  });
}

describe('a generated Dockerfile, built and run by the Docker engine', () => {
  it('builds a Node.js app on the platform base image and answers over HTTP as a user other than root', async () => {
    const dir = join(scratch, 'app');
    for (const [path, content] of Object.entries(APP_FILES)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const recipe = await generateDockerfile(dir, { port: 3000 });
    expect(recipe.stack).toMatchObject({
      kind: 'node',
      packageManager: 'npm',
      lockfile: 'package-lock.json',
      start: { script: 'start', command: ['node', 'server.js'] },
      installNeedsSources: true,
    });
    expect(recipe.dockerfile).toContain(`FROM ${nodeBaseImage()}\n`);
    await writeBuildFiles(dir, recipe);

    const log = (await build(dir, recipe.dockerfilePath)).join('');
    expect(log).toContain('RUN npm ci --omit=dev');
    const inspected = await docker.getImage(image).inspect();
    expect(inspected.Config.User).toBe('1000:1000');
    expect(inspected.Config.Cmd).toEqual(['node', 'server.js']);
    expect(Object.keys(inspected.Config.ExposedPorts ?? {})).toEqual(['3000/tcp']);
    expect(inspected.Config.Env).toEqual(expect.arrayContaining(['PORT=3000', 'NODE_ENV=production']));

    container = await docker.createContainer({
      Image: image,
      ExposedPorts: { '3000/tcp': {} },
      HostConfig: { PortBindings: { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await container.start();
    const hostPort = (await container.inspect()).NetworkSettings.Ports['3000/tcp']?.[0]?.HostPort;
    expect(hostPort).toMatch(/^\d+$/);

    let answer: unknown;
    await eventually(
      async () => {
        answer = await getJson(`http://127.0.0.1:${hostPort}/`);
      },
      20_000,
      200,
    );
    expect(answer).toEqual({ greeting: 'hello from a dependency', uid: 1000, port: '3000', nodeEnv: 'production' });

    // SIGTERM reaches the app, which closes cleanly: what a zero-downtime cutover relies on.
    await container.stop({ t: 10 });
    expect((await container.inspect()).State.ExitCode).toBe(0);
  });
});
