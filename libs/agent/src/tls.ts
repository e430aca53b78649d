import { readFile, stat } from 'node:fs/promises';
import { DomainError } from '@platform/contracts';
import type { AgentConfig } from './config';

/** The certificate and key the agent serves HTTPS with (PEM). */
export interface AgentTls {
  readonly cert: string;
  readonly key: string;
}

/**
 * Reads the agent's certificate and its private key, refusing a key file that group or others may read: whoever
 * holds the key can pose as this server to the platform.
 */
export async function readAgentTls(tls: AgentConfig['tls']): Promise<AgentTls> {
  const info = await stat(tls.keyFile).catch((error: NodeJS.ErrnoException) => {
    throw new DomainError('validation_failed', `cannot read the agent's TLS key ${tls.keyFile}: ${error.code}`);
  });
  if ((info.mode & 0o077) !== 0) {
    throw new DomainError(
      'validation_failed',
      `the agent's TLS key ${tls.keyFile} has mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}; it must be 0600 (chmod 600 ${tls.keyFile})`,
    );
  }
  const [cert, key] = await Promise.all([
    readFile(tls.certFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new DomainError('validation_failed', `cannot read the agent's certificate ${tls.certFile}: ${error.code}`);
    }),
    readFile(tls.keyFile, 'utf8'),
  ]);
  return { cert, key };
}
