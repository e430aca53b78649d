import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Connection settings for the real services the tests talk to, and a fresh namespace per test file, so
 * test files can run in parallel against one PostgreSQL, one NATS and one Redis without seeing each other.
 */
export const testServices = {
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** The OpenSearch node scripts/opensearch-node.sh starts (ensure-services.sh does, when Java is present). */
  openSearchUrl: process.env.OPENSEARCH_TEST_URL ?? 'http://127.0.0.1:9200',
};

/**
 * Whether the OpenSearch tests run here: they need the node, which needs Java. Without Java they are skipped and
 * say why; in CI (CI=true) they always run, and fail if the node is not there.
 */
export function openSearchTestsRun(): boolean {
  if (process.env.CI === 'true' || process.env.OPENSEARCH_TEST_URL) return true;
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0) return true;
  console.warn('OpenSearch tests skipped: Java is not installed, so scripts/opensearch-node.sh cannot start a node');
  return false;
}

/** A short random name usable as a PostgreSQL schema, a NATS subject token and a JetStream stream name. */
export function uniqueName(label: string): string {
  const safe =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 12) || 't';
  return `t_${safe}_${randomBytes(4).toString('hex')}`;
}
