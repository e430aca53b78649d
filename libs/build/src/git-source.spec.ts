import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '@platform/contracts';
import { fetchGitSource, type GitSourceOptions } from './git-source';

jest.setTimeout(30_000);

const LOCAL: GitSourceOptions = { allowLocalRepositoriesForTests: true };
const LOOPBACK: GitSourceOptions = { allowLoopbackForTests: true };

let scratch: string;
let targets = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'git-source-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  }).trim();
}

/** A bare repository served as file:// and a working copy that commits and pushes to it. */
async function repository(name: string): Promise<{
  url: string;
  work: string;
  commit: (files: Record<string, string | Buffer>, message: string) => Promise<string>;
}> {
  const bare = join(scratch, `${name}.git`);
  const work = join(scratch, `${name}-work`);
  git(scratch, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  git(scratch, 'init', '--quiet', '--initial-branch=main', work);
  return {
    url: `file://${bare}`,
    work,
    async commit(files, message) {
      for (const [path, content] of Object.entries(files)) {
        await mkdir(join(work, path, '..'), { recursive: true });
        await writeFile(join(work, path), content);
      }
      git(work, 'add', '--all');
      git(work, 'commit', '--quiet', '-m', message);
      git(work, 'push', '--quiet', '--tags', bare, 'main');
      return git(work, 'rev-parse', 'HEAD');
    },
  };
}

function newTarget(): string {
  return join(scratch, `target-${++targets}`);
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('fetchGitSource from a local repository', () => {
  let app: Awaited<ReturnType<typeof repository>>;
  let first: string;
  let second: string;

  beforeAll(async () => {
    app = await repository('app');
    first = await app.commit({ 'server.js': 'console.log("v1")\n', 'lib/util.js': 'module.exports = 1;\n' }, 'v1');
    git(app.work, 'tag', '--annotate', '-m', 'release 1', 'v1.0.0');
    await symlink('server.js', join(app.work, 'entry.js'));
    second = await app.commit({ 'server.js': 'console.log("v2")\n' }, 'v2');
  });

  it('checks out a branch without the .git directory and names the commit', async () => {
    const target = newTarget();
    const fetched = await fetchGitSource({ url: app.url, ref: 'main' }, target, {}, LOCAL);
    expect(fetched.commit).toBe(second);
    expect((await readdir(target)).sort()).toEqual(['entry.js', 'lib', 'server.js']);
    expect(await readFile(join(target, 'server.js'), 'utf8')).toBe('console.log("v2")\n');
    expect(await readlink(join(target, 'entry.js'))).toBe('server.js');
    expect(fetched).toMatchObject({ files: 3 });
    expect(fetched.bytes).toBe('console.log("v2")\n'.length + 'module.exports = 1;\n'.length);
  });

  it('checks out an annotated tag at its commit', async () => {
    const target = newTarget();
    const fetched = await fetchGitSource({ url: app.url, ref: 'v1.0.0' }, target, {}, LOCAL);
    expect(fetched.commit).toBe(first);
    expect(await readFile(join(target, 'server.js'), 'utf8')).toBe('console.log("v1")\n');
  });

  it('checks out a commit by its full id', async () => {
    const target = newTarget();
    const fetched = await fetchGitSource({ url: app.url, ref: first }, target, {}, LOCAL);
    expect(fetched.commit).toBe(first);
    expect(await readFile(join(target, 'server.js'), 'utf8')).toBe('console.log("v1")\n');
    expect(existsSync(join(target, '.git'))).toBe(false);
  });

  it('refuses a branch the repository does not have, leaving the target empty', async () => {
    const target = newTarget();
    const error = await refusal(fetchGitSource({ url: app.url, ref: 'no-such-branch' }, target, {}, LOCAL));
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(/no-such-branch.*not found/);
    expect(await readdir(target)).toEqual([]);
  });

  it('refuses a local repository unless the test switch is on', async () => {
    const target = newTarget();
    const error = await refusal(fetchGitSource({ url: app.url, ref: 'main' }, target));
    expect(error.code).toBe('validation_failed');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a target directory that is not empty', async () => {
    const target = newTarget();
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'mine');
    await expect(fetchGitSource({ url: app.url, ref: 'main' }, target, {}, LOCAL)).rejects.toThrow('must be empty');
    expect(await readdir(target)).toEqual(['keep.txt']);
  });
});

describe('fetchGitSource limits', () => {
  it('fetches only the tip: history larger than the limit does not count', async () => {
    const repo = await repository('history');
    await repo.commit({ 'big.bin': randomBytes(3 * 1024 * 1024) }, 'big');
    await rm(join(repo.work, 'big.bin'));
    await repo.commit({ 'small.txt': 'small' }, 'small');
    const fetched = await fetchGitSource({ url: repo.url, ref: 'main' }, newTarget(), { maxBytes: 1024 * 1024 }, LOCAL);
    expect(fetched).toMatchObject({ files: 1, bytes: 5 });
  });

  it('refuses objects over the limit', async () => {
    const repo = await repository('incompressible');
    await repo.commit({ 'noise.bin': randomBytes(2 * 1024 * 1024) }, 'noise');
    const target = newTarget();
    const error = await refusal(
      fetchGitSource({ url: repo.url, ref: 'main' }, target, { maxBytes: 1024 * 1024 }, LOCAL),
    );
    expect(error.code).toBe('payload_too_large');
    expect(error.details).toEqual([{ reason: 'limit_exceeded', limit: 1024 * 1024 }]);
    expect(await readdir(target)).toEqual([]);
  });

  it('refuses a tree that would unpack over the limit before writing any of it', async () => {
    const repo = await repository('bomb');
    // 40 MB of zeros weigh a few dozen KB once compressed: only the tree's sizes tell.
    await repo.commit({ 'zeros.bin': Buffer.alloc(40 * 1024 * 1024) }, 'bomb');
    const target = newTarget();
    const error = await refusal(
      fetchGitSource({ url: repo.url, ref: 'main' }, target, { maxBytes: 10 * 1024 * 1024 }, LOCAL),
    );
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toContain('the checkout would be over 10485760 bytes');
    expect(await readdir(target)).toEqual([]);
  });

  it('refuses more files than allowed', async () => {
    const repo = await repository('many');
    await repo.commit(
      Object.fromEntries(Array.from({ length: 6 }, (_, index) => [`file-${index}.txt`, String(index)])),
      'many',
    );
    const error = await refusal(fetchGitSource({ url: repo.url, ref: 'main' }, newTarget(), { maxFiles: 5 }, LOCAL));
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toContain('more than 5 files');
  });

  it('refuses a symbolic link that leads outside the checkout', async () => {
    const repo = await repository('escape');
    await symlink('/etc/passwd', join(repo.work, 'leak'));
    await repo.commit({ 'index.js': '' }, 'leak');
    const target = newTarget();
    const error = await refusal(fetchGitSource({ url: repo.url, ref: 'main' }, target, {}, LOCAL));
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([{ entry: 'leak', reason: 'link_escapes' }]);
    expect(await readdir(target)).toEqual([]);
  });
});

describe('fetchGitSource over https', () => {
  let silent: Server;
  let port: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts connections and never answers: git waits for the TLS handshake until it is killed.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('kills git and its helpers when the time limit passes', async () => {
    const url = `https://git.localhost:${port}/slow/repo.git`;
    const target = newTarget();
    const started = Date.now();
    const error = await refusal(fetchGitSource({ url, ref: 'main' }, target, { timeoutMs: 1_000 }, LOOPBACK));
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(processes).not.toContain(`git.localhost:${port}`);
    expect(await readdir(target)).toEqual([]);
  });

  it('reports a server it cannot reach as unavailable', async () => {
    const error = await refusal(
      fetchGitSource(
        { url: 'https://git.localhost:1/repo.git', ref: 'main' },
        newTarget(),
        { timeoutMs: 10_000 },
        LOOPBACK,
      ),
    );
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('git.localhost');
  });
});

describe('fetchGitSource connects to public addresses only', () => {
  const resolvingTo =
    (...addresses: string[]): GitSourceOptions['resolve'] =>
    async () =>
      addresses;

  it.each([
    ['this machine by name', 'https://git.localhost/acme/app.git', undefined],
    ['a name for 127.0.0.1', 'https://git.example.com/acme/app.git', resolvingTo('127.0.0.1')],
    ['a private network', 'https://git.example.com/acme/app.git', resolvingTo('10.1.2.3')],
    ['the cloud metadata address', 'https://git.example.com/acme/app.git', resolvingTo('169.254.169.254')],
    ['carrier-grade NAT', 'https://git.example.com/acme/app.git', resolvingTo('100.100.100.200')],
    ['IPv6 loopback', 'https://git.example.com/acme/app.git', resolvingTo('::1')],
    ['IPv6 unique local', 'https://git.example.com/acme/app.git', resolvingTo('fd00:ec2::254')],
    ['IPv4-mapped loopback', 'https://git.example.com/acme/app.git', resolvingTo('::ffff:127.0.0.1')],
    [
      'a name with one private address among public ones',
      'https://git.example.com/a.git',
      resolvingTo('1.1.1.1', '10.0.0.1'),
    ],
  ])('refuses %s before running git', async (_, url, resolve) => {
    const target = newTarget();
    const error = await refusal(fetchGitSource({ url, ref: 'main' }, target, {}, { resolve }));
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(/refused: private address$/);
    expect(existsSync(target)).toBe(false);
  });

  it('still refuses private networks when loopback is allowed for tests', async () => {
    const options = { ...LOOPBACK, resolve: resolvingTo('192.168.1.1') };
    const error = await refusal(
      fetchGitSource({ url: 'https://git.example.com/a.git', ref: 'main' }, newTarget(), {}, options),
    );
    expect(error.message).toContain('refused: private address');
  });
});

describe('fetchGitSource over https to a server of its own', () => {
  // Every request is redirected to `inside`, as a public repository could redirect to an internal address.
  let outside: HttpsServer;
  let inside: HttpsServer;
  const outsideHosts: string[] = [];
  let insideRequests = 0;

  beforeAll(async () => {
    const dir = join(scratch, 'tls');
    await mkdir(dir);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=git.example.com',
        '-addext',
        'subjectAltName=DNS:git.example.com,DNS:inside.localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tls = { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) };
    process.env.GIT_SSL_CAINFO = join(dir, 'cert.pem');
    inside = createHttpsServer(tls, (_request, response) => {
      insideRequests++;
      response.writeHead(200, { 'content-type': 'text/plain' }).end('internal secret answer');
    });
    await new Promise<void>((resolve) => inside.listen(0, '127.0.0.1', resolve));
    outside = createHttpsServer(tls, (request, response) => {
      outsideHosts.push(String(request.headers.host));
      const port = (inside.address() as AddressInfo).port;
      response.writeHead(302, { location: `https://inside.localhost:${port}${request.url}` }).end();
    });
    await new Promise<void>((resolve) => outside.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    delete process.env.GIT_SSL_CAINFO;
    await new Promise((resolve) => outside.close(resolve));
    await new Promise((resolve) => inside.close(resolve));
  });

  it('connects to the address it checked and follows no redirect', async () => {
    const port = (outside.address() as AddressInfo).port;
    const target = newTarget();
    // git.example.com has no address here but the one the resolver gave and was checked: git must use it.
    const options = { ...LOOPBACK, resolve: async () => ['127.0.0.1'] };
    const error = await refusal(
      fetchGitSource({ url: `https://git.example.com:${port}/acme/app.git`, ref: 'main' }, target, {}, options),
    );
    expect(outsideHosts).toContain(`git.example.com:${port}`);
    expect(insideRequests).toBe(0);
    expect(error.message).not.toContain('internal secret answer');
    expect(await readdir(target)).toEqual([]);
  });
});

describe('fetchGitSource refuses hostile input before running git', () => {
  const marker = join(tmpdir(), `git-source-pwned-${process.pid}`);
  const hostileUrls = [
    `ext::sh -c touch% ${marker}`,
    `--upload-pack=touch ${marker}`,
    '-u',
    'file:///etc',
    'http://github.com/acme/app.git',
    'ssh://git@github.com/acme/app.git',
    'git@github.com:acme/app.git',
    'git://github.com/acme/app.git',
    'https://user:secret@github.com/acme/app.git',
    'https://127.0.0.1/acme/app.git',
    '',
  ];
  const hostileRefs = [
    `--upload-pack=touch ${marker}`,
    '-u',
    '--output=/tmp/x',
    'a..b',
    'main.lock',
    '$(touch x)',
    'main branch',
    '',
  ];

  it.each(hostileUrls)('refuses the URL %j', async (url) => {
    const target = newTarget();
    const error = await refusal(fetchGitSource({ url, ref: 'main' }, target));
    expect(error.code).toBe('validation_failed');
    expect(existsSync(target)).toBe(false);
  });

  it.each(hostileRefs)('refuses the ref %j', async (ref) => {
    const target = newTarget();
    const error = await refusal(fetchGitSource({ url: 'https://github.com/acme/app.git', ref }, target));
    expect(error.code).toBe('validation_failed');
    expect(existsSync(target)).toBe(false);
  });

  it('still refuses ext::, option-looking URLs and refs, and file:// URLs with a host in the test mode', async () => {
    for (const url of [`ext::sh -c touch% ${marker}`, `--upload-pack=touch ${marker}`, 'file://example.com/repo.git']) {
      expect((await refusal(fetchGitSource({ url, ref: 'main' }, newTarget(), {}, LOCAL))).code).toBe(
        'validation_failed',
      );
    }
    const error = await refusal(
      fetchGitSource(
        { url: `file://${scratch}/app.git`, ref: `--upload-pack=touch ${marker}` },
        newTarget(),
        {},
        LOCAL,
      ),
    );
    expect(error.code).toBe('validation_failed');
    expect(existsSync(marker)).toBe(false);
  });
});
