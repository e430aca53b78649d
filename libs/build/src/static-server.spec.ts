import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freePort } from '@platform/testing';

let scratch: string;
let server: ChildProcess;
let port: number;
/** The same server with --built, serving a bundler's output. */
let builtServer: ChildProcess;
let builtPort: number;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent exactly as written (no client-side normalisation of "..", "%2e"). */
function get(
  path: string,
  options: { method?: string; headers?: Record<string, string>; port?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port: options.port ?? port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const raw = Buffer.concat(chunks);
          const body = (response.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'static-server-'));
  const site = join(scratch, 'site');
  await mkdir(join(site, 'docs'), { recursive: true });
  await mkdir(join(site, '.well-known'), { recursive: true });
  await writeFile(join(site, 'index.html'), '<h1>home</h1>');
  await writeFile(join(site, 'style.css'), 'body{}');
  await writeFile(join(site, 'docs', 'index.html'), '<h1>docs</h1>');
  await writeFile(join(site, '.env'), 'SECRET=1');
  await writeFile(join(site, '.well-known', 'security.txt'), 'Contact: x');
  await writeFile(join(scratch, 'secret.txt'), 'outside the site');
  await symlink(join(scratch, 'secret.txt'), join(site, 'leak.txt'));
  await symlink('style.css', join(site, 'alias.css'));

  ({ server, port } = await serve(site));

  const built = join(scratch, 'built');
  await mkdir(join(built, 'assets'), { recursive: true });
  await writeFile(join(built, 'index.html'), '<script type="module" src="/assets/index-BxQ2_a9k.js"></script>');
  await writeFile(join(built, 'assets', 'index-BxQ2_a9k.js'), `console.log(${JSON.stringify('x'.repeat(2000))});`);
  await writeFile(join(built, 'favicon.svg'), '<svg></svg>');
  ({ server: builtServer, port: builtPort } = await serve(built, '--built'));
});
afterAll(async () => {
  for (const running of [server, builtServer]) {
    if (running && running.exitCode === null) {
      running.kill('SIGKILL');
      await once(running, 'exit');
    }
  }
  await rm(scratch, { recursive: true, force: true });
});

async function serve(site: string, ...flags: string[]): Promise<{ server: ChildProcess; port: number }> {
  const listening = await freePort();
  const started = spawn(process.execPath, [join(__dirname, 'static-server.js'), site, ...flags], {
    env: { PORT: String(listening) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(started.stdout, 'data')) as [Buffer];
  expect(line.toString()).toContain(`on port ${listening}`);
  return { server: started, port: listening };
}

describe('the static file server', () => {
  it('serves index.html at / and files with their content type', async () => {
    expect(await get('/')).toMatchObject({
      status: 200,
      body: '<h1>home</h1>',
      headers: { 'content-type': 'text/html; charset=utf-8' },
    });
    const css = await get('/style.css');
    expect(css).toMatchObject({
      status: 200,
      body: 'body{}',
      headers: { 'content-type': 'text/css; charset=utf-8', 'content-length': '6' },
    });
    expect(await get('/alias.css')).toMatchObject({ status: 200, body: 'body{}' });
    expect(await get('/.well-known/security.txt')).toMatchObject({ status: 200, body: 'Contact: x' });
  });

  it("serves a directory's index.html, redirecting to the path with a slash first", async () => {
    expect(await get('/docs/')).toMatchObject({ status: 200, body: '<h1>docs</h1>' });
    expect(await get('/docs?tab=1')).toMatchObject({ status: 301, headers: { location: '/docs/?tab=1' } });
  });

  it('never serves dotfiles, paths out of the site or links that lead out of it', async () => {
    for (const path of [
      '/.env',
      '/%2eenv',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/docs/..%2f..%2fsecret.txt',
      '/leak.txt',
      '/..%5csecret.txt',
      '/missing.html',
      '/%E0%A4%A',
    ]) {
      const answer = await get(path);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(answer.body).not.toContain('outside the site');
      expect(answer.body).not.toContain('SECRET');
    }
  });

  it('answers HEAD without a body, refuses other methods and honours If-Modified-Since', async () => {
    expect(await get('/style.css', { method: 'HEAD' })).toMatchObject({
      status: 200,
      body: '',
      headers: { 'content-length': '6' },
    });
    expect(await get('/', { method: 'POST' })).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
    const first = await get('/style.css');
    const again = await get('/style.css', { headers: { 'if-modified-since': String(first.headers['last-modified']) } });
    expect(again).toMatchObject({ status: 304, body: '' });
  });

  it('gzips text for clients that accept it, and nothing for those that do not', async () => {
    const zipped = await get('/style.css', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(zipped).toMatchObject({
      status: 200,
      body: 'body{}',
      headers: { 'content-encoding': 'gzip', vary: 'accept-encoding' },
    });
    expect(zipped.headers['content-length']).toBeUndefined();
    expect((await get('/style.css')).headers['content-encoding']).toBeUndefined();
  });

  it('answers routes of a plain site with 404 and caches nothing for long', async () => {
    expect((await get('/some/route')).status).toBe(404);
    expect((await get('/style.css')).headers['cache-control']).toBe('no-cache');
  });

  it("with --built, caches hashed assets for a year, index.html not at all, and answers the app's routes with index.html", async () => {
    const asset = await get('/assets/index-BxQ2_a9k.js', { port: builtPort, headers: { 'accept-encoding': 'gzip' } });
    expect(asset).toMatchObject({
      status: 200,
      headers: {
        'cache-control': 'public, max-age=31536000, immutable',
        'content-encoding': 'gzip',
        'content-type': 'text/javascript; charset=utf-8',
      },
    });
    expect(asset.body).toContain('x'.repeat(2000));
    expect((await get('/favicon.svg', { port: builtPort })).headers['cache-control']).toBe('no-cache');
    for (const path of ['/', '/some/route']) {
      expect(await get(path, { port: builtPort })).toMatchObject({
        status: 200,
        body: expect.stringContaining('/assets/index-BxQ2_a9k.js'),
        headers: { 'cache-control': 'no-cache', 'content-type': 'text/html; charset=utf-8' },
      });
    }
    expect((await get('/assets/missing-Ab12Cd34.js', { port: builtPort })).status).toBe(404);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
