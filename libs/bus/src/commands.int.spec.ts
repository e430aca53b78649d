import { randomUUID } from 'node:crypto';
import { defineCommand, defineQuery, DomainError, type CommandEnvelope } from '@platform/contracts';
import { uniqueName } from '@platform/testing';
import { z } from 'zod';
import type { Bus } from './bus';
import type { CommandConsumerOptions, CommandDelivery } from './command-consumer';
import { DeadLetterHeaders } from './dead-letters';
import { encodeJson } from './json';
import { queryRoute } from './queries';
import {
  connectTestBus,
  consumerInfo,
  countOnSubject,
  deleteStreams,
  eventually,
  expectConsumerSettled,
  sleep,
  storedMessages,
  testMetadata,
} from './test-support';

jest.setTimeout(30_000);

const prefix = uniqueName('bus-cmd');
let sender: Bus;
let replicas: Bus[] = [];

/** A service replica: its own connection, as a separate process would have. */
async function replica(): Promise<Bus> {
  const bus = await connectTestBus(prefix);
  replicas.push(bus);
  return bus;
}

/**
 * COMMANDS is a work queue, so consumers there must not overlap: every test takes commands of its own context.
 */
function commandsOf(context: string) {
  return defineCommand(
    context,
    'StartDeploy',
    z.strictObject({ service: z.string().min(1), replicas: z.int().positive() }),
  );
}

function consumerOptions(
  context: string,
  handle: CommandConsumerOptions['handle'],
  overrides: Partial<CommandConsumerOptions> = {},
): CommandConsumerOptions {
  return { context, durable: `${context}-svc`, handle, ackWaitMs: 1500, retryDelayMs: () => 50, ...overrides };
}

beforeAll(async () => {
  sender = await connectTestBus(prefix);
  await sender.ensureStreams();
});

afterEach(async () => {
  await Promise.all(replicas.map((bus) => bus.close()));
  replicas = [];
});

afterAll(async () => {
  await deleteStreams(sender);
  await sender.close();
});

describe('sendCommand', () => {
  it('refuses data that breaks the contract and stores nothing', async () => {
    const StartDeploy = commandsOf('refuse');
    const sending = sender.sendCommand(StartDeploy, { service: '', replicas: 0 }, testMetadata());

    await expect(sending).rejects.toBeInstanceOf(DomainError);
    await expect(sending).rejects.toMatchObject({
      code: 'validation_failed',
      details: [
        { path: 'service', message: expect.any(String) },
        { path: 'replicas', message: expect.any(String) },
      ],
    });
    expect(await countOnSubject(sender, 'COMMANDS', sender.subjects.command(StartDeploy))).toBe(0);
  });

  it('refuses a command id that is not a UUID', async () => {
    const StartDeploy = commandsOf('badid');
    await expect(
      sender.sendCommand(StartDeploy, { service: 'web', replicas: 1 }, testMetadata(), { commandId: 'key-1' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('answers unavailable, saying to try again, when no stream takes commands', async () => {
    const elsewhere = await connectTestBus(uniqueName('bus-nostream'));
    try {
      await expect(
        elsewhere.sendCommand(commandsOf('nostream'), { service: 'web', replicas: 1 }, testMetadata()),
      ).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining('try again'),
      });
    } finally {
      await elsewhere.close();
    }
  });

  it('stores many commands sent at once, each acknowledged under its own sequence', async () => {
    const StartDeploy = commandsOf('burst');
    const sent = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        sender.sendCommand(StartDeploy, { service: `web-${index}`, replicas: 1 }, testMetadata()),
      ),
    );
    expect(new Set(sent.map((command) => command.sequence)).size).toBe(200);
    expect(sent.every((command) => !command.duplicate)).toBe(true);
    expect(await countOnSubject(sender, 'COMMANDS', sender.subjects.command(StartDeploy))).toBe(200);
  });

  it('fails the requests still waiting when the bus closes, instead of leaving them to time out', async () => {
    const Silent = defineQuery('silent', 'Silent', z.strictObject({}), z.null());
    let answer: (value: null) => void = () => undefined;
    const server = await replica();
    await server.serveQueries('silent', [queryRoute(Silent, () => new Promise<null>((resolve) => (answer = resolve)))]);
    const closing = await connectTestBus(prefix);
    const asking = closing
      .query(Silent, { workspaceId: 'ws-1', params: {} }, { timeoutMs: 60_000 })
      .catch((error: unknown) => error);
    await sleep(200);
    const started = Date.now();
    await closing.close();
    await expect(asking).resolves.toEqual(new Error('the bus is closing'));
    expect(Date.now() - started).toBeLessThan(5000);
    answer(null);
  });
});

describe('command consumer', () => {
  it('handles a command that was sent while no consumer existed, and announces the outcome', async () => {
    const StartDeploy = commandsOf('late');
    const commandId = randomUUID();
    const eventId = randomUUID();
    const metadata = testMetadata();
    const watch = sender.watchCommandOutcome(commandId, { timeoutMs: 10_000 });
    const sent = await sender.sendCommand(StartDeploy, { service: 'web', replicas: 2 }, metadata, { commandId });
    expect(sent).toMatchObject({ commandId, duplicate: false });
    expect(await countOnSubject(sender, 'COMMANDS', sender.subjects.command(StartDeploy))).toBe(1);

    const handled: CommandEnvelope[] = [];
    const service = await replica();
    await service.consumeCommands(
      consumerOptions('late', async (command) => {
        handled.push(command);
        return { eventIds: [eventId] };
      }),
    );

    expect(await watch.outcome()).toEqual({ ok: true, commandId, eventIds: [eventId] });
    expect(handled).toEqual([
      expect.objectContaining({ commandId, type: 'StartDeploy', data: { service: 'web', replicas: 2 }, metadata }),
    ]);
    await eventually(() => expectConsumerSettled(sender, 'late-svc'));
    expect(await countOnSubject(sender, 'COMMANDS', sender.subjects.command(StartDeploy))).toBe(0);
  });

  it('stores and handles a command sent twice with the same id once', async () => {
    const StartDeploy = commandsOf('twice');
    const commandId = randomUUID();
    const data = { service: 'web', replicas: 1 };
    const first = await sender.sendCommand(StartDeploy, data, testMetadata(), { commandId });
    const second = await sender.sendCommand(StartDeploy, data, testMetadata(), { commandId });
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ commandId, duplicate: true, sequence: first.sequence });
    expect(await countOnSubject(sender, 'COMMANDS', sender.subjects.command(StartDeploy))).toBe(1);

    const handled: string[] = [];
    const service = await replica();
    await service.consumeCommands(
      consumerOptions('twice', async (command) => {
        handled.push(command.commandId);
        return { eventIds: [] };
      }),
    );
    await eventually(() => expect(handled).toEqual([commandId]));
    await eventually(() => expectConsumerSettled(sender, 'twice-svc'));

    // Still within the duplicate window after it was handled and removed from the work queue.
    const retry = await sender.sendCommand(StartDeploy, data, testMetadata(), { commandId });
    expect(retry.duplicate).toBe(true);
    await expectConsumerSettled(sender, 'twice-svc');
    expect(handled).toEqual([commandId]);
  });

  it('delivers a command again after its handler failed, and acks it once the handler succeeds', async () => {
    const StartDeploy = commandsOf('retry');
    const deliveries: number[] = [];
    const service = await replica();
    await service.consumeCommands(
      consumerOptions('retry', async (_command, delivery) => {
        deliveries.push(delivery.deliveryCount);
        if (delivery.deliveryCount === 1) throw new Error('database unreachable');
        return { eventIds: [] };
      }),
    );
    const { commandId } = await sender.sendCommand(StartDeploy, { service: 'web', replicas: 1 }, testMetadata());
    const watch = sender.watchCommandOutcome(commandId);

    expect(await watch.outcome()).toEqual({ ok: true, commandId, eventIds: [] });
    expect(deliveries).toEqual([1, 2]);
    await eventually(() => expectConsumerSettled(sender, 'retry-svc'));
  });

  it('acks a command refused with a DomainError without retrying it, and reports the refusal', async () => {
    const StartDeploy = commandsOf('refusal');
    const commandId = randomUUID();
    const watch = sender.watchCommandOutcome(commandId);
    let calls = 0;
    const service = await replica();
    await service.consumeCommands(
      consumerOptions('refusal', async () => {
        calls++;
        throw new DomainError('conflict', 'service web is already deploying', [{ deploymentId: 'd-1' }]);
      }),
    );
    await sender.sendCommand(StartDeploy, { service: 'web', replicas: 1 }, testMetadata(), { commandId });

    expect(await watch.outcome()).toEqual({
      ok: false,
      commandId,
      error: { code: 'conflict', message: 'service web is already deploying', details: [{ deploymentId: 'd-1' }] },
    });
    await eventually(() => expectConsumerSettled(sender, 'refusal-svc'));
    expect(calls).toBe(1);
  });

  it('redelivers the command of a replica that died mid-handler to another replica after ack wait', async () => {
    const StartDeploy = commandsOf('crash');
    const doomed = await replica();
    const survivor = await replica();
    const startedOnDoomed: string[] = [];
    await doomed.consumeCommands(
      consumerOptions('crash', (command) => {
        startedOnDoomed.push(command.commandId);
        return new Promise<never>(() => {
          // Never settles: the process "dies" before it acks.
        });
      }),
    );
    const { commandId } = await sender.sendCommand(StartDeploy, { service: 'web', replicas: 1 }, testMetadata());
    await eventually(() => expect(startedOnDoomed).toEqual([commandId]));

    const survivorDeliveries: { commandId: string; delivery: CommandDelivery }[] = [];
    await survivor.consumeCommands(
      consumerOptions('crash', async (command, delivery) => {
        survivorDeliveries.push({ commandId: command.commandId, delivery });
        return { eventIds: [] };
      }),
    );
    await doomed.connection.close();

    await eventually(() => expect(survivorDeliveries).toHaveLength(1));
    expect(survivorDeliveries[0]).toMatchObject({ commandId, delivery: { deliveryCount: 2 } });
    await eventually(() => expectConsumerSettled(sender, 'crash-svc'));
  });

  it('keeps a long-running command on its replica by heartbeats, past several ack waits', async () => {
    const StartDeploy = commandsOf('long');
    const deliveries: CommandDelivery[] = [];
    const handle = async (_command: CommandEnvelope, delivery: CommandDelivery) => {
      deliveries.push(delivery);
      await sleep(4000);
      return { eventIds: [] };
    };
    await (await replica()).consumeCommands(consumerOptions('long', handle));
    await (await replica()).consumeCommands(consumerOptions('long', handle));
    const { commandId } = await sender.sendCommand(StartDeploy, { service: 'web', replicas: 1 }, testMetadata());
    const watch = sender.watchCommandOutcome(commandId);

    expect(await watch.outcome()).toMatchObject({ ok: true, commandId });
    expect(deliveries.map((delivery) => delivery.deliveryCount)).toEqual([1]);
    await expectConsumerSettled(sender, 'long-svc');
  });

  it('shares one durable consumer between replicas so that each command is handled exactly once', async () => {
    const StartDeploy = commandsOf('shared');
    const handledBy = new Map<string, number>();
    const handle = async (command: CommandEnvelope) => {
      await sleep(5);
      handledBy.set(command.commandId, (handledBy.get(command.commandId) ?? 0) + 1);
      return { eventIds: [] };
    };
    await (await replica()).consumeCommands(consumerOptions('shared', handle, { concurrency: 4 }));
    await (await replica()).consumeCommands(consumerOptions('shared', handle, { concurrency: 4 }));

    const sent = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        sender.sendCommand(StartDeploy, { service: `svc-${index}`, replicas: 1 }, testMetadata()),
      ),
    );

    await eventually(() => expect(handledBy.size).toBe(50));
    await eventually(() => expectConsumerSettled(sender, 'shared-svc'));
    expect([...handledBy.keys()].sort()).toEqual(sent.map((command) => command.commandId).sort());
    expect([...handledBy.values()].every((times) => times === 1)).toBe(true);
  });

  it('dead-letters a command whose handler keeps failing, after maxDeliver attempts, and stops delivering it', async () => {
    const StartDeploy = commandsOf('poison');
    let attempts = 0;
    const service = await replica();
    await service.consumeCommands(
      consumerOptions(
        'poison',
        async () => {
          attempts++;
          throw new Error('disk full on /var/lib/app');
        },
        { maxDeliver: 3 },
      ),
    );
    const commandId = randomUUID();
    const watch = sender.watchCommandOutcome(commandId);
    const sent = await sender.sendCommand(StartDeploy, { service: 'web', replicas: 1 }, testMetadata(), { commandId });

    expect(await watch.outcome()).toEqual({
      ok: false,
      commandId,
      error: { code: 'internal', message: 'the command could not be handled' },
    });
    const originalSubject = sender.subjects.command(StartDeploy);
    const [deadLetter] = await eventually(async () => {
      const messages = await storedMessages(sender, 'DEADLETTERS');
      const forThisCommand = messages.filter(
        (message) => message.subject === sender.subjects.deadLetter(originalSubject),
      );
      expect(forThisCommand).toHaveLength(1);
      return forThisCommand;
    });
    expect(deadLetter.json()).toMatchObject({ commandId });
    expect(deadLetter.header.get(DeadLetterHeaders.Reason)).toContain('disk full on /var/lib/app');
    expect(deadLetter.header.get(DeadLetterHeaders.DeliveryCount)).toBe('3');
    expect(deadLetter.header.get(DeadLetterHeaders.OriginalSubject)).toBe(originalSubject);
    expect(deadLetter.header.get(DeadLetterHeaders.OriginalSequence)).toBe(String(sent.sequence));
    expect(attempts).toBe(3);
    await eventually(() => expectConsumerSettled(sender, 'poison-svc'));
    expect(await countOnSubject(sender, 'COMMANDS', originalSubject)).toBe(0);
  });

  it('dead-letters, without running the handler again, a command whose every attempt died with its process', async () => {
    const StartDeploy = commandsOf('killer');
    let handlerCalls = 0;
    const options = consumerOptions(
      'killer',
      async () => {
        handlerCalls++;
        return { eventIds: [] };
      },
      { maxDeliver: 2 },
    );
    const service = await replica();
    // Creates the durable consumer with these settings, then leaves it idle.
    await (await service.consumeCommands(options)).stop();
    const { commandId } = await sender.sendCommand(StartDeploy, { service: 'web', replicas: 1 }, testMetadata());

    // Two attempts that never finish: each crashed "process" hands the command straight back. The stopped
    // consumer's last pull may still be open on the server and take the first delivery, which then times out
    // (ack wait) like an attempt that died: either way the deliveries go up to the limit.
    const raw = await service.jetstream.consumers.get(service.subjects.stream('COMMANDS'), 'killer-svc');
    const deliveries: number[] = [];
    while (deliveries.at(-1) !== 2) {
      const msg = await raw.next({ expires: 5000 });
      if (!msg) throw new Error(`no delivery after ${deliveries.join(', ') || 'none'}`);
      deliveries.push(msg.info.deliveryCount);
      msg.nak();
    }
    expect([[1, 2], [2]]).toContainEqual(deliveries);
    const watch = sender.watchCommandOutcome(commandId);
    await service.consumeCommands(options);

    expect(await watch.outcome()).toMatchObject({ ok: false, commandId, error: { code: 'internal' } });
    const deadLetters = await storedMessages(sender, 'DEADLETTERS');
    const deadLetter = deadLetters.find((message) => message.json<{ commandId?: string }>().commandId === commandId);
    expect(deadLetter?.header.get(DeadLetterHeaders.Reason)).toBe('no attempt finished in 2 deliveries');
    expect(deadLetter?.header.get(DeadLetterHeaders.DeliveryCount)).toBe('3');
    expect(handlerCalls).toBe(0);
    await eventually(() => expectConsumerSettled(sender, 'killer-svc'));
  });

  it('dead-letters a message that is not a command envelope without calling the handler', async () => {
    const context = 'garbage';
    let handlerCalls = 0;
    const service = await replica();
    await service.consumeCommands(
      consumerOptions(context, async () => {
        handlerCalls++;
        return { eventIds: [] };
      }),
    );
    const subject = sender.subjects.command({ context, type: 'StartDeploy' });
    await sender.jetstream.publish(subject, encodeJson({ type: 'StartDeploy', data: { service: 'web' } }));

    const deadLetter = await eventually(async () => {
      const found = (await storedMessages(sender, 'DEADLETTERS')).find(
        (message) => message.subject === sender.subjects.deadLetter(subject),
      );
      expect(found).toBeDefined();
      return found;
    });
    expect(deadLetter?.header.get(DeadLetterHeaders.Reason)).toMatch(/^command envelope is not valid: .*commandId/);
    expect(deadLetter?.header.get(DeadLetterHeaders.DeliveryCount)).toBe('1');
    expect(deadLetter?.json()).toEqual({ type: 'StartDeploy', data: { service: 'web' } });
    await eventually(() => expectConsumerSettled(sender, `${context}-svc`));
    expect(handlerCalls).toBe(0);
  });

  it('lets running handlers finish on stop and hands unstarted commands to the other replicas', async () => {
    const StartDeploy = commandsOf('drain');
    const finished: string[] = [];
    const slow = await replica();
    const consumer = await slow.consumeCommands(
      consumerOptions(
        'drain',
        async (command) => {
          await sleep(300);
          finished.push(command.commandId);
          return { eventIds: [] };
        },
        { concurrency: 1 },
      ),
    );
    const sent = await Promise.all(
      Array.from({ length: 3 }, () => sender.sendCommand(StartDeploy, { service: 'web', replicas: 1 }, testMetadata())),
    );
    await eventually(async () => expect((await consumerInfo(sender, 'drain-svc')).num_ack_pending).toBeGreaterThan(0));

    await consumer.stop();
    const finishedBeforeStop = [...finished];
    expect(finishedBeforeStop.length).toBeGreaterThan(0);

    const takeover: string[] = [];
    await (
      await replica()
    ).consumeCommands(
      consumerOptions('drain', async (command) => {
        takeover.push(command.commandId);
        return { eventIds: [] };
      }),
    );
    await eventually(() => expect(finishedBeforeStop.length + takeover.length).toBe(3));
    expect([...finishedBeforeStop, ...takeover].sort()).toEqual(sent.map((command) => command.commandId).sort());
    expect(finished).toEqual(finishedBeforeStop);
  });
});
