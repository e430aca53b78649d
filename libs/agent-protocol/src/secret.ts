import { createHmac, randomBytes } from 'node:crypto';
import { open, stat, writeFile } from 'node:fs/promises';
import { DomainError } from '@platform/contracts';

/** A per-server secret: 32 random bytes, hex. */
export function generateAgentSecret(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The name a server's agent certificate is issued for, derived from the server's secret: the platform knows it
 * before the server has an address (a droplet gets its IP only once created), and a certificate issued to
 * another server, even by the platform's CA, does not carry it. It never resolves (`.invalid`); the client
 * checks the certificate against it whatever address it connects to.
 */
export function agentServerName(secret: string): string {
  const label = createHmac('sha256', secret).update('platform agent certificate name').digest('hex').slice(0, 32);
  return `${label}.agent.invalid`;
}

/** Writes the secret readable by its owner only (0600), refusing to overwrite an existing file. */
export async function writeSecretFile(path: string, secret: string): Promise<void> {
  await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
}

/**
 * Reads a secret that only its owner can read: a file that group or others may read is refused, since the
 * secret lets anyone who has it run containers on the server.
 */
export async function readSecretFile(path: string): Promise<string> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new DomainError(
      'validation_failed',
      `cannot read the agent secret file ${path}: ${error.code ?? error.message}`,
    );
  });
  if (!info.isFile()) throw new DomainError('validation_failed', `the agent secret file ${path} is not a regular file`);
  if ((info.mode & 0o077) !== 0) {
    throw new DomainError(
      'validation_failed',
      `the agent secret file ${path} has mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}; it must be 0600 (chmod 600 ${path})`,
    );
  }
  const handle = await open(path, 'r');
  try {
    const secret = (await handle.readFile('utf8')).trim();
    if (secret.length < 32)
      throw new DomainError('validation_failed', `the agent secret in ${path} is shorter than 32 characters`);
    return secret;
  } finally {
    await handle.close();
  }
}
