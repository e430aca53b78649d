import { randomUUID } from 'node:crypto';
import type { ConsumerInfo, StoredMsg } from '@nats-io/jetstream';
import type { EventEnvelope, MessageMetadata } from '@platform/contracts';
import { testServices } from '@platform/testing';
import { pino } from 'pino';
import { Bus } from './bus';

/** Helpers for this library's integration tests; not exported from the package. */

// Expected failures (poison messages, refused queries) would flood the test output; BUS_TEST_LOG=debug shows them.
export const testLogger = pino({ level: process.env.BUS_TEST_LOG ?? 'silent' });

export function connectTestBus(prefix: string): Promise<Bus> {
  return Bus.connect({ servers: testServices.natsUrl, prefix, name: `test-${prefix}`, logger: testLogger });
}

/** Removes the file's streams (and with them its consumers and messages), tolerating streams never created. */
export async function deleteStreams(bus: Bus): Promise<void> {
  for (const name of ['COMMANDS', 'EVENTS', 'DEADLETTERS'] as const) {
    await bus.manager.streams.delete(bus.subjects.stream(name)).catch(() => false);
  }
}

/** Retries `check` until it stops throwing, then returns its value; fails with its last error at the deadline. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How many messages the stream holds on exactly this subject. */
export async function countOnSubject(
  bus: Bus,
  stream: 'COMMANDS' | 'EVENTS' | 'DEADLETTERS',
  subject: string,
): Promise<number> {
  const info = await bus.manager.streams.info(bus.subjects.stream(stream), { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

/** Every message the stream holds, oldest first. */
export async function storedMessages(bus: Bus, stream: 'COMMANDS' | 'EVENTS' | 'DEADLETTERS'): Promise<StoredMsg[]> {
  const name = bus.subjects.stream(stream);
  const { state } = await bus.manager.streams.info(name);
  const messages: StoredMsg[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await bus.manager.streams.getMessage(name, { seq }).catch(() => null);
    if (message) messages.push(message);
  }
  return messages;
}

export function consumerInfo(bus: Bus, durable: string): Promise<ConsumerInfo> {
  return bus.manager.consumers.info(bus.subjects.stream('COMMANDS'), durable);
}

/** Nothing waits for delivery and nothing waits for an ack: the consumer is done with everything it got. */
export async function expectConsumerSettled(bus: Bus, durable: string): Promise<void> {
  const info = await consumerInfo(bus, durable);
  expect({ pending: info.num_pending, unacked: info.num_ack_pending, redelivering: info.num_redelivered }).toEqual({
    pending: 0,
    unacked: 0,
    redelivering: 0,
  });
}

export function testMetadata(overrides: Partial<MessageMetadata> = {}): MessageMetadata {
  return { workspaceId: 'ws-1', actorId: 'user-1', correlationId: randomUUID(), ...overrides };
}

export function testEvent(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    eventId: randomUUID(),
    context: 'deployments',
    type: 'DeploymentRequested',
    schemaVersion: 1,
    streamId: 'deployment-1',
    streamVersion: 1,
    position: '1',
    data: { image: 'app:deploy_1234abcd' },
    metadata: testMetadata(),
    occurredAt: new Date().toISOString(),
    ...overrides,
  };
}
