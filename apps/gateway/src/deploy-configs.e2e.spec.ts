import { eventually } from '@platform/testing';
import { deployConfigFields, EventStreamReader, startStack, type Stack } from './test-support';

describe('deploy configs through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('configs');
  }, 60_000);
  afterAll(() => stack.stop(), 30_000);

  it('creates, reads, lists, updates and deletes a deploy config, each step visible on GET /v1/events', async () => {
    const { api } = stack;
    const alice = await api.signup('alice');
    const events = await EventStreamReader.open(stack.gateway.url, alice.token);
    expect(events.status).toBe(200);
    try {
      const created = await api.request<{ deployConfigId: string; commandId: string }>('POST', '/v1/deploy-configs', {
        token: alice.token,
        body: deployConfigFields('web to production'),
      });
      expect(created.status).toBe(202);
      const id = created.body.deployConfigId;
      const view = await eventually(async () => {
        const response = await api.request<{ name: string; version: number }>('GET', `/v1/deploy-configs/${id}`, {
          token: alice.token,
        });
        expect(response.status).toBe(200);
        return response.body;
      });
      expect(view).toMatchObject({ name: 'web to production', version: 1 });

      const list = await api.request<{ items: { id: string }[]; nextCursor: string | null }>(
        'GET',
        '/v1/deploy-configs?limit=10',
        { token: alice.token },
      );
      expect(list.body.items.map((item) => item.id)).toEqual([id]);
      expect(list.body.nextCursor).toBeNull();
      // Relayed as the deployer wrote it, still labelled as the JSON it is.
      expect(list.headers.get('content-type')).toBe('application/json; charset=utf-8');

      expect(
        (
          await api.request('PUT', `/v1/deploy-configs/${id}`, {
            token: alice.token,
            body: deployConfigFields('web to staging'),
          })
        ).status,
      ).toBe(202);
      await eventually(async () => {
        const response = await api.request<{ name: string }>('GET', `/v1/deploy-configs/${id}`, { token: alice.token });
        expect(response.body.name).toBe('web to staging');
      });
      expect((await api.request('DELETE', `/v1/deploy-configs/${id}`, { token: alice.token })).status).toBe(202);
      await eventually(async () =>
        expect((await api.request('GET', `/v1/deploy-configs/${id}`, { token: alice.token })).status).toBe(404),
      );
      expect((await api.request('DELETE', `/v1/deploy-configs/${id}`, { token: alice.token })).status).toBe(404);

      await eventually(() =>
        expect(events.events.map((e) => e.event)).toEqual([
          'DeployConfigCreated',
          'DeployConfigUpdated',
          'DeployConfigDeleted',
        ]),
      );
      const first = JSON.parse(events.events[0].data) as {
        eventId: string;
        data: { deployConfigId: string };
        metadata: { workspaceId: string; actorId: string };
      };
      expect(events.events[0].id).toBe(first.eventId);
      expect(first.data.deployConfigId).toBe(id);
      expect(first.metadata).toMatchObject({ workspaceId: alice.workspaceId, actorId: alice.userId });
    } finally {
      await events.close();
    }
  });
});
