import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { packDirectory } from '@platform/archive';
import { ensureBaseImages, nodeBaseImage } from './base-images';
import { buildImage, docker, eventuallyJson, removeContainerAndImage, runPublished } from './test-support';
import { generateDockerfile, writeBuildFiles } from './dockerfile';

// The base image may have to be built first (a minute or two on a fresh machine).
jest.setTimeout(300_000);

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
  await removeContainerAndImage(container, image);
  await rm(scratch, { recursive: true, force: true });
});

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

    const log = (
      await buildImage(packDirectory(dir) as unknown as NodeJS.ReadableStream, image, recipe.dockerfilePath)
    ).join('');
    expect(log).toContain('RUN npm ci --omit=dev');
    const inspected = await docker.getImage(image).inspect();
    expect(inspected.Config.User).toBe('1000:1000');
    expect(inspected.Config.Cmd).toEqual(['node', 'server.js']);
    expect(Object.keys(inspected.Config.ExposedPorts ?? {})).toEqual(['3000/tcp']);
    expect(inspected.Config.Env).toEqual(expect.arrayContaining(['PORT=3000', 'NODE_ENV=production']));

    let hostPort: string;
    ({ container, hostPort } = await runPublished(image, 3000));
    const answer = await eventuallyJson(`http://127.0.0.1:${hostPort}/`);
    expect(answer).toEqual({ greeting: 'hello from a dependency', uid: 1000, port: '3000', nodeEnv: 'production' });

    // SIGTERM reaches the app, which closes cleanly: what a zero-downtime cutover relies on.
    await container.stop({ t: 10 });
    expect((await container.inspect()).State.ExitCode).toBe(0);
  });
});
