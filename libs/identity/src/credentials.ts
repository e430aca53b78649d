import { hash, randomBytes } from 'node:crypto';

/** Session tokens start `pls_`, API tokens `plt_`, so a leaked one is recognisable (and scannable) at a glance. */
export type TokenKind = 'session' | 'api_token';
const PREFIX: Record<TokenKind, string> = { session: 'pls_', api_token: 'plt_' };

export function newToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function tokenKindOf(token: string): TokenKind | undefined {
  if (token.startsWith(PREFIX.session)) return 'session';
  if (token.startsWith(PREFIX.api_token)) return 'api_token';
  return undefined;
}

/**
 * Tokens are 256 random bits, so a fast hash is enough to store them: nobody can guess their way back, and
 * the lookup on every request stays cheap. (Passwords, which people choose, get argon2.)
 */
export function hashToken(token: string): Buffer {
  // One-shot: no Hash object per call (this runs on every authenticated request).
  return hash('sha256', token, 'buffer');
}

/** Shown in lists so a person can tell tokens apart; reveals 8 of the 43 random characters. */
export function tokenPrefix(token: string): string {
  return token.slice(0, 12);
}
