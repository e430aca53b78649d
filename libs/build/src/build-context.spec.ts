import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarOf } from '@platform/archive/src/test-support';
import { OVERRIDE_HINT, prepareBuildContext } from './build-context';

let scratch: string;
let uploads = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'build-context-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function uploadOf(files: Record<string, unknown>): Promise<string> {
  const path = join(scratch, `upload-${++uploads}.tar.gz`);
  const entries = Object.entries(files).map(([name, content]) => ({
    name,
    content: typeof content === 'string' ? content : JSON.stringify(content),
  }));
  await writeFile(path, await tarOf(entries));
  return path;
}

describe("the build log's notes", () => {
  it('say what was detected, why, and how to override it', async () => {
    const context = await prepareBuildContext(
      {
        type: 'archive',
        path: await uploadOf({
          'package.json': { name: 'site', scripts: { build: 'vite build' }, devDependencies: { vite: '^8.0.0' } },
          'index.html': '<script type="module" src="/src/main.ts"></script>',
        }),
      },
      { tempRoot: scratch },
    );
    try {
      expect(context.notes.slice(1)).toEqual([
        'detected stack: a static site built by Node.js (npm, no lockfile, served from dist/) — no Dockerfile in the project, so the platform generated .platform-build/Dockerfile',
        'a static site built with its build script "vite build": nothing starts a server (no start script, no main, no server.js or index.js)',
        "the site is served from dist/ (Vite and Astro build into dist/ by default), with index.html for the app's routes",
        'no lockfile for npm: dependencies are resolved afresh on every build',
        OVERRIDE_HINT,
      ]);
    } finally {
      await context.dispose();
    }
  });

  it("say that a project's own Dockerfile replaces its platform.json, with nothing to override", async () => {
    const context = await prepareBuildContext(
      { type: 'archive', path: await uploadOf({ Dockerfile: 'FROM scratch\n', 'platform.json': { port: 8080 } }) },
      { tempRoot: scratch },
    );
    try {
      expect(context.notes.slice(1)).toEqual([
        "detected stack: the project's own Dockerfile, used as it is (nothing generated)",
        'platform.json is not used: the Dockerfile says how to build and start the app',
      ]);
    } finally {
      await context.dispose();
    }
  });
});
