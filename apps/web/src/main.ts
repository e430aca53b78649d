/**
 * Serves the console's production build, started like the platform's other apps: bundled by `npm start`
 * (dist/platform/web.js, see scripts/bundle-platform.js), or from its source by tests:
 *   node -r ./scripts/register.js apps/web/src/main.ts
 * It builds the console first when the build is missing or older than its sources (a fresh clone, a pull),
 * and answers `/readyz` once it serves.
 *
 * Settings: WEB_HOST, WEB_PORT (127.0.0.1, 3000); GATEWAY_URL, the API it forwards `/v1` to (default: the
 * gateway on this machine, at GATEWAY_PORT or 8080); NEXT_DIST_DIR, the build directory (dist/console);
 * TRUST_PROXY, the addresses of proxies in front of it whose `X-Forwarded-Proto: https` it believes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
// Not `import next from 'next'`: that entry also declares Next.js's globals (a required NODE_ENV), which
// would leak into the type check of the whole repository (the root tsconfig includes this file).
import type nextServer from 'next/dist/server/next';

const webRoot = path.resolve(__dirname, '..');
const repoRoot = path.resolve(webRoot, '../..');

function fail(message: string): never {
  console.error(`the console could not start: ${message}`);
  process.exit(1);
}

function settings() {
  const port = Number(process.env.WEB_PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(`WEB_PORT must be a port number, not "${process.env.WEB_PORT}"`);
  const gatewayUrl = process.env.GATEWAY_URL ?? `http://127.0.0.1:${process.env.GATEWAY_PORT ?? 8080}`;
  if (!URL.canParse(gatewayUrl)) fail(`GATEWAY_URL must be a URL such as http://127.0.0.1:8080, not "${gatewayUrl}"`);
  return {
    host: process.env.WEB_HOST ?? '127.0.0.1',
    port,
    gatewayUrl,
    distDir: process.env.NEXT_DIST_DIR ?? 'dist/console',
    // The proxies in front of the console (a TLS proxy) whose X-Forwarded-Proto says how the browser connected.
    trustedProxies: new Set(
      (process.env.TRUST_PROXY ?? '')
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
    ),
  };
}

/**
 * Whether the browser reached the console over HTTPS: only a proxy named in TRUST_PROXY may say so (its last
 * `X-Forwarded-Proto`); anyone else's header is replaced by what this plain-HTTP server knows.
 */
function cameOverHttps(request: IncomingMessage, trustedProxies: ReadonlySet<string>): boolean {
  const peer = (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const said = request.headers['x-forwarded-proto'];
  const proto = typeof said === 'string' && trustedProxies.has(peer) ? said.split(',').pop()?.trim() : 'http';
  return proto === 'https';
}

function modifiedAt(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

function newestIn(directory: string): number {
  let newest = -1;
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, modifiedAt(path.join(entry.parentPath, entry.name)));
  }
  return newest;
}

/** What the build is made of: the console's sources and config, and the contracts it imports. */
function newestSource(): number {
  return Math.max(
    newestIn(path.join(webRoot, 'src')),
    newestIn(path.join(repoRoot, 'libs/contracts/src')),
    modifiedAt(path.join(webRoot, 'next.config.ts')),
    modifiedAt(path.join(webRoot, 'package.json')),
  );
}

function buildIfStale(distDir: string): void {
  if (modifiedAt(path.join(webRoot, distDir, 'BUILD_ID')) >= newestSource()) return;
  console.log('… building the console (next build; a minute at most, once)');
  const build = spawnSync(process.execPath, [require.resolve('next/dist/bin/next', { paths: [webRoot] }), 'build'], {
    cwd: webRoot,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (build.status !== 0) fail(`next build failed (exit ${build.status ?? build.signal}); its output above says why`);
}

/**
 * Next.js from the build's standalone output (`output: 'standalone'`): the server files it traced, and its
 * settings as built, so that it loads neither next.config.ts nor its compilers at start (about 100 MB less).
 * Its browser files stay where the build put them.
 */
function standaloneNext(distDir: string): { next: typeof nextServer; dir: string } {
  const build = path.join(webRoot, distDir);
  const dir = path.join(build, 'standalone', path.relative(repoRoot, webRoot));
  const staticFiles = path.join(dir, distDir, 'static');
  if (!existsSync(staticFiles)) symlinkSync(path.join(build, 'static'), staticFiles);
  const { config } = JSON.parse(readFileSync(path.join(build, 'required-server-files.json'), 'utf8')) as {
    config: object;
  };
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(config);
  const fromBuild = createRequire(path.join(dir, 'server.js'));
  return { next: fromBuild('next/dist/server/next') as typeof nextServer, dir };
}

async function main(): Promise<void> {
  const { host, port, gatewayUrl, distDir, trustedProxies } = settings();
  // Read per request by the proxy (`/v1/*`) and by server components.
  process.env.GATEWAY_URL = gatewayUrl;
  process.env.NEXT_DIST_DIR = distDir;
  buildIfStale(distDir);

  const { next, dir } = standaloneNext(distDir);
  const app = next({ dev: false, dir, hostname: host, port });
  const handle = app.getRequestHandler();
  await app.prepare();
  const server = createServer((request, response) => {
    if (request.url === '/readyz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
      return;
    }
    // Next.js passes a client's X-Forwarded-For on to the gateway as it came; this makes it say who actually
    // connected, so the gateway can tell callers apart (rate limits) once it trusts the console's address.
    request.headers['x-forwarded-for'] = request.socket.remoteAddress ?? '';
    // The same for HTTPS: the gateway makes the session cookie Secure (and sends HSTS) when this says https.
    const https = cameOverHttps(request, trustedProxies);
    request.headers['x-forwarded-proto'] = https ? 'https' : 'http';
    // Next.js tells the browser where it forwarded a request (x-middleware-rewrite: the gateway's internal
    // address); nobody outside needs that.
    const writeHead = response.writeHead.bind(response);
    response.writeHead = ((...args: Parameters<typeof response.writeHead>) => {
      response.removeHeader('x-middleware-rewrite');
      if (https) response.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
      return writeHead(...args);
    }) as typeof response.writeHead;
    handle(request, response).catch((error: unknown) => {
      console.error('request failed', request.url, error);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  console.log(`\nConsole: http://${host}:${port} (API at ${gatewayUrl})\n`);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
