import { BuildLog, BYTES_PER_EVENT, MAX_LINE_CHARS } from './build-log';

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

  it('keeps the first and the last of a long output, saying how many lines were dropped in between', async () => {
    const bounded = new BuildLog(async (lines) => void recorded.push(lines), 10 * 1024);
    // 5 MB of output, 100 bytes a line.
    const lines = Array.from({ length: 50_000 }, (_, i) => `${String(i).padStart(5, '0')} ${'x'.repeat(94)}`);
    for (const line of lines) bounded.add(line);
    await jest.advanceTimersByTimeAsync(500);
    const liveBeforeTheEnd = recorded.flat();
    await bounded.close();

    const kept = recorded.flat();
    expect(liveBeforeTheEnd).toEqual(lines.slice(0, 102)); // 10 KiB of 100-byte lines
    expect(kept.slice(0, 102)).toEqual(lines.slice(0, 102));
    expect(kept[102]).toBe(
      '… 49796 lines (4863 KiB) of output were dropped here: a build log keeps its first and its last 10 KiB',
    );
    expect(kept.slice(103)).toEqual(lines.slice(-102));
    expect(Buffer.byteLength(kept.join(''))).toBeLessThan(21 * 1024);
  });

  it('cuts a huge line and keeps every event far under the bus limit', async () => {
    const unbounded = new BuildLog(async (lines) => void recorded.push(lines), 10 * 1024 * 1024);
    unbounded.add('a'.repeat(5_000_000));
    for (let i = 0; i < 100; i++) unbounded.add('é'.repeat(4000));
    await unbounded.close();
    const [first, ...rest] = recorded.flat();
    expect(first === `${'a'.repeat(MAX_LINE_CHARS)} … (${5_000_000 - MAX_LINE_CHARS} more characters cut)`).toBe(true);
    expect(rest.map((line) => line.length)).toEqual(Array(100).fill(4000));
    for (const batch of recorded) expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThan(BYTES_PER_EVENT + 1024);
    expect(recorded.length).toBeGreaterThan(1);
  });
});
