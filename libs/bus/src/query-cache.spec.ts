import { QueryCache } from './query-cache';

describe('QueryCache', () => {
  function liveCache(limits?: ConstructorParameters<typeof QueryCache>[0]): QueryCache {
    const cache = new QueryCache(limits);
    cache.resume();
    return cache;
  }

  it('keeps nothing before change notices flow', () => {
    const cache = new QueryCache();
    expect(cache.stamp('ws-1')).toBeUndefined();
  });

  it('serves an answer until its workspace changes, and only to its own workspace', () => {
    const cache = liveCache();
    cache.put('q', 'ws-1', cache.stamp('ws-1')!, '[1]');
    expect(cache.get('q', 'ws-1')).toBe('[1]');
    expect(cache.get('q', 'ws-2')).toBeUndefined();

    cache.put('q', 'ws-1', cache.stamp('ws-1')!, '[1]');
    cache.changed(['ws-2']);
    expect(cache.get('q', 'ws-1')).toBe('[1]');
    cache.changed(['ws-1']);
    expect(cache.get('q', 'ws-1')).toBeUndefined();
  });

  it('refuses an answer stamped before a change', () => {
    const cache = liveCache();
    const stamp = cache.stamp('ws-1')!;
    cache.changed(['ws-1']);
    cache.put('q', 'ws-1', stamp, 'stale');
    expect(cache.get('q', 'ws-1')).toBeUndefined();
  });

  it('drops everything on changedAll, suspend and resume', () => {
    for (const drop of ['changedAll', 'suspend', 'resume'] as const) {
      const cache = liveCache();
      const stamp = cache.stamp('ws-1')!;
      cache.put('q', 'ws-1', stamp, '[1]');
      cache[drop]();
      expect(cache.get('q', 'ws-1')).toBeUndefined();
      cache.put('q', 'ws-1', stamp, '[1]');
      expect(cache.get('q', 'ws-1')).toBeUndefined();
    }
  });

  it('evicts the least recently used answers beyond its limits', () => {
    const cache = liveCache({ maxEntries: 2, maxBytes: 1024 * 1024 });
    const stamp = cache.stamp('ws-1')!;
    cache.put('a', 'ws-1', stamp, 'A');
    cache.put('b', 'ws-1', stamp, 'B');
    expect(cache.get('a', 'ws-1')).toBe('A');
    cache.put('c', 'ws-1', stamp, 'C');
    expect(cache.get('b', 'ws-1')).toBeUndefined();
    expect(cache.get('a', 'ws-1')).toBe('A');
    expect(cache.get('c', 'ws-1')).toBe('C');

    // Sizes count two bytes a character; one answer may take at most a sixteenth of the budget.
    const small = liveCache({ maxEntries: 100, maxBytes: 4000 });
    small.put('big', 'ws-1', small.stamp('ws-1')!, 'x'.repeat(200));
    expect(small.get('big', 'ws-1')).toBeUndefined();
    for (let index = 0; index < 30; index++) small.put(`k${index}`, 'ws-1', small.stamp('ws-1')!, 'y'.repeat(100));
    expect(small.size).toBeLessThan(30);
    expect(small.size).toBeGreaterThan(10);
    expect(small.get('k29', 'ws-1')).toBe('y'.repeat(100));
    expect(small.get('k0', 'ws-1')).toBeUndefined();
  });
});
