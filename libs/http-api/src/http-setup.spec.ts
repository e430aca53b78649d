import Fastify from 'fastify';
import { configureHttp } from './http-setup';

describe('configureHttp: CORS', () => {
  it('lets an allowed origin read the headers a script needs, and tells no other origin anything', async () => {
    const fastify = Fastify();
    await configureHttp(fastify, { CORS_ORIGINS: ['https://console.example'], SHUTDOWN_GRACE_MS: 1000 });
    fastify.get('/v1/thing', () => ({ ok: true }));
    try {
      const allowed = await fastify.inject({ url: '/v1/thing', headers: { origin: 'https://console.example' } });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://console.example');
      expect(String(allowed.headers['access-control-expose-headers']).split(', ')).toEqual(
        expect.arrayContaining(['x-request-id', 'x-command-status', 'retry-after', 'idempotent-replayed', 'location']),
      );
      const other = await fastify.inject({ url: '/v1/thing', headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      expect(other.headers['access-control-expose-headers']).toBeUndefined();
    } finally {
      await fastify.close();
    }
  });
});
