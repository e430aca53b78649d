import { randomUUID } from 'node:crypto';
import { defineEvent, DomainError, type CommandEnvelope } from '@platform/contracts';
import type { Decider } from '@platform/decider';
import { EventStore } from '@platform/event-store';
import { createTestSchema, type TestSchema } from '@platform/testing';
import { z } from 'zod';
import { DeciderCommandHandler } from './decider-command-handler';

const Incremented = defineEvent('counters', 'Incremented', z.strictObject({ by: z.int().positive() }));
type Command = { type: 'Increment'; data: { counterId: string; by: number; limit: number } };
type Event = { type: 'Incremented'; data: { by: number } };

const counter: Decider<Command, Event, number> = {
  initialState: () => 0,
  evolve: (total, event) => total + event.data.by,
  decide: (command, total) => {
    if (total + command.data.by > command.data.limit) throw new DomainError('conflict', 'over the limit');
    return [{ type: 'Incremented', data: { by: command.data.by } }];
  },
};

function envelope(data: Command['data'], commandId = randomUUID()): CommandEnvelope {
  return {
    commandId,
    type: 'Increment',
    schemaVersion: 1,
    data,
    metadata: { workspaceId: 'ws', actorId: 'u', correlationId: 'c' },
    issuedAt: new Date().toISOString(),
  };
}

describe('DeciderCommandHandler (PostgreSQL)', () => {
  let db: TestSchema;
  let store: EventStore;
  let handler: DeciderCommandHandler<Command, Event, number>;

  beforeAll(async () => {
    db = createTestSchema('decider', 40);
    store = new EventStore(db.pool, db.schema);
    await store.migrate();
    handler = new DeciderCommandHandler({
      store,
      decider: counter,
      streamIdOf: (command) => `counter-${command.data.counterId}`,
      events: [Incremented],
    });
  });
  afterAll(() => db.dispose());

  it('handles a redelivered command once, answering with the events it produced the first time', async () => {
    const counterId = randomUUID();
    const command = envelope({ counterId, by: 5, limit: 5 });
    const first = await handler.handle(command);
    // The second delivery would break the limit if it were decided again: it must not be.
    const second = await handler.handle(command);
    expect(second).toEqual(first);
    const { events } = await store.readStream(`counter-${counterId}`);
    expect(events).toHaveLength(1);
    expect(events[0].metadata).toMatchObject({
      commandId: command.commandId,
      causationId: command.commandId,
      workspaceId: 'ws',
    });
    expect(events[0].eventId).toBe(first.eventIds[0]);
  });

  it('decides again on the fresh state when another writer moved the stream in between', async () => {
    const counterId = randomUUID();
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => handler.handle(envelope({ counterId, by: 1, limit: 100 }))),
    );
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    const { events } = await store.readStream(`counter-${counterId}`);
    expect(events.map((event) => event.streamVersion)).toEqual([1, 2, 3, 4]);
  });

  it('passes refusals through as DomainErrors and stores nothing', async () => {
    const counterId = randomUUID();
    await expect(handler.handle(envelope({ counterId, by: 9, limit: 3 }))).rejects.toMatchObject({ code: 'conflict' });
    expect((await store.readStream(`counter-${counterId}`)).events).toEqual([]);
  });

  it('never stores an event that breaks its contract', async () => {
    const counterId = randomUUID();
    const broken = new DeciderCommandHandler<Command, Event, number>({
      store,
      decider: { ...counter, decide: () => [{ type: 'Incremented', data: { by: -1 } }] },
      streamIdOf: (command) => `counter-${command.data.counterId}`,
      events: [Incremented],
    });
    await expect(broken.handle(envelope({ counterId, by: 1, limit: 10 }))).rejects.toThrow(/breaks its contract/);
    expect((await store.readStream(`counter-${counterId}`)).events).toEqual([]);
  });
});
