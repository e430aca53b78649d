import { exponentialRetryDelayMs, Semaphore, settlesWithin } from './concurrency';

describe('Semaphore', () => {
  it('lets no more than its permits through until one is released', async () => {
    const slots = new Semaphore(2);
    const entered: number[] = [];
    const attempts = [1, 2, 3].map((id) => slots.acquire().then(() => entered.push(id)));

    await Promise.all(attempts.slice(0, 2));
    await Promise.resolve();
    expect(entered).toEqual([1, 2]);

    slots.release();
    await attempts[2];
    expect(entered).toEqual([1, 2, 3]);
  });

  it('rejects a permit count that would never let anything through', () => {
    expect(() => new Semaphore(0)).toThrow(/positive integer/);
  });
});

describe('settlesWithin', () => {
  it('tells whether the work settled before the deadline, failures included', async () => {
    await expect(settlesWithin(Promise.resolve(), 50)).resolves.toBe(true);
    await expect(settlesWithin(Promise.reject(new Error('failed')), 50)).resolves.toBe(true);
    await expect(settlesWithin(new Promise(() => undefined), 20)).resolves.toBe(false);
  });
});

describe('exponentialRetryDelayMs', () => {
  it('doubles from one second and stops growing at a minute', () => {
    expect([1, 2, 3, 4].map(exponentialRetryDelayMs)).toEqual([1000, 2000, 4000, 8000]);
    expect(exponentialRetryDelayMs(20)).toBe(60_000);
  });
});
