import { nanos } from '@nats-io/transport-node';
import { uniqueName } from '@platform/testing';
import type { Bus } from './bus';
import { DEFAULT_EVENTS_MAX_AGE_MS, DUPLICATE_WINDOW_MS } from './streams';
import { connectTestBus, deleteStreams } from './test-support';

const prefix = uniqueName('bus-streams');
let bus: Bus;

beforeAll(async () => {
  bus = await connectTestBus(prefix);
});

afterAll(async () => {
  await deleteStreams(bus);
  await bus.close();
});

async function configOf(name: 'COMMANDS' | 'EVENTS' | 'DEADLETTERS') {
  return (await bus.manager.streams.info(bus.subjects.stream(name))).config;
}

it('creates the three streams under the environment prefix', async () => {
  await bus.ensureStreams();

  expect(await configOf('COMMANDS')).toMatchObject({
    name: `${prefix}_COMMANDS`,
    subjects: [`${prefix}.cmd.>`],
    retention: 'workqueue',
    storage: 'file',
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  });
  expect(await configOf('EVENTS')).toMatchObject({
    name: `${prefix}_EVENTS`,
    subjects: [`${prefix}.evt.>`],
    retention: 'limits',
    storage: 'file',
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(DEFAULT_EVENTS_MAX_AGE_MS),
  });
  expect(await configOf('DEADLETTERS')).toMatchObject({
    name: `${prefix}_DEADLETTERS`,
    subjects: [`${prefix}.dlq.>`],
    retention: 'limits',
  });
});

it('is idempotent, also when replicas call it at the same time, and applies changed settings', async () => {
  await Promise.all([bus.ensureStreams(), bus.ensureStreams(), bus.ensureStreams()]);

  await bus.ensureStreams({ eventsMaxAgeMs: 24 * 60 * 60 * 1000 });
  expect((await configOf('EVENTS')).max_age).toBe(nanos(24 * 60 * 60 * 1000));
});

it('refuses to run on a stream whose retention cannot be changed in place', async () => {
  const other = uniqueName('bus-retention');
  const misconfigured = await connectTestBus(other);
  try {
    await misconfigured.manager.streams.add({
      name: misconfigured.subjects.stream('COMMANDS'),
      subjects: [misconfigured.subjects.commands()],
      retention: 'limits',
    });

    await expect(misconfigured.ensureStreams()).rejects.toThrow(/retention limits .* workqueue/);
  } finally {
    await deleteStreams(misconfigured);
    await misconfigured.close();
  }
});
