import { randomUUID } from 'node:crypto';
import { answerOf, eventually, expectRefusal } from '@platform/testing';
import { deployConfigFields, EventStreamReader, startStack, type Stack } from './test-support';

/** GET /v1/events: resuming, replaying, filtering, the per-workspace cap, and streams that lose their access. */
describe('live events through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('events', { SSE_MAX_STREAMS_PER_WORKSPACE: '3' });
  }, 60_000);
  afterAll(() => stack.stop(), 30_000);

  it('resumes after a disconnect with Last-Event-ID: what was missed, once, then live', async () => {
    const { api } = stack;
    const bob = await api.signup('bob');
    const create = async (name: string) => {
      const response = await api.request<{ deployConfigId: string }>('POST', '/v1/deploy-configs', {
        token: bob.token,
        body: deployConfigFields(name),
      });
      expect(response.status).toBe(202);
      return response.body.deployConfigId;
    };
    const first = await EventStreamReader.open(stack.gateway.url, bob.token);
    await create('one');
    await create('two');
    await eventually(() => expect(first.events).toHaveLength(2));
    await first.close();
    const lastSeen = first.events[1].id as string;

    const missed = [await create('three'), await create('four')];
    // Give the gateway's feed time to record them, as a real client would reconnect later.
    await eventually(async () => {
      const { rows } = await stack.db.pool.query(
        `SELECT count(*)::int AS n FROM ${stack.schemas.gateway}.event_feed WHERE workspace_id = $1`,
        [bob.workspaceId],
      );
      expect(rows[0].n).toBe(4);
    });
    const resumed = await EventStreamReader.open(stack.gateway.url, bob.token, '', lastSeen);
    try {
      const live = await create('five');
      await eventually(() => expect(resumed.events).toHaveLength(3));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ids = resumed.events.map(
        (e) => (JSON.parse(e.data) as { data: { deployConfigId: string } }).data.deployConfigId,
      );
      expect(ids).toEqual([...missed, live]);
      expect(new Set(resumed.events.map((e) => e.id)).size).toBe(3);
      await eventually(() => expect(resumed.comments).toContain('heartbeat'));
    } finally {
      await resumed.close();
    }

    const bogus = await EventStreamReader.open(stack.gateway.url, bob.token, '', randomUUID());
    expect(bogus.status).toBe(400);
  });

  it('starts a new client with the last events it asks for, then live; Last-Event-ID takes precedence', async () => {
    const { api } = stack;
    const erin = await api.signup('erin');
    const ids: string[] = [];
    for (const name of ['r1', 'r2', 'r3']) {
      const response = await api.request<{ deployConfigId: string }>('POST', '/v1/deploy-configs', {
        token: erin.token,
        body: deployConfigFields(name),
      });
      ids.push(response.body.deployConfigId);
      await eventually(async () =>
        expect(
          (await api.request('GET', `/v1/deploy-configs/${response.body.deployConfigId}`, { token: erin.token }))
            .status,
        ).toBe(200),
      );
    }
    await eventually(async () => {
      const { rows } = await stack.db.pool.query(
        `SELECT count(*)::int AS n FROM ${stack.schemas.gateway}.event_feed WHERE workspace_id = $1`,
        [erin.workspaceId],
      );
      expect(rows[0].n).toBe(3);
    });
    const configIdOf = (event: { data: string }) =>
      (JSON.parse(event.data) as { data: { deployConfigId: string } }).data.deployConfigId;

    const lastTwo = await EventStreamReader.open(stack.gateway.url, erin.token, '?replay=2');
    const all = await EventStreamReader.open(stack.gateway.url, erin.token, '?replay=500');
    try {
      await eventually(() => expect(lastTwo.events).toHaveLength(2));
      await eventually(() => expect(all.events).toHaveLength(3));
      expect(lastTwo.events.map(configIdOf)).toEqual(ids.slice(1));
      expect(all.events.map(configIdOf)).toEqual(ids);
      const live = await api.request<{ deployConfigId: string }>('POST', '/v1/deploy-configs', {
        token: erin.token,
        body: deployConfigFields('r4'),
      });
      await eventually(() =>
        expect(lastTwo.events.map(configIdOf)).toEqual([...ids.slice(1), live.body.deployConfigId]),
      );
    } finally {
      await lastTwo.close();
      await all.close();
    }
    const resumed = await EventStreamReader.open(stack.gateway.url, erin.token, '?replay=3', all.events[2]?.id);
    try {
      await eventually(() => expect(resumed.events).toHaveLength(1));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(resumed.events).toHaveLength(1);
    } finally {
      await resumed.close();
    }
    expect((await EventStreamReader.open(stack.gateway.url, erin.token, '?replay=501')).status).toBe(400);
    expect((await EventStreamReader.open(stack.gateway.url, erin.token, '?replay=0')).status).toBe(400);
  });

  it('filters by type and never shows another workspace its events', async () => {
    const { api } = stack;
    const carol = await api.signup('carol');
    const dave = await api.signup('dave');
    const carolDeletes = await EventStreamReader.open(stack.gateway.url, carol.token, '?types=DeployConfigDeleted');
    const daveAll = await EventStreamReader.open(stack.gateway.url, dave.token);
    try {
      const created = await api.request<{ deployConfigId: string }>('POST', '/v1/deploy-configs', {
        token: carol.token,
        body: deployConfigFields('carol'),
      });
      await eventually(async () =>
        expect(
          (await api.request('GET', `/v1/deploy-configs/${created.body.deployConfigId}`, { token: carol.token }))
            .status,
        ).toBe(200),
      );
      await api.request('DELETE', `/v1/deploy-configs/${created.body.deployConfigId}`, { token: carol.token });
      await eventually(() => expect(carolDeletes.events).toHaveLength(1));
      expect(carolDeletes.events[0].event).toBe('DeployConfigDeleted');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(daveAll.events).toEqual([]);
      expect((await EventStreamReader.open(stack.gateway.url, dave.token, '?types=not-a-type!')).status).toBe(400);
    } finally {
      await carolDeletes.close();
      await daveAll.close();
    }
  });
  it('holds a workspace to its most event streams at once, opened together or not, leaving other workspaces theirs', async () => {
    const { api } = stack;
    const url = stack.gateway.url;
    const frank = await api.signup('frank');
    const grace = await api.signup('grace');
    const readers = await Promise.all(Array.from({ length: 5 }, () => EventStreamReader.open(url, frank.token)));
    try {
      expect(readers.map((reader) => reader.status).sort()).toEqual([200, 200, 200, 429, 429]);
      const refused = await fetch(`${url}/v1/events`, {
        headers: { authorization: `Bearer ${frank.token}`, accept: 'text/event-stream' },
      });
      const error = expectRefusal(await answerOf(refused), { status: 429, code: 'rate_limited' });
      expect(error.details).toMatchObject([{ openStreams: 3, limit: 3 }]);

      const graces = await EventStreamReader.open(url, grace.token);
      expect(graces.status).toBe(200);
      await graces.close();

      await readers.find((reader) => reader.status === 200)?.close();
      const again = await eventually(async () => {
        const reader = await EventStreamReader.open(url, frank.token);
        if (reader.status !== 200) throw new Error(`still refused: ${reader.status}`);
        return reader;
      });
      await again.close();
    } finally {
      await Promise.all(readers.map((reader) => reader.close()));
    }
  });
  it('ends a stream once its credential loses access (a member removed, a token revoked, a session logged out), telling why', async () => {
    const { api } = stack;
    const url = stack.gateway.url;
    const owner = await api.signup('henry');
    const member = await api.signup('iris');
    const added = await api.request('POST', `/v1/workspaces/${owner.workspaceId}/members`, {
      token: owner.token,
      body: { email: member.email, role: 'viewer' },
    });
    expect(added.status).toBe(201);
    const endedWith = async (reader: EventStreamReader) =>
      eventually(() => {
        const error = reader.events.find((event) => event.event === 'error');
        if (!error) throw new Error('the stream has not ended');
        return (JSON.parse(error.data) as { error: { code: string } }).error.code;
      });
    const configCreated = (reader: EventStreamReader) =>
      reader.events.filter((event) => event.event === 'DeployConfigCreated').length;

    const removed = await EventStreamReader.open(url, member.token, '', undefined, {
      'x-workspace-id': owner.workspaceId,
    });
    const staying = await EventStreamReader.open(url, owner.token);
    try {
      expect([removed.status, staying.status]).toEqual([200, 200]);
      expect(
        (
          await api.request('DELETE', `/v1/workspaces/${owner.workspaceId}/members/${member.userId}`, {
            token: owner.token,
          })
        ).status,
      ).toBe(204);
      expect(await endedWith(removed)).toBe('not_found');
      expect(
        (
          await api.request('POST', '/v1/deploy-configs', {
            token: owner.token,
            body: deployConfigFields('after the removal'),
          })
        ).status,
      ).toBe(202);
      await eventually(() => expect(configCreated(staying)).toBe(1));
      expect(configCreated(removed)).toBe(0);
    } finally {
      await Promise.all([removed.close(), staying.close()]);
    }

    const created = await api.request<{ id: string; token: string }>('POST', '/v1/api-tokens', {
      token: owner.token,
      body: { name: 'feed', scopes: ['read'] },
    });
    const byToken = await EventStreamReader.open(url, created.body.token);
    try {
      expect(byToken.status).toBe(200);
      expect((await api.request('DELETE', `/v1/api-tokens/${created.body.id}`, { token: owner.token })).status).toBe(
        204,
      );
      expect(await endedWith(byToken)).toBe('unauthorized');
    } finally {
      await byToken.close();
    }

    const session = await api.request<{ token: string }>('POST', '/v1/auth/login', {
      body: { email: owner.email, password: owner.password },
    });
    const bySession = await EventStreamReader.open(url, session.body.token);
    const byOtherSession = await EventStreamReader.open(url, owner.token);
    try {
      expect((await api.request('POST', '/v1/auth/logout', { token: session.body.token })).status).toBe(204);
      expect(await endedWith(bySession)).toBe('unauthorized');
      // The user's other sessions keep their streams.
      expect(
        (
          await api.request('POST', '/v1/deploy-configs', {
            token: owner.token,
            body: deployConfigFields('after the logout'),
          })
        ).status,
      ).toBe(202);
      await eventually(() => expect(configCreated(byOtherSession)).toBe(1));
      expect(byOtherSession.events.some((event) => event.event === 'error')).toBe(false);
    } finally {
      await Promise.all([bySession.close(), byOtherSession.close()]);
    }
  });
});
