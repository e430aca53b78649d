import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type Dockerode from 'dockerode';
import { packDirectory } from '@platform/archive';
import { eventually } from '@platform/testing';
import { ensureBaseImages } from './base-images';
import { generateDockerfile, writeBuildFiles } from './dockerfile';
import { buildImage, removeContainerAndImage, runPublished } from './test-support';

// The base image may have to be built first, and the build installs Vite and TypeScript from the registry.
jest.setTimeout(600_000);

const FIXTURES = join(__dirname, '..', '..', '..', 'examples', 'fixtures');
const run = randomBytes(4).toString('hex');
let scratch: string;
const started: Array<{ container?: Dockerode.Container; image: string }> = [];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET that shows the encoding the server chose (fetch would decode it out of sight). */
function get(port: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = response.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: body.toString('utf8') });
      });
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  await ensureBaseImages(['node', 'debian']);
  scratch = await mkdtemp(join(tmpdir(), 'built-site-'));
});
afterAll(async () => {
  for (const { container, image } of started) await removeContainerAndImage(container, image);
  await rm(scratch, { recursive: true, force: true });
});

describe('create-vite apps, built and run by the Docker engine', () => {
  // Every template of create-vite 9 but the React + SWC ones (the same React app, another compiler), with a text
  // its page shows that only the compiled bundle holds (Lit's "Get started" is in index.html, slotted).
  it.each([
    { fixture: 'vite-vanilla', bundled: 'Get started' },
    { fixture: 'vite-vanilla-ts', bundled: 'Get started' },
    { fixture: 'vite-react', bundled: 'Get started' },
    { fixture: 'vite-react-ts', bundled: 'Get started' },
    { fixture: 'vite-vue-ts', bundled: 'Get started' },
    { fixture: 'vite-svelte-ts', bundled: 'Get started' },
    { fixture: 'vite-preact-ts', bundled: 'Get started' },
    { fixture: 'vite-lit-ts', bundled: 'src/my-element.ts' },
    { fixture: 'vite-solid-ts', bundled: 'Get started' },
  ])(
    '$fixture: serves the built page and its hashed script, cached for a year, gzipped, with index.html for routes',
    async ({ fixture, bundled }) => {
      const image = `platform-test/built-site-${fixture}:${run}`;
      const entry: (typeof started)[number] = { image };
      started.push(entry);
      const dir = join(scratch, fixture);
      await cp(join(FIXTURES, fixture), dir, { recursive: true });
      const recipe = await generateDockerfile(dir, { port: 3000 });
      expect(recipe.stack).toMatchObject({ kind: 'built-site', outputDir: 'dist' });
      await writeBuildFiles(dir, recipe);
      await buildImage(packDirectory(dir) as unknown as NodeJS.ReadableStream, image, recipe.dockerfilePath);

      const { container, hostPort } = await runPublished(image, 3000);
      entry.container = container;
      const home = await eventually(() => get(hostPort, '/'), 20_000, 200);
      expect(home).toMatchObject({ status: 200, headers: { 'cache-control': 'no-cache' } });
      // The built page, not the source one that loads /src/main.ts and shows nothing.
      expect(home.body).not.toContain('/src/main.ts');
      const script = /<script type="module" crossorigin src="(\/assets\/index-[A-Za-z0-9_-]{8}\.js)"><\/script>/.exec(
        home.body,
      );
      expect(script).not.toBeNull();

      const asset = await get(hostPort, script![1], { 'accept-encoding': 'gzip' });
      expect(asset).toMatchObject({
        status: 200,
        headers: {
          'cache-control': 'public, max-age=31536000, immutable',
          'content-encoding': 'gzip',
          'content-type': 'text/javascript; charset=utf-8',
        },
      });
      // The page the template's main.ts or App.tsx writes, compiled into the bundle.
      expect(asset.body).toContain(bundled);

      const route = await get(hostPort, '/some/route');
      expect(route).toMatchObject({ status: 200, body: home.body });
      expect((await get(hostPort, '/assets/missing-Ab12Cd34.js')).status).toBe(404);

      await container.stop({ t: 10 });
      expect((await container.inspect()).State.ExitCode).toBe(0);
    },
  );
});
