import { CallGroups } from './call-groups';

/** A run whose groups are recorded and which finishes only when told to. */
function recordingRun() {
  const groups: number[][] = [];
  const finishers: (() => void)[] = [];
  const run = (inputs: readonly number[]) => {
    groups.push([...inputs]);
    return new Promise<(string | Error)[]>((resolve) =>
      finishers.push(() =>
        resolve(inputs.map((input) => (input < 0 ? new Error(`negative ${input}`) : `answer ${input}`))),
      ),
    );
  };
  const finishNext = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    finishers.shift()?.();
  };
  return { groups, run, finishNext };
}

describe('CallGroups', () => {
  it('runs the calls of one turn together, and the calls made while a group runs together in the next', async () => {
    const { groups, run, finishNext } = recordingRun();
    const calls = new CallGroups({ run, maxGroupSize: 10 });
    const first = [1, 2, 3].map((n) => calls.call(n));
    await new Promise((resolve) => setImmediate(resolve));
    const second = [4, 5].map((n) => calls.call(n));
    await finishNext();
    await finishNext();
    await expect(Promise.all([...first, ...second])).resolves.toEqual([
      'answer 1',
      'answer 2',
      'answer 3',
      'answer 4',
      'answer 5',
    ]);
    expect(groups).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('fails only the call whose answer is an error', async () => {
    const { run, finishNext } = recordingRun();
    const calls = new CallGroups({ run, maxGroupSize: 10 });
    const results = Promise.allSettled([1, -2, 3].map((n) => calls.call(n)));
    await finishNext();
    expect(
      (await results).map((result) =>
        result.status === 'fulfilled' ? result.value : (result.reason as Error).message,
      ),
    ).toEqual(['answer 1', 'negative -2', 'answer 3']);
  });

  it('fails every call of a group whose run throws, and goes on with the next group', async () => {
    let runs = 0;
    const calls = new CallGroups<number, number>({
      run: async (inputs) => {
        runs++;
        if (runs === 1) throw new Error('connection lost');
        return inputs.map((input) => input * 10);
      },
      maxGroupSize: 10,
    });
    const failed = Promise.allSettled([1, 2].map((n) => calls.call(n)));
    expect((await failed).map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await expect(calls.call(3)).resolves.toBe(30);
  });

  it('takes at most maxGroupSize calls per group, and never two calls with the same key', async () => {
    const { groups, run, finishNext } = recordingRun();
    const calls = new CallGroups({ run, maxGroupSize: 3, keyOf: (n: number) => String(n % 10) });
    const all = Promise.all([1, 11, 2, 3, 4, 21].map((n) => calls.call(n)));
    for (let group = 0; group < 3; group++) await finishNext();
    await all;
    expect(groups).toEqual([[1, 2, 3], [11, 4], [21]]);
  });

  it('answers a waiting call early when refuseEarly says so, without running it, and tells when it is idle', async () => {
    const { groups, run, finishNext } = recordingRun();
    let idle = 0;
    const refused = new Set<number>();
    const calls = new CallGroups({
      run,
      maxGroupSize: 10,
      refuseEarly: (n: number) => (refused.has(n) ? new Error(`refused ${n}`) : undefined),
      onIdle: () => idle++,
    });
    const first = calls.call(1);
    await new Promise((resolve) => setImmediate(resolve));
    // Decided while the first group runs: 2 is refused when the next group forms, 3 goes.
    const later = Promise.allSettled([2, 3].map((n) => calls.call(n)));
    refused.add(2);
    await finishNext();
    await finishNext();
    await first;
    expect(
      (await later).map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message)),
    ).toEqual(['refused 2', 'answer 3']);
    expect(groups).toEqual([[1], [3]]);
    expect(idle).toBe(1);
  });

  it('refuses a group size that is not a positive integer', () => {
    expect(() => new CallGroups({ run: async () => [], maxGroupSize: 0 })).toThrow(
      'maxGroupSize must be a positive integer',
    );
  });
});
