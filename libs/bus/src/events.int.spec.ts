import { DomainError, type EventEnvelope } from '@platform/contracts';
import { uniqueName } from '@platform/testing';
import type { Bus } from './bus';
import { DeadLetterHeaders } from './dead-letters';
import type { EventDelivery } from './event-subscription';
import { encodeJson } from './json';
import { connectTestBus, countOnSubject, deleteStreams, eventually, storedMessages, testEvent } from './test-support';

jest.setTimeout(30_000);

const prefix = uniqueName('bus-evt');
let bus: Bus;

beforeAll(async () => {
  bus = await connectTestBus(prefix);
  await bus.ensureStreams();
});

afterAll(async () => {
  await deleteStreams(bus);
  await bus.close();
});

/** Events of one test live under their own context, so tests can filter on `evt.<context>.>`. */
function eventsOf(context: string, count: number): EventEnvelope[] {
  return Array.from({ length: count }, (_, index) =>
    testEvent({ context, streamVersion: index + 1, position: String(index + 1) }),
  );
}

describe('publishEvents', () => {
  it('stores each event once, whatever the number of times it is published', async () => {
    const [first, second] = eventsOf('dedupe', 2);

    const published = await bus.publishEvents([first, second, first]);
    expect(published).toEqual([
      { eventId: first.eventId, duplicate: false, sequence: expect.any(Number) },
      { eventId: second.eventId, duplicate: false, sequence: published[0].sequence + 1 },
      { eventId: first.eventId, duplicate: true, sequence: published[0].sequence },
    ]);
    const replayed = await bus.publishEvents([second]);
    expect(replayed).toEqual([{ eventId: second.eventId, duplicate: true, sequence: published[1].sequence }]);

    const subject = bus.subjects.event(first);
    expect(await countOnSubject(bus, 'EVENTS', subject)).toBe(2);
    const stored = (await storedMessages(bus, 'EVENTS')).filter((message) => message.subject === subject);
    expect(stored.map((message) => message.json<EventEnvelope>())).toEqual([first, second]);
  });

  it('refuses a batch holding an invalid envelope and stores none of it', async () => {
    const [valid] = eventsOf('invalid', 1);
    const broken = { ...testEvent({ context: 'invalid' }), eventId: 'not-a-uuid' };

    const publishing = bus.publishEvents([valid, broken]);
    await expect(publishing).rejects.toBeInstanceOf(DomainError);
    await expect(publishing).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await countOnSubject(bus, 'EVENTS', bus.subjects.event(valid))).toBe(0);
  });

  it('rejects when JetStream did not store every event', async () => {
    const [event] = eventsOf('nostream', 1);
    const withoutStreams = await connectTestBus(uniqueName('bus-nostream'));
    try {
      await expect(withoutStreams.publishEvents([event])).rejects.toBeInstanceOf(AggregateError);
    } finally {
      await withoutStreams.close();
    }
  });
});

describe('subscribeEvents', () => {
  it('follows events in order with a durable consumer and resumes after the last acked one', async () => {
    const context = 'projection';
    const [first, second, third, fourth] = eventsOf(context, 4);
    await bus.publishEvents([first, second]);
    const seen: { eventId: string; delivery: EventDelivery }[] = [];
    const options = {
      durable: 'projection-read-model',
      filterSubject: bus.subjects.eventsOf(context),
      handle: async (event: EventEnvelope, delivery: EventDelivery) => {
        seen.push({ eventId: event.eventId, delivery });
      },
    };

    const subscription = await bus.subscribeEvents(options);
    await eventually(() => expect(seen.map((entry) => entry.eventId)).toEqual([first.eventId, second.eventId]));
    await bus.publishEvents([third]);
    await eventually(() => expect(seen).toHaveLength(3));
    expect(subscription.lastSequence).toBe(seen[2].delivery.sequence);
    await subscription.stop();

    await bus.publishEvents([fourth]);
    const resumed = await bus.subscribeEvents(options);
    await eventually(() => expect(seen).toHaveLength(4));
    await resumed.stop();
    expect(seen.map((entry) => entry.eventId)).toEqual([first, second, third, fourth].map((event) => event.eventId));
    expect(seen.every((entry) => entry.delivery.deliveryCount === 1)).toBe(true);
  });

  it('retries a failing event before handing out the events after it', async () => {
    const context = 'ordered-retry';
    const [first, second, third] = eventsOf(context, 3);
    await bus.publishEvents([first, second, third]);
    const attempts: string[] = [];
    let failed = false;

    const subscription = await bus.subscribeEvents({
      durable: 'ordered-retry-projection',
      filterSubject: bus.subjects.eventsOf(context),
      retryDelayMs: () => 50,
      handle: async (event) => {
        attempts.push(event.eventId);
        if (event.eventId === first.eventId && !failed) {
          failed = true;
          throw new Error('read model locked');
        }
      },
    });

    await eventually(() => expect(attempts).toHaveLength(4));
    await subscription.stop();
    expect(attempts).toEqual([first.eventId, first.eventId, second.eventId, third.eventId]);
  });

  it('dead-letters an event that is not a valid envelope and goes on with the next', async () => {
    const context = 'malformed';
    const [valid] = eventsOf(context, 1);
    const subject = bus.subjects.event({ context, type: 'DeploymentRequested' });
    await bus.jetstream.publish(subject, encodeJson({ eventId: 'nope' }));
    await bus.publishEvents([valid]);
    const handled: string[] = [];

    const subscription = await bus.subscribeEvents({
      durable: 'malformed-projection',
      filterSubject: bus.subjects.eventsOf(context),
      handle: async (event) => {
        handled.push(event.eventId);
      },
    });

    await eventually(() => expect(handled).toEqual([valid.eventId]));
    await subscription.stop();
    const deadLetter = (await storedMessages(bus, 'DEADLETTERS')).find(
      (message) => message.subject === bus.subjects.deadLetter(subject),
    );
    expect(deadLetter?.header.get(DeadLetterHeaders.Reason)).toMatch(/^event envelope is not valid/);
  });

  it('follows events after a known sequence with an ordered consumer', async () => {
    const context = 'live';
    const [first, second, third] = eventsOf(context, 3);
    const [firstStored, secondStored] = await bus.publishEvents([first, second]);
    const seen: number[] = [];

    const subscription = await bus.subscribeEvents({
      filterSubject: bus.subjects.eventsOf(context),
      start: { afterSequence: firstStored.sequence },
      handle: async (_event, delivery) => {
        seen.push(delivery.sequence);
      },
    });
    const [thirdStored] = await bus.publishEvents([third]);

    await eventually(() => expect(seen).toEqual([secondStored.sequence, thirdStored.sequence]));
    await subscription.stop();
    expect(await subscription.closed()).toBeUndefined();
  });

  it('ends an ordered subscription whose handler fails, reporting the error', async () => {
    const context = 'live-failure';
    await bus.publishEvents(eventsOf(context, 2));
    let calls = 0;

    const subscription = await bus.subscribeEvents({
      filterSubject: bus.subjects.eventsOf(context),
      handle: async () => {
        calls++;
        throw new Error('browser went away');
      },
    });

    expect(await subscription.closed()).toEqual(new Error('browser went away'));
    expect(calls).toBe(1);
  });
});
