import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookDeliveryView, WebhookView } from '@platform/contracts';
import { eventually } from '@platform/testing';
import { Webhook } from 'standardwebhooks';
import { startGateway } from './start-gateway';
import { EventStreamReader, startStack, type Stack } from './test-support';

interface Received {
  readonly at: number;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Answer = number | { status: number; headers: Record<string, string> };

/** A receiving endpoint on loopback: records every request and answers each path as told (200 by default). */
class Receiver {
  readonly received: Received[] = [];
  private readonly answers = new Map<string, Answer[]>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        receiver.received.push({
          at: Date.now(),
          path,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const next = receiver.answers.get(path)?.shift() ?? 200;
        const { status, headers } = typeof next === 'number' ? { status: next, headers: {} } : next;
        response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(`answered ${status}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The next answers to requests on `path`, in order; 200 once they run out. */
  answer(path: string, ...statuses: Answer[]): void {
    this.answers.set(path, statuses);
  }

  on(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// Retries within seconds: at once, 0.5 s, 3 s (long enough to kill the sender in between), then 0.5 s; an endpoint
// failing every attempt for 6 s (5 days by default) is disabled.
const RETRY_SCHEDULE = '0,500,3000,500';
const DISABLE_AFTER_FAILING_MS = 6000;

describe('webhooks', () => {
  let stack: Stack;
  let receiver: Receiver;
  let token: string;
  let workspaceId: string;

  beforeAll(async () => {
    receiver = await Receiver.start();
    stack = await startStack(
      'webhooks',
      {},
      {},
      {
        webhooks: {
          WEBHOOKS_RETRY_SCHEDULE: RETRY_SCHEDULE,
          WEBHOOKS_DISABLE_AFTER_FAILING_MS: String(DISABLE_AFTER_FAILING_MS),
        },
      },
    );
    ({ token, workspaceId } = await stack.api.signup('hooks'));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  async function createWebhook(path: string, eventTypes = ['DeploymentSucceeded']) {
    const created = await stack.api.request<{ webhookId: string; secret: string }>('POST', '/v1/webhooks', {
      token,
      body: { url: receiver.url(path), eventTypes, description: path },
    });
    expect(created.status).toBe(202);
    expect(created.body.secret).toMatch(/^whsec_/);
    return created.body;
  }

  const deliveries = async (webhookId: string) =>
    (
      await stack.api.request<{ items: WebhookDeliveryView[] }>('GET', `/v1/webhooks/${webhookId}/deliveries`, {
        token,
      })
    ).body.items;

  const sendTest = async (webhookId: string) =>
    expect((await stack.api.request('POST', `/v1/webhooks/${webhookId}/test`, { token })).status).toBe(202);

  it('creates an endpoint whose secret is shown once and never again', async () => {
    const { webhookId, secret } = await createWebhook('/created');
    const view = await stack.api.request<WebhookView>('GET', `/v1/webhooks/${webhookId}`, { token });
    expect(view.body).toMatchObject({
      url: receiver.url('/created'),
      eventTypes: ['DeploymentSucceeded'],
      enabled: true,
    });
    const list = await stack.api.request('GET', '/v1/webhooks', { token });
    expect(JSON.stringify([view.body, list.body])).not.toContain(secret.slice(6));
  });

  it('refuses URLs that reach inside, and event types that are not public, changing nothing', async () => {
    for (const url of ['https://10.0.0.1/hook', 'https://169.254.169.254/latest/meta-data', 'ftp://example.com/x']) {
      const refused = await stack.api.request('POST', '/v1/webhooks', {
        token,
        body: { url, eventTypes: ['DeploymentSucceeded'] },
      });
      expect([refused.status, refused.body]).toEqual([
        400,
        expect.objectContaining({ error: expect.objectContaining({ code: 'validation_failed' }) }),
      ]);
    }
    const unknownType = await stack.api.request('POST', '/v1/webhooks', {
      token,
      body: { url: receiver.url('/x'), eventTypes: ['RelayDeadLettered'] },
    });
    expect(unknownType.status).toBe(400);
    // Without the development setting, this machine is refused too, over https as over http.
    const strict = await startGateway({
      handleSignals: false,
      env: { ...stack.gatewayEnv, WEBHOOKS_ALLOW_LOOPBACK_HTTP: 'false' },
    });
    try {
      for (const url of [
        'https://127.0.0.1/hook',
        'https://10.0.0.1/hook',
        'https://169.254.169.254/',
        'https://[::1]/hook',
        'http://127.0.0.1:9/hook',
        'https://localhost/hook',
      ]) {
        const response = await fetch(`${strict.url}/v1/webhooks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url, eventTypes: ['DeploymentSucceeded'] }),
        });
        expect([url, response.status]).toEqual([url, 400]);
      }
    } finally {
      await strict.stop();
    }
    const list = await stack.api.request<{ items: WebhookView[] }>('GET', '/v1/webhooks', { token });
    expect(list.body.items.map((webhook) => webhook.url)).not.toContain('https://10.0.0.1/hook');
  }, 60_000);

  it('signs a test event as Standard Webhooks do: the official verifier accepts it', async () => {
    const { webhookId, secret } = await createWebhook('/signed');
    await sendTest(webhookId);
    const [request] = await eventually(() => {
      expect(receiver.on('/signed')).toHaveLength(1);
      return receiver.on('/signed');
    });
    const payload = new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    expect(payload).toMatchObject({ type: 'WebhookTest', data: { endpointId: webhookId } });
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    await eventually(async () =>
      expect(await deliveries(webhookId)).toEqual([
        expect.objectContaining({
          status: 'succeeded',
          attempts: 1,
          responseStatus: 200,
          responseBody: 'answered 200',
        }),
      ]),
    );
  });

  it('retries an endpoint answering 500 three times, and sends it exactly once more when it answers 200', async () => {
    const { webhookId } = await createWebhook('/flaky');
    receiver.answer('/flaky', 500, 500, 500);
    await sendTest(webhookId);
    await eventually(() => expect(receiver.on('/flaky')).toHaveLength(4), 15_000);
    const ids = new Set(receiver.on('/flaky').map((request) => request.headers['webhook-id']));
    expect(ids.size).toBe(1);
    await eventually(async () =>
      expect(await deliveries(webhookId)).toEqual([
        expect.objectContaining({ status: 'succeeded', attempts: 4, responseStatus: 200, nextAttemptAt: null }),
      ]),
    );
    await sleep(4000);
    expect(receiver.on('/flaky')).toHaveLength(4);
  }, 30_000);

  it('disables an endpoint that answers 410, and says so on the event stream', async () => {
    const events = await EventStreamReader.open(stack.gateway.url, token, '?types=WebhookEndpointDisabled');
    try {
      const { webhookId } = await createWebhook('/gone');
      receiver.answer('/gone', 410);
      await sendTest(webhookId);
      await eventually(async () => {
        const view = await stack.api.request<WebhookView>('GET', `/v1/webhooks/${webhookId}`, { token });
        expect(view.body).toMatchObject({ enabled: false, disabledReason: 'gone' });
      });
      await eventually(() =>
        expect(events.events.map((event) => JSON.parse(event.data).data.endpointId)).toContain(webhookId),
      );
      await sendTest(webhookId);
      await sleep(1000);
      expect(receiver.on('/gone')).toHaveLength(1);
    } finally {
      await events.close();
    }
  });

  it('waits as long as Retry-After asks on a 503', async () => {
    const { webhookId } = await createWebhook('/busy');
    receiver.answer('/busy', { status: 503, headers: { 'retry-after': '2' } });
    await sendTest(webhookId);
    await eventually(() => expect(receiver.on('/busy')).toHaveLength(2), 10_000);
    const [first, second] = receiver.on('/busy');
    // The schedule alone would have retried after 0.5 s.
    expect(second.at - first.at).toBeGreaterThanOrEqual(1900);
  }, 20_000);

  it('disables an endpoint that failed every attempt for the set time, and says so on the event stream', async () => {
    const events = await EventStreamReader.open(stack.gateway.url, token, '?types=WebhookEndpointDisabled');
    try {
      const { webhookId } = await createWebhook('/failing');
      receiver.answer('/failing', ...Array<number>(20).fill(500));
      await sendTest(webhookId);
      // Every attempt of the schedule fails within about 4 s: given up, but not yet failing for long enough.
      await eventually(async () => expect((await deliveries(webhookId))[0]?.status).toBe('failed'), 15_000);
      const firstFailure = receiver.on('/failing')[0].at;
      await sleep(Math.max(0, firstFailure + DISABLE_AFTER_FAILING_MS - Date.now()));
      await sendTest(webhookId);
      await eventually(async () => {
        const view = await stack.api.request<WebhookView>('GET', `/v1/webhooks/${webhookId}`, { token });
        expect(view.body).toMatchObject({ enabled: false, disabledReason: 'failing' });
      });
      await eventually(() =>
        expect(events.events.map((event) => JSON.parse(event.data).data)).toContainEqual(
          expect.objectContaining({ endpointId: webhookId, reason: 'failing' }),
        ),
      );
    } finally {
      await events.close();
    }
  }, 30_000);

  it('signs with the new and the previous secret after a rotation, both valid', async () => {
    const { webhookId, secret: before } = await createWebhook('/rotated');
    const rotated = await stack.api.request<{ secret: string }>('POST', `/v1/webhooks/${webhookId}/rotate-secret`, {
      token,
    });
    expect(rotated.status).toBe(202);
    const after = rotated.body.secret;
    expect(after).not.toBe(before);
    await sendTest(webhookId);
    const [request] = await eventually(() => {
      expect(receiver.on('/rotated')).toHaveLength(1);
      return receiver.on('/rotated');
    });
    const signatures = String(request.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    for (const secret of [before, after]) {
      expect(new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).toMatchObject({
        type: 'WebhookTest',
      });
    }
    const view = await stack.api.request<WebhookView>('GET', `/v1/webhooks/${webhookId}`, { token });
    expect(Date.parse(view.body.previousSecretValidUntil!) - Date.now()).toBeGreaterThan(23 * 3_600_000);
  });

  it('redelivers one delivery, and every failed one since a time', async () => {
    const { webhookId } = await createWebhook('/redelivered');
    receiver.answer('/redelivered', 500, 500, 500, 500);
    await sendTest(webhookId);
    await eventually(async () => expect((await deliveries(webhookId))[0]?.status).toBe('failed'), 15_000);
    const since = new Date(Date.now() - 60_000).toISOString();
    const again = await stack.api.request('POST', `/v1/webhooks/${webhookId}/redeliver`, { token, body: { since } });
    expect([again.status, again.body]).toEqual([202, { redelivered: 1 }]);
    await eventually(async () => expect((await deliveries(webhookId))[0]?.status).toBe('succeeded'));
    expect(receiver.on('/redelivered')).toHaveLength(5);
    const [delivery] = await deliveries(webhookId);
    const one = await stack.api.request('POST', `/v1/webhooks/${webhookId}/deliveries/${delivery.id}/redeliver`, {
      token,
    });
    expect(one.body).toEqual({ redelivered: 1 });
    await eventually(() => expect(receiver.on('/redelivered')).toHaveLength(6));
  }, 30_000);

  it('resumes a retry after the sender is killed, and sends nothing again after a 2xx', async () => {
    const { webhookId } = await createWebhook('/resumed');
    receiver.answer('/resumed', 500, 500);
    await sendTest(webhookId);
    // The second attempt failed and is recorded so: the third is due 3 s later. The sender dies in between. (Killed
    // before it records an attempt's answer, it sends that attempt again: at least once, as the README says.)
    await eventually(() => expect(receiver.on('/resumed')).toHaveLength(2), 10_000);
    await eventually(async () => expect((await deliveries(webhookId))[0]).toMatchObject({ attempts: 2 }), 10_000);
    await stack.restartWebhooks('SIGKILL');
    await eventually(() => expect(receiver.on('/resumed')).toHaveLength(3), 20_000);
    await eventually(async () =>
      expect((await deliveries(webhookId))[0]).toMatchObject({ status: 'succeeded', attempts: 3 }),
    );
    await stack.restartWebhooks();
    await sleep(2000);
    expect(receiver.on('/resumed')).toHaveLength(3);
  }, 60_000);

  it('delivers a deployment’s events in the order they happened', async () => {
    const types = [
      'DeploymentRequested',
      'ServerDeployFailed',
      'ServerRolledBack',
      'DeploymentSucceeded',
      'DeploymentFailed',
    ];
    const { secret } = await createWebhook('/deploys', types);
    const server = await stack.api.request<{ serverId: string }>('POST', '/v1/servers', {
      token,
      body: { provider: 'local', name: 'hooks-1' },
    });
    const project = await stack.api.request<{ projectId: string }>('POST', '/v1/projects', {
      token,
      body: { name: 'hooks' },
    });
    const service = await stack.api.request<{ serviceId: string }>(
      'POST',
      `/v1/projects/${project.body.projectId}/services`,
      {
        token,
        body: { name: `hooks-${workspaceId.slice(0, 8)}`, port: 3000 },
      },
    );
    await eventually(async () => {
      const view = await stack.api.request<{ status: string }>('GET', `/v1/servers/${server.body.serverId}`, { token });
      expect(view.body.status).toBe('ready');
    }, 60_000);
    const deployment = await stack.api.request<{ deploymentId: string }>('POST', '/v1/deployments', {
      token,
      body: {
        serviceId: service.body.serviceId,
        source: { type: 'image', image: 'platform-test/absent:1' },
        serverIds: [server.body.serverId],
      },
    });
    expect(deployment.status).toBe(202);
    const { deploymentId } = deployment.body;
    await eventually(async () => {
      const view = await stack.api.request<{ status: string }>('GET', `/v1/deployments/${deploymentId}`, { token });
      expect(view.body.status).toBe('failed');
    }, 60_000);
    const feed = await EventStreamReader.open(stack.gateway.url, token, `?deploymentId=${deploymentId}&replay=500`);
    try {
      await eventually(() => expect(feed.events.at(-1)?.event).toBe('DeploymentFailed'), 15_000);
      const subscribed = feed.events.filter((event) => types.includes(event.event ?? ''));
      expect(subscribed.map((event) => event.event)).toEqual(
        expect.arrayContaining(['DeploymentRequested', 'DeploymentFailed']),
      );
      const expected = subscribed.map((event) => event.id);
      await eventually(
        () => expect(receiver.on('/deploys').map((request) => request.headers['webhook-id'])).toEqual(expected),
        15_000,
      );
      const payloads = receiver
        .on('/deploys')
        .map((request) => new Webhook(secret).verify(request.body, request.headers as Record<string, string>)) as {
        type: string;
        data: { deploymentId: string };
      }[];
      expect(payloads[0]).toMatchObject({ type: 'DeploymentRequested', data: { deploymentId } });
      expect(payloads.at(-1)).toMatchObject({ type: 'DeploymentFailed', data: { deploymentId } });
    } finally {
      await feed.close();
    }
  }, 150_000);
});
