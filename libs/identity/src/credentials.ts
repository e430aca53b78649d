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
 * the lookup on every request stays cheap. (Passwords, which people choose, get argon2.) As hex, it is the key
 * of the credential cache: a string straight from the one-shot hash, with no Buffer made on every request.
 */
export function hashTokenHex(token: string): string {
  return hash('sha256', token, 'hex');
}

/** The stored form (a bytea column). */
export function hashToken(token: string): Buffer {
  return storedTokenHash(hashTokenHex(token));
}

/** The stored form of a hash already taken as hex. */
export function storedTokenHash(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

/** Shown in lists so a person can tell tokens apart; reveals 8 of the 43 random characters. */
export function tokenPrefix(token: string): string {
  return token.slice(0, 12);
}
