import { DomainError } from '@platform/contracts';
import { runMigrations } from '@platform/event-store';
import type { SecretBox } from '@platform/secrets';
import type { Pool } from 'pg';

const KEY = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

/** A POST that claimed its Idempotency-Key: its answer is recorded under the key before it leaves. */
export interface IdempotencyClaim {
  readonly store: IdempotencyStore;
  readonly scope: string;
  readonly key: string;
  /** False for answers that hold a credential (a session or API token): only that the key was used is kept. */
  readonly keepsAnswer: boolean;
}

/** Thrown when a retry is to get the first answer: the exception filter sends that answer. */
export class IdempotentReplay extends Error {
  constructor(readonly response: StoredResponse) {
    super('a retry of an earlier request with the same Idempotency-Key');
    this.name = 'IdempotentReplay';
  }
}

function parsedPayload(payload: unknown): unknown {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * Records the answer of a request that claimed an Idempotency-Key: a success or a refusal is kept for its retries
 * (a refusal without its request id); a failure of ours is forgotten, so that a retry is handled afresh.
 */
export async function settleIdempotencyClaim(
  claim: IdempotencyClaim,
  answer: { status: number; payload: unknown; failedOnOurSide: boolean },
): Promise<void> {
  if (answer.failedOnOurSide) {
    await claim.store.release(claim.scope, claim.key);
    return;
  }
  const body = claim.keepsAnswer ? parsedPayload(answer.payload) : null;
  const stored = answer.status >= 400 && body ? { error: (body as { error?: unknown }).error } : body;
  await claim.store.complete(claim.scope, claim.key, { status: answer.status, body: stored });
}

/**
 * Remembers the first answer to each `Idempotency-Key` (per workspace and user) for a day, so that a retry
 * gets that answer instead of doing the work twice. The same key with a different request is refused.
 */
export class IdempotencyStore {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly secrets: SecretBox,
    private readonly ttlHours = 24,
  ) {}

  async migrate(): Promise<void> {
    await runMigrations(this.pool, this.schema, [
      {
        id: 'gateway/001-idempotency-keys',
        sql: `CREATE TABLE idempotency_keys (
                scope text NOT NULL,
                key text NOT NULL,
                fingerprint text NOT NULL,
                status integer,
                body jsonb,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (scope, key)
              );
              CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);`,
      },
    ]);
  }

  static validKey(key: string): string {
    if (!KEY.test(key)) {
      throw new DomainError(
        'validation_failed',
        'Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. a UUID',
      );
    }
    return key;
  }

  /**
   * What tells one request from another under the same key: keyed by the platform's secret, since a body may hold
   * a password, which a bare hash of it would let anyone reading this table test guesses against.
   */
  fingerprint(method: string, url: string, body: unknown): string {
    return this.secrets.mac('idempotency-fingerprint', `${method} ${url}\n${JSON.stringify(body ?? null)}`);
  }

  /**
   * Claims the key for this request. Returns the stored answer when the key was used before with the same
   * request, or undefined when this request is the first and must be handled (then `complete` or `release`).
   */
  async claim(scope: string, key: string, fingerprint: string): Promise<StoredResponse | undefined> {
    const inserted = await this.pool.query(
      `INSERT INTO ${this.schema}.idempotency_keys (scope, key, fingerprint) VALUES ($1, $2, $3)
       ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = NULL, body = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - make_interval(hours => $4)
            -- A claim left unanswered for a minute belongs to a gateway that died mid-request: take it over.
            OR (idempotency_keys.status IS NULL AND idempotency_keys.created_at < now() - interval '60 seconds')
       RETURNING 1`,
      [scope, key, fingerprint, this.ttlHours],
    );
    if (inserted.rowCount === 1) return undefined;
    const { rows } = await this.pool.query<{ fingerprint: string; status: number | null; body: unknown }>(
      `SELECT fingerprint, status, body FROM ${this.schema}.idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    const stored = rows[0];
    if (!stored) return this.claim(scope, key, fingerprint);
    if (stored.fingerprint !== fingerprint) {
      throw new DomainError(
        'idempotency_key_reused',
        'this Idempotency-Key was used for a different request; use a new key for a new request',
      );
    }
    if (stored.status === null) {
      throw new DomainError(
        'conflict',
        'a request with this Idempotency-Key is still being handled; retry in a moment',
      );
    }
    return { status: stored.status, body: stored.body };
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.schema}.idempotency_keys SET status = $3, body = $4 WHERE scope = $1 AND key = $2`,
      [scope, key, response.status, JSON.stringify(response.body ?? null)],
    );
  }

  /** Forgets a claim whose request failed on our side, so a retry is handled afresh. */
  async release(scope: string, key: string): Promise<void> {
    await this.pool.query(
      `DELETE FROM ${this.schema}.idempotency_keys WHERE scope = $1 AND key = $2 AND status IS NULL`,
      [scope, key],
    );
  }

  async prune(): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM ${this.schema}.idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`,
      [this.ttlHours],
    );
    return result.rowCount ?? 0;
  }
}
