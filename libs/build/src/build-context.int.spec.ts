import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { extractArchive } from '@platform/archive';
import { tarOf } from '@platform/archive/src/test-support';
import { DomainError } from '@platform/contracts';
import { ensureBaseImages, nodeBaseImage } from './base-images';
import { prepareBuildContext, type BuildContext } from './build-context';
import { buildImage, eventuallyJson, removeContainerAndImage, runPublished, tarGzOf } from './test-support';

// The base image may have to be built first (a minute or two on a fresh machine).
jest.setTimeout(300_000);

/** A Node.js app without a Dockerfile: a start script and a server reading PORT, no dependencies. */
const APP_FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'tiny', version: '1.0.0', scripts: { start: 'node server.js' } }),
  'server.js': `
const http = require('http');
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ app: process.env.APP_NAME || 'tiny', port: process.env.PORT, uid: process.getuid() }));
});
server.listen(Number(process.env.PORT), () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
};

const images: string[] = [];
const containers: Dockerode.Container[] = [];
let scratch: string;
/** Where prepareBuildContext makes its temporary directories: empty again once each context is disposed. */
let tempRoot: string;
let dirs = 0;
/** A bare repository holding the app on main, and that commit. */
let bare: string;
let commit: string;

beforeAll(async () => {
  await ensureBaseImages(['node']);
  scratch = await mkdtemp(join(tmpdir(), 'build-context-'));
  tempRoot = join(scratch, 'tmp');
  await mkdir(tempRoot);
  bare = join(scratch, 'tiny.git');
  const work = await writeProject(APP_FILES);
  git(scratch, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '-m', 'a tiny app');
  git(work, 'push', '--quiet', bare, 'main');
  commit = git(work, 'rev-parse', 'HEAD');
});
afterAll(async () => {
  for (const [index, image] of images.entries()) await removeContainerAndImage(containers[index], image);
  await rm(scratch, { recursive: true, force: true });
});

async function writeProject(files: Record<string, string>): Promise<string> {
  const dir = join(scratch, `project-${++dirs}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

async function uploadOf(files: Record<string, string>): Promise<string> {
  return tarGzOf(await writeProject(files), join(scratch, `upload-${++dirs}.tar.gz`));
}

/** The context's archive, extracted safely into a directory of its own. */
async function unpacked(context: BuildContext): Promise<string> {
  const dir = join(scratch, `unpacked-${++dirs}`);
  await extractArchive({ file: context.path, into: dir });
  return dir;
}

/** Builds the context as the agent would (the tar.gz as it is, with the returned Dockerfile), runs it and asks it over HTTP. */
async function buildAndAsk(context: BuildContext, port: number): Promise<unknown> {
  const image = `platform-test/build-context:${randomBytes(4).toString('hex')}`;
  images.push(image);
  await buildImage(createReadStream(context.path), image, context.dockerfile);
  const { container, hostPort } = await runPublished(image, port);
  containers[images.length - 1] = container;
  return eventuallyJson(`http://127.0.0.1:${hostPort}/`);
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

function git(cwd: string, ...args: string[]): string {
  const env = { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const identity = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com'];
  return execFileSync('git', [...identity, ...args], { cwd, encoding: 'utf8', env }).trim();
}

describe('prepareBuildContext', () => {
  it('turns an upload without a Dockerfile into a context with a generated one, which the Docker engine builds into an app that answers', async () => {
    const context = await prepareBuildContext(
      { type: 'archive', path: await uploadOf(APP_FILES) },
      { port: 8080, tempRoot },
    );
    try {
      expect(context.contentType).toBe('application/gzip');
      expect(context.dockerfile).toBe('.platform-build/Dockerfile');
      expect(context.stack.kind).toBe('node');
      expect(context.notes.join('\n')).toMatch(
        /detected stack: Node\.js \(npm, no lockfile, started with its start script "node server\.js"\)/,
      );

      const tree = await unpacked(context);
      const dockerfile = await readFile(join(tree, context.dockerfile), 'utf8');
      expect(dockerfile).toContain(`FROM ${nodeBaseImage()}\n`);
      expect(dockerfile).toContain('ENV PORT=8080');
      expect((await readdir(tree)).sort()).toEqual(['.dockerignore', '.platform-build', 'package.json', 'server.js']);

      expect(await buildAndAsk(context, 8080)).toEqual({ app: 'tiny', port: '8080', uid: 1000 });
    } finally {
      await context.dispose();
    }
    expect(await readdir(tempRoot)).toEqual([]);
  });

  it("keeps a project's own Dockerfile: nothing is generated, the build uses it", async () => {
    const own = `FROM ${nodeBaseImage()}\nCOPY server.js /app/server.js\nCMD ["node", "/app/server.js"]\n`;
    const context = await prepareBuildContext(
      { type: 'archive', path: await uploadOf({ ...APP_FILES, Dockerfile: own }) },
      { tempRoot },
    );
    try {
      expect(context.dockerfile).toBe('Dockerfile');
      expect(context.notes).toContain(
        "detected stack: the project's own Dockerfile, used as it is (nothing generated)",
      );
      const tree = await unpacked(context);
      expect(await readFile(join(tree, 'Dockerfile'), 'utf8')).toBe(own);
      expect((await readdir(tree)).sort()).toEqual(['Dockerfile', 'package.json', 'server.js']);
    } finally {
      await context.dispose();
    }
  });

  it('fetches a git repository at a ref into a context with a generated Dockerfile, which builds and answers', async () => {
    const context = await prepareBuildContext(
      { type: 'git', url: `file://${bare}`, ref: 'main' },
      { port: 3000, tempRoot, git: { allowLocalRepositoriesForTests: true } },
    );
    try {
      expect(context.dockerfile).toBe('.platform-build/Dockerfile');
      expect(context.notes[0]).toBe(
        `fetched file://${bare} at main: commit ${commit} (2 files, ${Buffer.byteLength(APP_FILES['package.json']) + Buffer.byteLength(APP_FILES['server.js'])} bytes)`,
      );
      expect(context.notes.join('\n')).toContain('detected stack: Node.js');
      const tree = await unpacked(context);
      // No .git: only the checkout and what the platform generated.
      expect((await readdir(tree)).sort()).toEqual(['.dockerignore', '.platform-build', 'package.json', 'server.js']);
      expect(await buildAndAsk(context, 3000)).toEqual({ app: 'tiny', port: '3000', uid: 1000 });
    } finally {
      await context.dispose();
    }
    expect(await readdir(tempRoot)).toEqual([]);
  });

  it('refuses what cannot be built with a DomainError that says what to do, and leaves nothing behind', async () => {
    const unknown = await refusal(
      prepareBuildContext({ type: 'archive', path: await uploadOf({ 'notes.txt': 'hello' }) }, { tempRoot }),
    );
    expect(unknown.code).toBe('validation_failed');
    expect(unknown.message).toMatch(/Dockerfile/);

    const escaping = await tarOf([{ name: '../outside.js', content: 'x' }]);
    const escapingPath = join(scratch, 'escaping.tar.gz');
    await writeFile(escapingPath, escaping);
    const escape = await refusal(prepareBuildContext({ type: 'archive', path: escapingPath }, { tempRoot }));
    expect(escape.message).toMatch(/the archive entry "\.\.\/outside\.js" is refused/);

    const missing = await refusal(
      prepareBuildContext(
        { type: 'git', url: `file://${bare}`, ref: 'no-such-branch' },
        { tempRoot, git: { allowLocalRepositoriesForTests: true } },
      ),
    );
    expect(missing.message).toMatch(/^git could not fetch .* at no-such-branch/);

    const local = await refusal(prepareBuildContext({ type: 'git', url: `file://${bare}`, ref: 'main' }, { tempRoot }));
    expect(local.code).toBe('validation_failed');

    expect(await readdir(tempRoot)).toEqual([]);
  });
});
