// The file server of static sites the platform builds without a Dockerfile of their own, copied into their
// image (see dockerfile.ts):   node static-server.js <site directory> [--built]     listening on $PORT (default 3000)
// GET and HEAD only; a directory serves its index.html; names starting with "." (but .well-known) are never
// served; nothing outside the site directory is reachable, through links neither. Text is gzipped for clients
// that accept it. Stops gracefully on SIGTERM.
// --built: the site is a bundler's output (Vite, Create React App, Astro…): a path naming no file is a route of
// the single-page app and gets index.html, and files with a content hash in their name are cached for a year.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');

const root = fs.realpathSync(path.resolve(process.argv[2] || '.'));
const built = process.argv.includes('--built');
const port = Number(process.env.PORT || 3000);

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
};

/** Worth compressing; images, fonts and video already are. */
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json|xml|wasm)|image\/svg\+xml)/;

/**
 * A bundler's content-hashed name, which changes whenever the content does: Vite's index-BxQ2_a9k.js, Create
 * React App's 787.3f2a1b4c.chunk.js. The hash has a digit or a capital, so that names like my-component.js are not one.
 */
const HASHED_NAME = /[.-](?=[A-Za-z0-9_-]*[0-9A-Z])[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9]+)+$/;

function inside(real) {
  return real === root || real.startsWith(root + path.sep);
}

/** The regular file a request path names, with its stat; a directory's index.html; null for anything else. */
async function resolve(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((segment) => segment.startsWith('.') && segment !== '.well-known')) return null;
  let real;
  try {
    real = await fs.promises.realpath(path.join(root, ...segments));
    if (!inside(real)) return null;
    let info = await fs.promises.stat(real);
    if (info.isDirectory()) {
      // Rebuilt from the checked segments, so the location can never read as another host ("//host/").
      if (!pathname.endsWith('/')) return { redirect: `/${segments.map(encodeURIComponent).join('/')}/` };
      real = await fs.promises.realpath(path.join(real, 'index.html'));
      if (!inside(real)) return null;
      info = await fs.promises.stat(real);
    }
    return info.isFile() ? { file: real, info } : null;
  } catch {
    return null;
  }
}

function answer(response, status, text, headers = {}) {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

async function handle(request, response) {
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return answer(response, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  const url = new URL(request.url, 'http://site');
  let found = await resolve(url.pathname);
  // A route of a single-page app names no file; a missing asset (it has an extension) stays a 404.
  if (!found && built && !path.extname(url.pathname)) found = await resolve('/');
  if (!found) return answer(response, 404, 'not found\n');
  if (found.redirect) return answer(response, 301, 'moved\n', { location: found.redirect + url.search });
  const modified = found.info.mtime.toUTCString();
  const type = TYPES[path.extname(found.file).toLowerCase()] || 'application/octet-stream';
  const compressible = COMPRESSIBLE.test(type);
  const headers = {
    'content-type': type,
    'last-modified': modified,
    // index.html names the hashed files of the current build, so it is checked again on every visit.
    'cache-control': built && HASHED_NAME.test(found.file) ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    ...(compressible ? { vary: 'accept-encoding' } : {}),
  };
  const since = request.headers['if-modified-since'];
  if (since && Date.parse(since) >= Math.floor(found.info.mtimeMs / 1000) * 1000) {
    response.writeHead(304, headers);
    return response.end();
  }
  const gzip = compressible && /\bgzip\b/.test(request.headers['accept-encoding'] || '');
  response.writeHead(
    200,
    gzip ? { ...headers, 'content-encoding': 'gzip' } : { ...headers, 'content-length': found.info.size },
  );
  if (request.method === 'HEAD') return response.end();
  const file = fs.createReadStream(found.file).on('error', () => response.destroy());
  if (!gzip) return file.pipe(response);
  file
    .pipe(zlib.createGzip())
    .on('error', () => response.destroy())
    .pipe(response);
}

const server = http.createServer((request, response) => {
  handle(request, response).catch(() => {
    if (response.headersSent) response.destroy();
    else answer(response, 500, 'internal error\n');
  });
});
// Longer than the proxies in front keep idle connections, so that they never reuse one this side closed.
server.keepAliveTimeout = 65_000;
server.listen(port, () => console.log(`serving ${root} on port ${port}`));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
