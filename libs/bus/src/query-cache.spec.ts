import { QueryCache } from './query-cache';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

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
    cache.put('q', 'ws-1', cache.stamp('ws-1')!, bytes('[1]'));
    expect(cache.get('q', 'ws-1')).toEqual(bytes('[1]'));
    expect(cache.get('q', 'ws-2')).toBeUndefined();

    cache.put('q', 'ws-1', cache.stamp('ws-1')!, bytes('[1]'));
    cache.changed(['ws-2']);
    expect(cache.get('q', 'ws-1')).toEqual(bytes('[1]'));
    cache.changed(['ws-1']);
    expect(cache.get('q', 'ws-1')).toBeUndefined();
  });

  it('refuses an answer stamped before a change', () => {
    const cache = liveCache();
    const stamp = cache.stamp('ws-1')!;
    cache.changed(['ws-1']);
    cache.put('q', 'ws-1', stamp, bytes('stale'));
    expect(cache.get('q', 'ws-1')).toBeUndefined();
  });

  it('drops everything on changedAll, suspend and resume', () => {
    for (const drop of ['changedAll', 'suspend', 'resume'] as const) {
      const cache = liveCache();
      const stamp = cache.stamp('ws-1')!;
      cache.put('q', 'ws-1', stamp, bytes('[1]'));
      cache[drop]();
      expect(cache.get('q', 'ws-1')).toBeUndefined();
      cache.put('q', 'ws-1', stamp, bytes('[1]'));
      expect(cache.get('q', 'ws-1')).toBeUndefined();
    }
  });

  it('evicts the least recently used answers beyond its limits', () => {
    const cache = liveCache({ maxEntries: 2, maxBytes: 1024 * 1024 });
    const stamp = cache.stamp('ws-1')!;
    cache.put('a', 'ws-1', stamp, bytes('A'));
    cache.put('b', 'ws-1', stamp, bytes('B'));
    expect(cache.get('a', 'ws-1')).toEqual(bytes('A'));
    cache.put('c', 'ws-1', stamp, bytes('C'));
    expect(cache.get('b', 'ws-1')).toBeUndefined();
    expect(cache.get('a', 'ws-1')).toEqual(bytes('A'));
    expect(cache.get('c', 'ws-1')).toEqual(bytes('C'));

    // Sizes count the answer's bytes (and the key at two bytes a character); one answer may take at most a sixteenth of the budget.
    const small = liveCache({ maxEntries: 100, maxBytes: 4000 });
    small.put('big', 'ws-1', small.stamp('ws-1')!, bytes('x'.repeat(400)));
    expect(small.get('big', 'ws-1')).toBeUndefined();
    for (let index = 0; index < 30; index++)
      small.put(`k${index}`, 'ws-1', small.stamp('ws-1')!, bytes('y'.repeat(200)));
    expect(small.size).toBeLessThan(30);
    expect(small.size).toBeGreaterThan(10);
    expect(small.get('k29', 'ws-1')).toEqual(bytes('y'.repeat(200)));
    expect(small.get('k0', 'ws-1')).toBeUndefined();
  });
});
