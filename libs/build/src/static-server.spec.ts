import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@platform/testing';

let scratch: string;
let server: ChildProcess;
let port: number;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent exactly as written (no client-side normalisation of "..", "%2e"). */
function get(path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
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

  port = await freePort();
  server = spawn(process.execPath, [join(__dirname, 'static-server.js'), site], {
    env: { PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(server.stdout!, 'data')) as [Buffer];
  expect(line.toString()).toContain(`on port ${port}`);
});
afterAll(async () => {
  if (server.exitCode === null) {
    server.kill('SIGKILL');
    await once(server, 'exit');
  }
  await rm(scratch, { recursive: true, force: true });
});

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

  it('stops on SIGTERM with exit code 0', async () => {
    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
