import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@platform/testing';
import { probeOverHttp, type WayIn } from './ways-in';

describe('asking a way in over HTTP', () => {
  let server: Server;
  let port: number;
  const hosts: string[] = [];

  beforeAll(async () => {
    // An edge: routes web.localhost, answers every other name as nginx's default server does.
    server = createServer((request, response) => {
      hosts.push(`${request.headers.host} ${request.url}`);
      if (request.headers.host === 'web.localhost') response.end('ok');
      else response.writeHead(404).end('<html><body><center><h1>404 Not Found</h1></center></body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const wayIn = (host: string, at = port): WayIn => ({ url: `http://${host}`, address: '127.0.0.1', port: at, host });

  it('names the service as Host and counts an answer below 400 as reached', async () => {
    expect(await probeOverHttp(wayIn('web.localhost'), '/ready')).toBeNull();
    expect(hosts).toContain('web.localhost /ready');
  });

  it('says what answered instead: the status and the words of its page', async () => {
    expect(await probeOverHttp(wayIn('other.localhost'), '/ready')).toBe('GET /ready answered 404 404 Not Found');
    expect(await probeOverHttp(wayIn('web.localhost', await freePort()), '/ready')).toMatch(
      /^GET \/ready failed: connect ECONNREFUSED/,
    );
  });
});
