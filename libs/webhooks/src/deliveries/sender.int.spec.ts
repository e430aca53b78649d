import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolveHost } from '@platform/outbound';
import { sendAttempt } from './sender';

/** A receiver on loopback answering every request with `status` and `headers`, counting what reached it. */
async function receiver(status: number, headers: Record<string, string> = {}, body = 'ok') {
  let requests = 0;
  const server: Server = createServer((_request, response) => {
    requests++;
    response.writeHead(status, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const resolvingTo =
  (address: string): ResolveHost =>
  async () => [address];

describe('sendAttempt', () => {
  it('refuses a name that resolves inside at delivery time, and connects nowhere', async () => {
    const target = await receiver(200);
    try {
      // Allowed when saved (loopback, by the development setting); by now DNS says 10.0.0.1.
      const outcome = await sendAttempt(`http://hooks.example.com:${target.port}/`, {}, '{}', {
        allowLoopbackHttp: true,
        resolve: resolvingTo('10.0.0.1'),
        timeoutMs: 2000,
      });
      expect(outcome.error).toBe('hooks.example.com refused: private address');
      expect(outcome.status).toBeUndefined();
      expect(target.requests()).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('connects to the address checked, whatever the name, with the name as Host', async () => {
    let host: string | undefined;
    const server = createServer((request, response) => {
      host = request.headers.host;
      response.end('seen');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const outcome = await sendAttempt(`http://hooks.example.com:${port}/in`, {}, '{}', {
        allowLoopbackHttp: true,
        resolve: resolvingTo('127.0.0.1'),
        timeoutMs: 2000,
      });
      expect(outcome).toMatchObject({ status: 200, responseBody: 'seen' });
      expect(host).toBe(`hooks.example.com:${port}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('follows no redirect: a 3xx is the answer', async () => {
    const target = await receiver(302, { location: 'http://169.254.169.254/latest/meta-data' });
    try {
      const outcome = await sendAttempt(`http://127.0.0.1:${target.port}/`, {}, '{}', {
        allowLoopbackHttp: true,
        timeoutMs: 2000,
      });
      expect(outcome.status).toBe(302);
      expect(target.requests()).toBe(1);
    } finally {
      await target.close();
    }
  });

  it('keeps the first 1 KB of the answer and its Retry-After', async () => {
    const target = await receiver(503, { 'retry-after': '120' }, 'x'.repeat(5000));
    try {
      const outcome = await sendAttempt(`http://127.0.0.1:${target.port}/`, {}, '{}', {
        allowLoopbackHttp: true,
        timeoutMs: 2000,
      });
      expect(outcome).toMatchObject({ status: 503, retryAfter: '120' });
      expect(outcome.responseBody).toHaveLength(1024);
    } finally {
      await target.close();
    }
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const outcome = await sendAttempt(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, {}, '{}', {
        allowLoopbackHttp: true,
        timeoutMs: 300,
      });
      expect(outcome.error).toBe('no answer within 300 ms');
      expect(outcome.status).toBeUndefined();
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('refuses http:// to this machine without the development setting', async () => {
    const outcome = await sendAttempt('http://127.0.0.1:9/', {}, '{}', { allowLoopbackHttp: false, timeoutMs: 500 });
    expect(outcome.error).toBe('127.0.0.1 refused: private address');
  });
});
