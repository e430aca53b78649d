import { createHash, randomBytes } from 'node:crypto';
import { SecretBox } from '@platform/secrets';
import { createTestSchema, type TestSchema } from '@platform/testing';
import { IdempotencyStore, settleIdempotencyClaim } from './idempotency';

describe('IdempotencyStore (real PostgreSQL)', () => {
  let db: TestSchema;
  let store: IdempotencyStore;

  beforeAll(async () => {
    db = createTestSchema('idempotency');
    store = new IdempotencyStore(db.pool, db.schema, new SecretBox(randomBytes(32)));
    await store.migrate();
  });
  afterAll(() => db.dispose());

  const row = async (scope: string, key: string) =>
    (
      await db.pool.query<{ fingerprint: string; status: number | null; body: unknown }>(
        `SELECT fingerprint, status, body FROM ${db.schema}.idempotency_keys WHERE scope = $1 AND key = $2`,
        [scope, key],
      )
    ).rows[0];

  it('fingerprints a request with a key of the platform’s secret, not a bare hash a guess could be checked against', async () => {
    const body = { email: 'owner@example.com', password: 'correct horse battery' };
    const fingerprint = store.fingerprint('POST', '/v1/auth/login', body);
    const bare = createHash('sha256')
      .update(`POST /v1/auth/login\n${JSON.stringify(body)}`)
      .digest('hex');
    expect(fingerprint).not.toBe(bare);
    expect(fingerprint).toBe(store.fingerprint('POST', '/v1/auth/login', body));
    const otherInstance = new IdempotencyStore(db.pool, db.schema, new SecretBox(randomBytes(32)));
    expect(otherInstance.fingerprint('POST', '/v1/auth/login', body)).not.toBe(fingerprint);

    await store.claim('public:/v1/auth/login', 'k1', fingerprint);
    expect(JSON.stringify(await row('public:/v1/auth/login', 'k1'))).not.toContain(bare);
  });

  it('keeps no answer that holds a credential, and keeps other answers for retries', async () => {
    const payload = JSON.stringify({ token: 'pls_secret_session', expiresAt: new Date().toISOString() });
    await store.claim('public:/v1/auth/login', 'k2', 'f');
    await settleIdempotencyClaim(
      { store, scope: 'public:/v1/auth/login', key: 'k2', keepsAnswer: false },
      { status: 200, payload, failedOnOurSide: false },
    );
    expect(await row('public:/v1/auth/login', 'k2')).toMatchObject({ status: 200, body: null });

    await store.claim('ws:user', 'k3', 'f');
    await settleIdempotencyClaim(
      { store, scope: 'ws:user', key: 'k3', keepsAnswer: true },
      { status: 202, payload: JSON.stringify({ deployConfigId: 'd1' }), failedOnOurSide: false },
    );
    expect(await store.claim('ws:user', 'k3', 'f')).toEqual({ status: 202, body: { deployConfigId: 'd1' } });
  });
});
