import { WaitingRequests } from './waiting-requests';

describe('WaitingRequests', () => {
  it('gives each request a token of its own and hands its value back once', () => {
    const table = new WaitingRequests<string>(4);
    const first = table.add('first');
    const second = table.add('second');
    expect(first).not.toBe(second);
    expect(table.size).toBe(2);

    expect(table.take(second)).toBe('second');
    expect(table.take(second)).toBeUndefined();
    expect(table.take(12345)).toBeUndefined();
    expect(table.tokens()).toEqual([first]);
    expect(table.size).toBe(1);
  });

  it('reuses slots as requests settle, without confusing a late token with the one now in its slot', () => {
    const table = new WaitingRequests<number>(4);
    const settled: number[] = [];
    for (let request = 0; request < 100; request++) {
      const token = table.add(request);
      expect(table.take(token)).toBe(request);
      settled.push(token);
    }
    expect(new Set(settled).size).toBe(100);
    const current = table.add(100);
    // A token from long ago maps to the same slot as a live one, and must not take it.
    const sameSlot = settled.find((token) => token % 4 === current % 4)!;
    expect(table.take(sameSlot)).toBeUndefined();
    expect(table.take(current)).toBe(100);
  });

  it('makes room when a request waits longer than a round of slots, losing none of those waiting', () => {
    const table = new WaitingRequests<string>(4);
    const slow = table.add('slow');
    const later: number[] = [];
    for (let request = 0; request < 50; request++) {
      const token = table.add(`quick ${request}`);
      if (request % 2 === 0) expect(table.take(token)).toBe(`quick ${request}`);
      else later.push(token);
    }
    expect(table.size).toBe(1 + later.length);
    expect(new Set(table.tokens())).toEqual(new Set([slow, ...later]));
    for (const token of later) expect(table.take(token)).toMatch(/^quick /);
    expect(table.take(slow)).toBe('slow');
    expect(table.size).toBe(0);
  });
});
