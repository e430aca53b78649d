import { PendingWork } from './pending-work';

describe('PendingWork', () => {
  it('settles at once when nothing runs, and once every tracked piece of work has settled otherwise', async () => {
    const pending = new PendingWork();
    await expect(pending.settled()).resolves.toBeUndefined();

    let finishFirst!: () => void;
    let failSecond!: (error: Error) => void;
    const first = new Promise<void>((resolve) => (finishFirst = resolve));
    const second = new Promise<void>((_resolve, reject) => (failSecond = reject));
    second.catch(() => undefined);
    pending.track(first);
    pending.track(second);
    expect(pending.size).toBe(2);

    let settled = false;
    void pending.settled().then(() => (settled = true));
    finishFirst();
    await first;
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(pending.size).toBe(1);

    failSecond(new Error('failed'));
    await pending.settled();
    expect(settled).toBe(true);
    expect(pending.size).toBe(0);
  });
});
