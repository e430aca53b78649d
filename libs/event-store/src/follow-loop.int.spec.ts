import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestSchema, eventually, type TestSchema } from '@platform/testing';
import { EventStore } from './event-store';
import { FollowLoop } from './follow-loop';
import { LeaderLease } from './leadership';
import { projectedSignal } from './projections';
import { WorkSweeper } from './work-sweeper';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('FollowLoop', () => {
  let db: TestSchema;

  beforeAll(() => {
    db = createTestSchema('followloop');
  });
  afterAll(() => db.dispose());

  it('steps again at once when work was signalled while a step ran, and otherwise waits for a signal', async () => {
    const wake = new EventEmitter();
    let steps = 0;
    const loop = new FollowLoop({
      name: 'test',
      lease: new LeaderLease(db.pool, `${db.schema}:signalled`),
      wake,
      // Far beyond the test's time: any second step within it was woken, not polled.
      idleMs: 60_000,
      step: async () => {
        steps++;
        if (steps === 1) wake.emit('appended');
        return false;
      },
    });
    loop.start();
    try {
      await eventually(() => expect(steps).toBe(2));
      await sleep(200);
      expect(steps).toBe(2);
      wake.emit('appended');
      await eventually(() => expect(steps).toBe(3));
    } finally {
      await loop.stop();
    }
  });

  it('steps again at once while a step reports more waiting', async () => {
    let steps = 0;
    const loop = new FollowLoop({
      name: 'test',
      lease: new LeaderLease(db.pool, `${db.schema}:more`),
      idleMs: 60_000,
      step: async () => ++steps < 5,
    });
    loop.start();
    try {
      await eventually(() => expect(steps).toBe(5));
      await sleep(200);
      expect(steps).toBe(5);
    } finally {
      await loop.stop();
    }
  });
});

describe('WorkSweeper', () => {
  let db: TestSchema;
  let store: EventStore;

  beforeAll(() => {
    db = createTestSchema('sweeper');
    store = new EventStore(db.pool, db.schema);
  });
  afterAll(() => db.dispose());

  it('looks at the read models again when one of its projections moved, not when another one did', async () => {
    let sweeps = 0;
    const sweeper = new WorkSweeper<string>({
      name: 'test-sweeper',
      store,
      projections: ['deployments'],
      pending: async () => {
        sweeps++;
        return [];
      },
      keyOf: (item) => item,
      work: async () => undefined,
      pollMs: 60_000,
      logger: silent,
    });
    sweeper.start();
    try {
      await eventually(() => expect(sweeps).toBe(1));
      store.signals.emit(projectedSignal('invoices'));
      await sleep(200);
      expect(sweeps).toBe(1);
      store.signals.emit(projectedSignal('deployments'));
      await eventually(() => expect(sweeps).toBe(2));
    } finally {
      await sweeper.stop();
    }
  });
});
