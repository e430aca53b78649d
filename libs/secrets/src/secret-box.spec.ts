import { randomBytes } from 'node:crypto';
import { maskSecret, SecretBox, SecretKeyError } from './secret-box';

describe('SecretBox', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);

  it('seals so that the plain text is nowhere in the stored value, and opens it again', () => {
    const sealed = box.seal('dop_v1_supersecrettoken', 'ws_1:digitalocean');
    expect(sealed).not.toContain('supersecret');
    expect(sealed.startsWith('v1:')).toBe(true);
    expect(box.open(sealed, 'ws_1:digitalocean')).toBe('dop_v1_supersecrettoken');
    expect(box.seal('same', 'c')).not.toBe(box.seal('same', 'c'));
  });

  it('refuses a value moved to another context, tampered with, or sealed with an unknown key', () => {
    const sealed = box.seal('token', 'ws_1:digitalocean');
    expect(() => box.open(sealed, 'ws_2:digitalocean')).toThrow(SecretKeyError);
    const parts = sealed.split(':');
    parts[3] = Buffer.from('forged').toString('base64url');
    expect(() => box.open(parts.join(':'), 'ws_1:digitalocean')).toThrow(/tampered/);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'ws_1:digitalocean')).toThrow(
      /PLATFORM_SECRET_KEYS_PREVIOUS/,
    );
    expect(() => box.open('plain text', 'x')).toThrow(/not a sealed secret/);
  });

  it('opens values sealed with a previous key while sealing with the new one', () => {
    const old = box.seal('token', 'ctx');
    const rotated = new SecretBox(randomBytes(32), [key]);
    expect(rotated.open(old, 'ctx')).toBe('token');
    expect(rotated.needsResealing(old)).toBe(true);
    expect(rotated.needsResealing(rotated.seal('token', 'ctx'))).toBe(false);
  });

  it('reads its keys from the environment and names a bad setting', () => {
    expect(() => SecretBox.fromEnv({})).toThrow(/PLATFORM_SECRET_KEY is not set/);
    expect(() => SecretBox.fromEnv({ PLATFORM_SECRET_KEY: 'short' })).toThrow(/32 random bytes/);
    const fromEnv = SecretBox.fromEnv({ PLATFORM_SECRET_KEY: key.toString('hex') });
    expect(fromEnv.open(box.seal('x', 'c'), 'c')).toBe('x');
  });

  it('masks secrets for display', () => {
    expect(maskSecret('dop_v1_abcdefghijkl')).toBe('••••••••ijkl');
    expect(maskSecret('short')).toBe('••••••••');
  });
});
