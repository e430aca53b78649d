import argon2 from 'argon2';

/** argon2id with the library's defaults (OWASP's recommended minimums or above). */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

// Verified against when the email is unknown, so a login takes as long whether or not the account exists.
let decoy: Promise<string> | undefined;

export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  if (hash === undefined) {
    decoy ??= hashPassword('decoy password that matches nothing');
    await argon2.verify(await decoy, password);
    return false;
  }
  return argon2.verify(hash, password);
}
