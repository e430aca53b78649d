import { randomBytes } from 'node:crypto';

/**
 * Connection settings for the real services the tests talk to, and a fresh namespace per test file, so
 * test files can run in parallel against one PostgreSQL, one NATS and one Redis without seeing each other.
 */
export const testServices = {
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** A short random name usable as a PostgreSQL schema, a NATS subject token and a JetStream stream name. */
export function uniqueName(label: string): string {
  const safe =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 12) || 't';
  return `t_${safe}_${randomBytes(4).toString('hex')}`;
}
