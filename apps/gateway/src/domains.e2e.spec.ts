import { eventually, expectRefusal } from '@platform/testing';
import { EventStreamReader, startStack, type ApiClient, type Stack } from './test-support';

async function serviceOf(api: ApiClient, token: string, name: string): Promise<string> {
  const project = await api.request<{ projectId: string }>('POST', '/v1/projects', { token, body: { name } });
  expect(project.status).toBe(202);
  const service = await api.request<{ serviceId: string }>('POST', `/v1/projects/${project.body.projectId}/services`, {
    token,
    body: { name, port: 3000 },
  });
  expect(service.status).toBe(202);
  return service.body.serviceId;
}

describe('domains through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('domains');
  }, 60_000);
  afterAll(() => stack.stop(), 30_000);

  it('adds, lists, reads and removes a domain, each step on GET /v1/events; refuses bad input changing nothing', async () => {
    const { api } = stack;
    const alice = await api.signup('alice');
    const bob = await api.signup('bob');
    const suffix = Math.random().toString(36).slice(2, 8);
    const aliceService = await serviceOf(api, alice.token, `shop-${suffix}`);
    const bobService = await serviceOf(api, bob.token, `blog-${suffix}`);
    const events = await EventStreamReader.open(
      stack.gateway.url,
      alice.token,
      '?types=DomainAdded,DomainRemovalRequested',
    );
    const hostname = `Store-${suffix}.localhost`;
    try {
      const added = await api.request<{ domainId: string }>('POST', `/v1/services/${aliceService}/domains`, {
        token: alice.token,
        body: { hostname },
      });
      expect(added.status).toBe(202);
      const { domainId } = added.body;
      const view = await api.request('GET', `/v1/services/${aliceService}/domains/${domainId}`, { token: alice.token });
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({
        id: domainId,
        serviceId: aliceService,
        hostname: hostname.toLowerCase(),
        proxied: false,
        certificateMethod: 'acme',
      });
      const list = await api.request<{ items: { id: string }[] }>('GET', `/v1/services/${aliceService}/domains`, {
        token: alice.token,
      });
      expect(list.body.items.map((item) => item.id)).toEqual([domainId]);

      const refusals: [string, unknown, number, string, RegExp?][] = [
        ['spaces', { hostname: 'my shop.example.com' }, 400, 'validation_failed', /spaces/],
        ['double dot', { hostname: 'shop..example.com' }, 400, 'validation_failed', /empty label/],
        ['trailing dot', { hostname: 'shop.example.com.' }, 400, 'validation_failed', /dot/],
        ['300 characters', { hostname: `${'a'.repeat(59)}.`.repeat(5) + 'com' }, 400, 'validation_failed', /253/],
        ['two wildcards', { hostname: '*.*.x' }, 400, 'validation_failed', /wildcard/],
        ['an IP address', { hostname: '10.0.0.1' }, 400, 'validation_failed', /IP address/],
        ['an unknown field', { hostname: 'a.example.com', zone: 'x' }, 400, 'validation_failed'],
        ['in use by this workspace', { hostname }, 409, 'name_taken', /already a domain/],
        ['no DNS provider', { hostname: `shop-${suffix}.example.com` }, 422, 'domain_not_covered', /Cloudflare/],
        ['a proxied .localhost', { hostname: `p-${suffix}.localhost`, proxied: true }, 422, 'domain_not_covered'],
      ];
      for (const [name, body, status, code, message] of refusals) {
        const answer = await api.request('POST', `/v1/services/${aliceService}/domains`, { token: alice.token, body });
        // The reason is the message, or a field's in the details for a body off its schema.
        const error = expectRefusal(answer, { case: name, status, code });
        if (message)
          expect({ case: name, error: JSON.stringify(error) }).toEqual({
            case: name,
            error: expect.stringMatching(message),
          });
      }
      // Another workspace: the hostname is taken, and alice's service does not exist for bob.
      expectRefusal(
        await api.request('POST', `/v1/services/${bobService}/domains`, { token: bob.token, body: { hostname } }),
        { status: 409, code: 'name_taken' },
      );
      expectRefusal(
        await api.request('POST', `/v1/services/${aliceService}/domains`, {
          token: bob.token,
          body: { hostname: `other-${suffix}.localhost` },
        }),
        { status: 404, code: 'not_found' },
      );
      expectRefusal(await api.request('GET', `/v1/services/${bobService}/domains/${domainId}`, { token: bob.token }), {
        status: 404,
        code: 'not_found',
      });
      // Nothing of those refusals was stored: alice's service still has its one domain.
      const after = await api.request<{ items: { id: string }[] }>('GET', `/v1/services/${aliceService}/domains`, {
        token: alice.token,
      });
      expect(after.body.items.map((item) => item.id)).toEqual([domainId]);

      const removed = await api.request('DELETE', `/v1/services/${aliceService}/domains/${domainId}`, {
        token: alice.token,
      });
      expect(removed.status).toBe(202);
      await eventually(async () => {
        const types = events.events.map((event) => JSON.parse(event.data) as { type: string });
        expect(types.map((event) => event.type)).toEqual(['DomainAdded', 'DomainRemovalRequested']);
      });
      // Once removed, the hostname is free again, for another workspace too.
      await eventually(async () => {
        const answer = await api.request('POST', `/v1/services/${bobService}/domains`, {
          token: bob.token,
          body: { hostname },
        });
        expect(answer.status).toBe(202);
      }, 15_000);
    } finally {
      await events.close();
    }
  }, 90_000);
});
