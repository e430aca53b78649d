/**
 * What the webhooks service delivers. One webhooks service (its own schema and NATS prefix) and a receiver on
 * loopback answering 200. Throughput: 100 endpoints of one workspace subscribed to one event type, a burst of
 * events each going to every endpoint; deliveries/s from the first publish to the last delivery received
 * (`deliveries_per_s`). Latency: 100 endpoints, one per workspace, events published at a steady 200/s spread over
 * them; p50/p99 from an event's publication on EVENTS to its delivery reaching the receiver (`delivery_p99_ms`,
 * target < 500 ms). Events are published straight onto the stream, as the services' outbox relays do. Run with
 * `npm run bench:webhooks`; the last line is a JSON summary.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import { Bus } from '@platform/bus';
import { CreateWebhookEndpoint, webhookSecretContext, type EventEnvelope } from '@platform/contracts';
import { SecretBox } from '@platform/secrets';
import { freePort, spawnTypeScript, stopProcess } from '@platform/testing';

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const ENDPOINTS = 100;
const BURST_EVENTS = 100;
const RATE_PER_S = 200;
const STEADY_SECONDS = 15;
const tag = `bench_wh_${randomUUID().slice(0, 8)}`;
const schema = `${tag}_wh`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A receiver answering 200 at once, noting when each webhook-id reached it, on which path. */
async function startReceiver() {
  const arrivals = new Map<string, number[]>();
  let sample: { body: string; headers: Record<string, string> } | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      const at = performance.now();
      arrivals.set(id, [...(arrivals.get(id) ?? []), at]);
      sample ??= { body: Buffer.concat(chunks).toString('utf8'), headers: request.headers as Record<string, string> };
      response.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    arrivals,
    sample: () => sample,
    count: () => [...arrivals.values()].reduce((sum, times) => sum + times.length, 0),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function event(type: string, workspaceId: string): EventEnvelope {
  const deploymentId = randomUUID();
  return {
    eventId: randomUUID(),
    context: 'deployments',
    type,
    schemaVersion: 1,
    streamId: `service-${deploymentId}`,
    streamVersion: 1,
    position: '1',
    data:
      type === 'DeploymentSucceeded'
        ? { deploymentId, durationMs: 1200 }
        : { deploymentId, reason: 'bench', durationMs: 1 },
    metadata: { workspaceId, actorId: 'bench', correlationId: randomUUID() },
    occurredAt: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  const secretKey = randomBytes(32).toString('hex');
  const secrets = new SecretBox(Buffer.from(secretKey, 'hex'));
  const children: ChildProcess[] = [];
  const pool = new Pool({ connectionString: databaseUrl });
  const receiver = await startReceiver();
  const bus = await Bus.connect({ servers: natsUrl, prefix: tag });
  try {
    await bus.ensureStreams();
    const port = await freePort();
    children.push(
      await spawnTypeScript(
        'apps/webhooks/src/main.ts',
        {
          DATABASE_URL: databaseUrl,
          DATABASE_SCHEMA: schema,
          NATS_URL: natsUrl,
          NATS_PREFIX: tag,
          LOG_LEVEL: 'error',
          PLATFORM_SECRET_KEY: secretKey,
          WEBHOOKS_ALLOW_LOOPBACK_HTTP: 'true',
          HTTP_PORT: String(port),
        },
        `http://127.0.0.1:${port}/readyz`,
      ),
    );

    // 100 endpoints of one workspace for the burst, and one endpoint in each of 100 workspaces for the steady rate.
    const fanOutWorkspace = randomUUID();
    const steadyWorkspaces = Array.from({ length: ENDPOINTS }, () => randomUUID());
    const created: { workspaceId: string; eventType: string; path: string }[] = [
      ...Array.from({ length: ENDPOINTS }, (_, index) => ({
        workspaceId: fanOutWorkspace,
        eventType: 'DeploymentSucceeded',
        path: `/fan-out/${index}`,
      })),
      ...steadyWorkspaces.map((workspaceId, index) => ({
        workspaceId,
        eventType: 'DeploymentFailed',
        path: `/steady/${index}`,
      })),
    ];
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    for (const endpoint of created) {
      const endpointId = randomUUID();
      await bus.sendCommand(
        CreateWebhookEndpoint,
        {
          endpointId,
          fields: { url: receiver.url(endpoint.path), eventTypes: [endpoint.eventType], description: 'bench' },
          sealedSecret: secrets.seal(secret, webhookSecretContext(endpoint.workspaceId, endpointId)),
        },
        { workspaceId: endpoint.workspaceId, actorId: 'bench', correlationId: randomUUID() },
      );
    }
    for (;;) {
      const { rows } = await pool
        .query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.webhook_endpoints`)
        .catch(() => ({ rows: [{ n: 0 }] }));
      if (rows[0].n === created.length) break;
      await sleep(100);
    }
    console.log(`… ${created.length} endpoints ready`);

    // Throughput: a burst, each event to every endpoint of the workspace.
    const burstStart = performance.now();
    await bus.publishEvents(Array.from({ length: BURST_EVENTS }, () => event('DeploymentSucceeded', fanOutWorkspace)));
    const expected = BURST_EVENTS * ENDPOINTS;
    while (receiver.count() < expected) {
      if (performance.now() - burstStart > 300_000)
        throw new Error(`only ${receiver.count()} of ${expected} delivered`);
      await sleep(20);
    }
    const burstLast = Math.max(...[...receiver.arrivals.values()].flat());
    const deliveriesPerS = expected / ((burstLast - burstStart) / 1000);
    console.log(
      `burst: ${expected} deliveries in ${Math.round(burstLast - burstStart)} ms: ${Math.round(deliveriesPerS)}/s`,
    );
    const sample = receiver.sample();
    if (!sample) throw new Error('no delivery received');
    new Webhook(secret).verify(sample.body, sample.headers);

    // Latency at a steady rate, spread over the 100 workspaces.
    const published = new Map<string, number>();
    const total = RATE_PER_S * STEADY_SECONDS;
    const steadyStart = performance.now();
    for (let index = 0; index < total; index++) {
      const due = steadyStart + (index * 1000) / RATE_PER_S;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const envelope = event('DeploymentFailed', steadyWorkspaces[index % ENDPOINTS]);
      published.set(envelope.eventId, performance.now());
      await bus.publishEvents([envelope]);
    }
    const steadyEnd = performance.now();
    while ([...published.keys()].some((id) => !receiver.arrivals.has(id))) {
      if (performance.now() - steadyEnd > 120_000) throw new Error('steady deliveries did not all arrive');
      await sleep(20);
    }
    const latencies = [...published].map(([id, at]) => receiver.arrivals.get(id)![0] - at);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(
      `steady: ${total} events at ${RATE_PER_S}/s (published over ${Math.round(steadyEnd - steadyStart)} ms): ` +
        `event to delivery p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (target < 500)`,
    );
    console.log(
      JSON.stringify({
        endpoints: ENDPOINTS,
        burst_deliveries: expected,
        deliveries_per_s: Math.round(deliveriesPerS),
        steady_events_per_s: RATE_PER_S,
        delivery_p50_ms: Math.round(p50 * 10) / 10,
        delivery_p99_ms: Math.round(p99 * 10) / 10,
      }),
    );
  } finally {
    for (const child of children) await stopProcess(child);
    await receiver.close();
    for (const stream of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const)
      await bus.manager.streams.delete(bus.subjects.stream(stream)).catch(() => undefined);
    await bus.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
