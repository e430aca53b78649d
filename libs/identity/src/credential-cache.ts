import type { Principal } from './access';

/**
 * Called with the users whose credentials changed (revoked, logged out, role changed, membership ended): forgets
 * their cached entries here and tells the other replicas to do the same.
 */
export type UsersChanged = (userIds: string[]) => void;

interface Entry {
  readonly principal: Principal;
  readonly until: number;
}

/**
 * Resolved credentials by token hash, for a short time: the credential check runs on every request and
 * this keeps it off the database. Changes that affect a user (revocation, role change) forget that user's
 * entries at once, here and — through the gateway's change notices — on every other replica.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  set(key: string, principal: Principal, expiresAt: number, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { principal, until: Math.min(now + this.ttlMs, expiresAt) });
  }

  forgetUsers(userIds: readonly string[]): void {
    const forgotten = new Set(userIds);
    for (const [key, entry] of this.entries) {
      if (forgotten.has(entry.principal.userId)) this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
