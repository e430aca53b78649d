import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ArchiveContentTypes, DomainError, type BuildProgressLine } from '@platform/contracts';
import { agentServerName } from '@platform/agent-protocol';
import { PlatformCertificateAuthority } from '@platform/secrets';
import { AgentClient } from './client';

/** An agent that starts answering a build, then goes away mid-answer (as when its process restarts). */
let agent: Server;
let baseUrl: string;
let ca: string;
let authority: Awaited<ReturnType<typeof PlatformCertificateAuthority.generate>>['ca'];

beforeAll(async () => {
  authority = (await PlatformCertificateAuthority.generate()).ca;
  ca = authority.certificate;
  const issued = await authority.issueServerCertificate({ name: agentServerName('secret') });
  agent = createServer({ cert: issued.certificate, key: issued.privateKey }, (request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.url === '/v1/health') {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
        response.write('{"status":');
      } else {
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        response.write(`${JSON.stringify({ type: 'log', message: 'Step 1/4 : FROM platform/node:20' })}\n`);
      }
      setTimeout(() => request.socket.destroy(), 50);
    });
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  baseUrl = `https://127.0.0.1:${(agent.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => agent.close(resolve)));

describe('AgentClient', () => {
  it('says what was cut, after what, and what to do when a streamed answer stops half-way', async () => {
    const client = new AgentClient({ baseUrl, secret: 'secret', ca });
    const progress: BuildProgressLine[] = [];
    const failure = await client
      .buildImage(
        { repository: 'srv-1/web', tag: 'deploy_1', service: 'web' },
        { path: __filename, contentType: ArchiveContentTypes.tarGzip },
        (line) => progress.push(line),
      )
      .catch((error: unknown) => error);
    expect(progress).toEqual([{ type: 'log', message: 'Step 1/4 : FROM platform/node:20' }]);
    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).code).toBe('unavailable');
    expect((failure as DomainError).message).toMatch(
      new RegExp(
        `^the agent at ${baseUrl} stopped answering POST /v1/images/build \\d+ s in, after 1 progress lines \\(aborted\\): ` +
          'the agent restarted or the connection to it dropped; try again$',
      ),
    );
  });

  it('says so too when an answer that is not streamed stops half-way', async () => {
    const failure = await new AgentClient({ baseUrl, secret: 'secret', ca }).health().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).message).toMatch(
      new RegExp(
        `^the agent at ${baseUrl} stopped answering GET /v1/health \\d+ s in \\(aborted\\): ` +
          'the agent restarted or the connection to it dropped; try again$',
      ),
    );
  });

  it('waits out a streamed answer that is silent for longer than a socket idle timeout, as a quiet build step is', async () => {
    const issued = await authority.issueServerCertificate({ name: agentServerName('s') });
    const quiet = createServer({ cert: issued.certificate, key: issued.privateKey }, (request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        response.write(`${JSON.stringify({ type: 'log', message: 'Step 2/4 : RUN npm ci' })}\n`);
        setTimeout(
          () =>
            response.end(`${JSON.stringify({ type: 'result', image: 'srv-1/web:deploy_1', imageId: 'sha256:1' })}\n`),
          6500,
        );
      });
    });
    await new Promise<void>((resolve) => quiet.listen(0, '127.0.0.1', resolve));
    try {
      const client = new AgentClient({
        baseUrl: `https://127.0.0.1:${(quiet.address() as AddressInfo).port}`,
        secret: 's',
        ca,
      });
      const built = await client.buildImage(
        { repository: 'srv-1/web', tag: 'deploy_1', service: 'web' },
        { path: __filename, contentType: ArchiveContentTypes.tarGzip },
      );
      expect(built).toEqual({ image: 'srv-1/web:deploy_1', imageId: 'sha256:1' });
    } finally {
      await new Promise((resolve) => quiet.close(resolve));
    }
  }, 20_000);
});
