import type { MetricsSearchStore } from './search/metrics-search-store';
import type { MetricsQueries } from './store/metrics-queries';
import { MetricsReader } from './metrics-reader';

/** A store that answers with its own name, so the test sees which one was asked. */
function storeNamed(name: string) {
  return {
    list: jest.fn(async () => ({ items: [], nextCursor: name })),
    stats: jest.fn(async () => ({ from: name })),
    timeseries: jest.fn(async () => ({ step: name })),
  };
}

describe('MetricsReader', () => {
  const now = new Date('2026-12-06T12:00:00Z');
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
  const scope = { workspaceId: null };
  const postgres = storeNamed('postgres');
  const search = storeNamed('opensearch');
  const reader = new MetricsReader(postgres as unknown as MetricsQueries, search as unknown as MetricsSearchStore, 30);

  it('answers ranges within PostgreSQL retention from PostgreSQL, older ones from OpenSearch', async () => {
    expect(await reader.list(scope, { limit: 10 }, now)).toMatchObject({ nextCursor: 'postgres' });
    expect(await reader.list(scope, { limit: 10, from: daysAgo(29) }, now)).toMatchObject({ nextCursor: 'postgres' });
    expect(await reader.list(scope, { limit: 10, from: daysAgo(31) }, now)).toMatchObject({ nextCursor: 'opensearch' });
    expect(await reader.stats(scope, { hours: 24 }, now)).toMatchObject({ from: 'postgres' });
    expect(await reader.stats(scope, { hours: 24 * 45 }, now)).toMatchObject({ from: 'opensearch' });
    expect(await reader.timeseries(scope, { metric: 'rate', step: '1d', from: daysAgo(60) }, now)).toMatchObject({
      step: 'opensearch',
    });
  });

  it('answers everything from PostgreSQL when OpenSearch is not configured', async () => {
    const alone = new MetricsReader(postgres as unknown as MetricsQueries, null, 30);
    expect(await alone.stats(scope, { hours: 24 * 45 }, now)).toMatchObject({ from: 'postgres' });
  });
});
