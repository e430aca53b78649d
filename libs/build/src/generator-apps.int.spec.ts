import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { packDirectory } from '@platform/archive';
import { eventually } from '@platform/testing';
import { ensureBaseImages } from './base-images';
import { generateDockerfile, writeBuildFiles } from './dockerfile';
import { buildImage, removeContainerAndImage, runPublished } from './test-support';

// The base images may have to be built first, and the apps install from the registry (Next.js's build takes minutes).
jest.setTimeout(600_000);

/** Server apps as their generators made them (examples/fixtures/README.md); create-vite's are in built-site.int.spec.ts. */
const FIXTURES = join(__dirname, '..', '..', '..', 'examples', 'fixtures');
const run = randomBytes(4).toString('hex');
let scratch: string;
const started: Array<{ container?: Dockerode.Container; image: string }> = [];

beforeAll(async () => {
  await ensureBaseImages(['node', 'debian', 'python']);
  scratch = await mkdtemp(join(tmpdir(), 'generator-apps-'));
});
afterAll(async () => {
  for (const { container, image } of started) await removeContainerAndImage(container, image);
  await rm(scratch, { recursive: true, force: true });
});

describe('server apps made by the usual generators, built and run by the Docker engine', () => {
  it.each([
    { fixture: 'express-app', kind: 'node', page: '<p>Welcome to Express</p>' },
    // fastify-cli listens on every address inside a container, and on PORT.
    { fixture: 'fastify-app', kind: 'node', page: '{"root":true}' },
    // Rendered by next start from the build, with Tailwind's native CSS compiler having run on the build image.
    { fixture: 'next-app', kind: 'node', page: 'To get started, edit the' },
    { fixture: 'python-wsgi', kind: 'python', page: '<h1>Hello from plain WSGI</h1><p>You asked for /.</p>' },
  ])('$fixture answers its own home page', async ({ fixture, kind, page }) => {
    const image = `platform-test/generator-${fixture}:${run}`;
    const entry: (typeof started)[number] = { image };
    started.push(entry);
    const dir = join(scratch, fixture);
    await cp(join(FIXTURES, fixture), dir, { recursive: true });
    const recipe = await generateDockerfile(dir, { port: 3000 });
    expect(recipe.stack.kind).toBe(kind);
    await writeBuildFiles(dir, recipe);
    await buildImage(packDirectory(dir) as unknown as NodeJS.ReadableStream, image, recipe.dockerfilePath);

    const { container, hostPort } = await runPublished(image, 3000);
    entry.container = container;
    const home = await eventually(
      async () => {
        const response = await fetch(`http://127.0.0.1:${hostPort}/`);
        if (!response.ok) throw new Error(`the app answered ${response.status}`);
        return response.text();
      },
      30_000,
      200,
    );
    expect(home).toContain(page);
  });
});
