import { randomUUID } from 'node:crypto';
import { defineCommand, type ReadModelApplied } from '@platform/contracts';
import { uniqueName } from '@platform/testing';
import { z } from 'zod';
import type { AppliedCommands } from './applied-commands';
import type { Bus } from './bus';
import { encodeJson } from './json';
import { connectTestBus, deleteStreams, testMetadata } from './test-support';

jest.setTimeout(30_000);

const prefix = uniqueName('bus-applied');
const CreateThing = defineCommand('things', 'CreateThing', z.strictObject({ name: z.string() }));
let gateway: Bus;
let service: Bus;
let applied: AppliedCommands;

/** What a service's projection says after its commit (ServiceRuntime does this for every projection). */
function announce(readModel: string, commandId: string): void {
  const notice: ReadModelApplied = { readModel, commandIds: [commandId] };
  service.connection.publish(service.subjects.readModelApplied('things'), encodeJson(notice));
}

beforeAll(async () => {
  [gateway, service] = await Promise.all([connectTestBus(prefix), connectTestBus(prefix)]);
  await gateway.ensureStreams();
  applied = gateway.followAppliedCommands();
});

afterAll(async () => {
  await deleteStreams(gateway);
  await Promise.all([gateway.close(), service.close()]);
});

describe('waiting for commands to be applied, over NATS', () => {
  /** The service names its read models by the events' types; `projected` is what its projections announce. */
  const projected = new Map<string, string[]>();

  beforeAll(async () => {
    await service.consumeCommands({
      context: 'things',
      durable: 'things-svc',
      handle: async (command) => {
        const readModels = projected.get((command.data as { name: string }).name) ?? [];
        // A projection may commit before the consumer announces the outcome: the notice comes first.
        for (const readModel of readModels) announce(readModel, command.commandId);
        return { eventIds: [randomUUID()], eventTypes: ['ThingCreated'] };
      },
      readModelsOf: (eventTypes) => (eventTypes.includes('ThingCreated') ? ['things', 'names'] : []),
    });
  });

  async function send(name: string, timeoutMs: number) {
    const commandId = randomUUID();
    const wait = applied.expect(commandId);
    await gateway.sendCommand(CreateThing, { name }, testMetadata(), { commandId });
    return { commandId, progress: (await wait.settled(timeoutMs)).progress };
  }

  it('is applied when the outcome and every read model it names have been announced, whatever came first', async () => {
    projected.set('both', ['things', 'names']);
    await expect(send('both', 10_000)).resolves.toMatchObject({ progress: 'applied' });
  });

  it('is pending when a read model it waits for never announces it', async () => {
    projected.set('one', ['things']);
    await expect(send('one', 1000)).resolves.toMatchObject({ progress: 'pending' });
  });
});
