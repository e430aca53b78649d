import { BuildLog } from './build-log';

describe('BuildLog', () => {
  let recorded: string[][];
  let log: BuildLog;
  beforeEach(() => {
    jest.useFakeTimers();
    recorded = [];
    log = new BuildLog(async (lines) => void recorded.push(lines));
  });
  afterEach(() => jest.useRealTimers());

  it('records lines while the build runs, so the live stream follows it', async () => {
    log.add('Step 1/2 : FROM platform/node:20\n');
    log.add('\n> app@1.0.0 build\n> tsc\n');
    expect(recorded).toEqual([]);
    await jest.advanceTimersByTimeAsync(500);
    expect(recorded).toEqual([['Step 1/2 : FROM platform/node:20', '> app@1.0.0 build', '> tsc']]);
    log.add('src/main.ts(3,7): error TS2322');
    await log.close();
    expect(recorded).toEqual([
      ['Step 1/2 : FROM platform/node:20', '> app@1.0.0 build', '> tsc'],
      ['src/main.ts(3,7): error TS2322'],
    ]);
  });

  it('records at most 200 lines an event, in order', async () => {
    for (let i = 0; i < 450; i++) log.add(`line ${i}`);
    await log.close();
    expect(recorded.map((lines) => lines.length)).toEqual([200, 200, 50]);
    expect(recorded.flat()).toEqual(Array.from({ length: 450 }, (_, i) => `line ${i}`));
  });

  it('fails `close` when a batch could not be recorded', async () => {
    const failing = new BuildLog(async () => Promise.reject(new Error('the store is down')));
    for (let i = 0; i < 200; i++) failing.add(`line ${i}`);
    await expect(failing.close()).rejects.toThrow('the store is down');
  });
});
