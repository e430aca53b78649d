/**
 * Follows the platform's deployments from inside its network and prints one line per step. It reads the EVENTS
 * stream through a durable consumer of its own, acking each event once printed, so after a restart (or a crash) it
 * goes on right after the last event it printed: nothing missed while it was down, nothing printed twice.
 *
 *   cd examples/subscriber && NATS_URL=nats://127.0.0.1:4222 NATS_PREFIX= CONSUMER=deployment-printer npm start
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export interface SubscriberSettings {
  readonly natsUrl: string;
  /** The platform's NATS_PREFIX: subjects become `<prefix>.evt.…` and the stream `<prefix>_EVENTS`. */
  readonly prefix: string;
  /** The durable consumer's name: the program's position on the stream, kept by JetStream between runs. */
  readonly consumer: string;
}

/** The envelope every event travels in (see libs/contracts EventEnvelopeSchema); data as the event type defines it. */
interface EventEnvelope {
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly data: {
    readonly deploymentId: string;
    readonly serverId?: string | null;
    readonly [field: string]: unknown;
  };
  readonly metadata: { readonly workspaceId: string };
}

/** One line for the steps of a deployment worth printing; undefined for other events of the context. */
export function describeDeploymentEvent(event: EventEnvelope): string | undefined {
  const data = event.data;
  const deployment = data.deploymentId.slice(0, 8);
  const server = data.serverId ? ` on server ${data.serverId.slice(0, 8)}` : '';
  const line = (what: string) => `${event.occurredAt}  deployment ${deployment}  ${what}`;
  switch (event.type) {
    case 'DeploymentRequested':
      return line(`requested (image tag ${String(data.tag)}) in workspace ${event.metadata.workspaceId}`);
    case 'ImageReady':
      return line(`image ${String(data.how)}${server}`);
    case 'ServerSwitched':
      return line(`switched${server} after ${Number(data.switchedAfterMs)} ms`);
    case 'ServerDeployFailed':
      return line(`failed${server}: ${String(data.reason)}`);
    case 'ServerRolledBack':
      return line(`rolled back${server}`);
    case 'DeploymentSucceeded':
      return line(`succeeded in ${(Number(data.durationMs) / 1000).toFixed(1)} s`);
    case 'DeploymentFailed':
      return line(`failed: ${String(data.reason)}`);
    default:
      return undefined;
  }
}

/** Prints deployments until `signal` aborts; resolves once the connection is closed. */
export async function followDeployments(
  settings: SubscriberSettings,
  print: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const scoped = (subject: string) => (settings.prefix ? `${settings.prefix}.${subject}` : subject);
  const stream = settings.prefix ? `${settings.prefix}_EVENTS` : 'EVENTS';
  const connection = await connect({ servers: settings.natsUrl, name: settings.consumer });
  try {
    const manager = await jetstreamManager(connection);
    // Made on the first run only; later runs bind to it and JetStream hands over what is not yet acked.
    await manager.consumers.info(stream, settings.consumer).catch(() =>
      manager.consumers.add(stream, {
        durable_name: settings.consumer,
        filter_subject: scoped('evt.deployments.>'),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: 1,
      }),
    );
    const consumer = await jetstream(connection).consumers.get(stream, settings.consumer);
    const messages = await consumer.consume();
    signal.addEventListener('abort', () => void messages.close(), { once: true });
    for await (const message of messages) handle(message, print);
  } finally {
    await connection.drain();
  }
}

function handle(message: JsMsg, print: (line: string) => void): void {
  const line = describeDeploymentEvent(message.json<EventEnvelope>());
  if (line) print(line);
  message.ack();
}

if (require.main === module) {
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  followDeployments(
    {
      natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      prefix: process.env.NATS_PREFIX ?? '',
      consumer: process.env.CONSUMER ?? 'deployment-printer',
    },
    (line) => console.log(line),
    stop.signal,
  ).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
