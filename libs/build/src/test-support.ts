import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { packDirectory } from '@platform/archive';
import { nodeBaseImage } from './base-images';

/** A small app for tests that deploy something; not exported from the package. */

/**
 * Answers `<VERSION> <Host header>`, `/health` with 200 (or 500 when HEALTHY=false), logs a line when it
 * listens, and closes gracefully on SIGTERM.
 */
export const TEST_APP_SERVER = `
const http = require('http');
const version = process.env.VERSION || 'unversioned';
const healthy = process.env.HEALTHY !== 'false';
const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.statusCode = healthy ? 200 : 500;
    res.end(healthy ? 'ok' : 'not ok');
    return;
  }
  res.setHeader('content-type', 'text/plain');
  res.end(version + ' ' + req.headers.host);
});
server.keepAliveTimeout = 65000;
const port = Number(process.env.PORT || 3000);
server.listen(port, () => console.log(version + ' listening on ' + port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Writes the test app (server.js and a Dockerfile FROM the local Node base image) into a directory. */
export async function writeTestApp(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'server.js'), TEST_APP_SERVER);
  await writeFile(join(dir, 'Dockerfile'), `FROM ${nodeBaseImage()}\nCOPY server.js /app/server.js\nEXPOSE 3000\nCMD ["node", "/app/server.js"]\n`);
}

/** A tar.gz of a directory. */
export async function tarGzOf(dir: string, file: string): Promise<string> {
  await pipeline(packDirectory(dir) as unknown as NodeJS.ReadableStream, createGzip(), createWriteStream(file));
  return file;
}
