import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const FORMAT = 'v1';

/** A secret as stored: `v1:<key id>:<iv>:<ciphertext>:<tag>`, never the plain text. */
export type SealedSecret = string & { readonly __sealed: true };

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

function parseKey(value: string, name: string): Buffer {
  const trimmed = value.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new SecretKeyError(
      `${name} must be 32 random bytes, as 64 hex characters or base64 (e.g. \`openssl rand -hex 32\`)`,
    );
  }
  return key;
}

/**
 * Encrypts secrets at rest with AES-256-GCM. Each value is bound to a context (for example the workspace and
 * what the secret is for), so a sealed value copied to another workspace or purpose does not open. Older keys
 * can be kept for opening while new values are sealed with the current one, so keys can be rotated.
 */
export class SecretBox {
  private readonly current: { id: string; key: Buffer };
  private readonly keys: Map<string, Buffer>;

  constructor(currentKey: Buffer, previousKeys: readonly Buffer[] = []) {
    this.current = { id: keyId(currentKey), key: currentKey };
    this.keys = new Map([currentKey, ...previousKeys].map((key) => [keyId(key), key]));
  }

  /** From `PLATFORM_SECRET_KEY` (and, while rotating, `PLATFORM_SECRET_KEYS_PREVIOUS`, comma-separated). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox {
    const current = env.PLATFORM_SECRET_KEY;
    if (!current) {
      throw new SecretKeyError(
        'PLATFORM_SECRET_KEY is not set: give 32 random bytes as hex (`openssl rand -hex 32`); npm start makes one for you',
      );
    }
    const previous = (env.PLATFORM_SECRET_KEYS_PREVIOUS ?? '')
      .split(',')
      .filter((value) => value.trim())
      .map((value) => parseKey(value, 'PLATFORM_SECRET_KEYS_PREVIOUS'));
    return new SecretBox(parseKey(current, 'PLATFORM_SECRET_KEY'), previous);
  }

  seal(plaintext: string, context: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      FORMAT,
      this.current.id,
      iv.toString('base64url'),
      ciphertext.toString('base64url'),
      tag.toString('base64url'),
    ].join(':') as SealedSecret;
  }

  open(sealed: string, context: string): string {
    const [format, id, iv, ciphertext, tag] = sealed.split(':');
    if (format !== FORMAT || !id || iv === undefined || ciphertext === undefined || tag === undefined) {
      throw new SecretKeyError('not a sealed secret');
    }
    const key = this.keys.get(id);
    if (!key)
      throw new SecretKeyError(
        `sealed with key ${id}, which is not configured; add it to PLATFORM_SECRET_KEYS_PREVIOUS`,
      );
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError('the sealed secret does not open here: wrong context, wrong key or tampered');
    }
  }

  /**
   * A keyed digest of `data` (HMAC-SHA256, hex) under a key derived from the current one for `purpose`: lets a
   * value be recognised again without keeping it, and without anyone lacking the key testing guesses against it.
   */
  mac(purpose: string, data: string): string {
    const key = Buffer.from(hkdfSync('sha256', this.current.key, Buffer.alloc(0), `mac:${purpose}`, 32));
    return createHmac('sha256', key).update(data).digest('hex');
  }

  /** Whether a value is sealed with a key other than the current one (to re-seal while rotating). */
  needsResealing(sealed: string): boolean {
    return sealed.split(':')[1] !== this.current.id;
  }
}

/** How a secret is shown: never its value, only that it is set and its last characters when long enough. */
export function maskSecret(value: string): string {
  return value.length >= 12 ? `••••••••${value.slice(-4)}` : '••••••••';
}
