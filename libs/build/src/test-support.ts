import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import Dockerode from 'dockerode';
import { packDirectory } from '@platform/archive';
import { eventually } from '@platform/testing';
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
  await writeFile(
    join(dir, 'Dockerfile'),
    `FROM ${nodeBaseImage()}\nCOPY server.js /app/server.js\nEXPOSE 3000\nCMD ["node", "/app/server.js"]\n`,
  );
}

/** A tar.gz of a directory. */
export async function tarGzOf(dir: string, file: string): Promise<string> {
  await pipeline(packDirectory(dir) as unknown as NodeJS.ReadableStream, createGzip(), createWriteStream(file));
  return file;
}

// ---- the real Docker engine, for integration tests ---------------------------------------------------------

export const docker = new Dockerode({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });

/**
 * Builds `image` from a build context (a tar stream, gzip-compressed or not); resolves with the builder's output.
 * Without the layer cache: a cached intermediate image is shared with other images, and a test removing one of
 * those at the same moment removes it too, failing this build with "unknown parent image ID".
 */
export async function buildImage(context: NodeJS.ReadableStream, image: string, dockerfile: string): Promise<string[]> {
  const stream = await docker.buildImage(context, { t: image, dockerfile, rm: true, forcerm: true, nocache: true });
  const output = await new Promise<Array<{ stream?: string; error?: string }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, result: Array<{ stream?: string; error?: string }>) =>
      error ? reject(error) : resolve(result),
    );
  });
  const failure = output.find((line) => line.error);
  if (failure)
    throw new Error(`the build failed: ${failure.error}\n${output.map((line) => line.stream ?? '').join('')}`);
  return output.map((line) => line.stream ?? '');
}

/** Starts a container of `image` with its `port` published on a free port of 127.0.0.1; resolves with that port. */
export async function runPublished(
  image: string,
  port: number,
  env: string[] = [],
): Promise<{ container: Dockerode.Container; hostPort: string }> {
  const container = await docker.createContainer({
    Image: image,
    Env: env,
    ExposedPorts: { [`${port}/tcp`]: {} },
    HostConfig: { PortBindings: { [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  await container.start();
  const hostPort = (await container.inspect()).NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort;
  if (!hostPort || !/^\d+$/.test(hostPort)) throw new Error(`the container's port ${port} was not published`);
  return { container, hostPort };
}

/** The JSON `url` answers with once it answers 2xx, retried for up to `timeoutMs`. */
export function eventuallyJson(url: string, timeoutMs = 20_000): Promise<unknown> {
  return eventually(
    async () => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      const body: unknown = await response.json();
      return body;
    },
    timeoutMs,
    200,
  );
}

/** Removes a container and an image, ignoring what is already gone. */
export async function removeContainerAndImage(
  container: Dockerode.Container | undefined,
  image: string,
): Promise<void> {
  await container?.remove({ force: true }).catch(() => undefined);
  await docker
    .getImage(image)
    .remove({ force: true })
    .catch(() => undefined);
}
