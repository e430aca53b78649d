import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DomainError } from '@platform/contracts';

function canBind(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, address, () => server.close(() => resolve(true)));
  });
}

/**
 * Loopback addresses handed out to local servers, one file per address in a machine-wide directory: created
 * exclusively, so two providers (or test files) never take the same address. A lease whose server directory
 * is gone is stale and taken over.
 */
export class LoopbackLeases {
  constructor(
    private readonly dir: string,
    private readonly range: { readonly first: number; readonly last: number },
  ) {}

  /** The first free 127.0.0.N whose ports are free too, leased to `owner` (a server directory). */
  async acquire(owner: string, ports: readonly number[]): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    for (let host = this.range.first; host <= this.range.last; host++) {
      const address = `127.0.0.${host}`;
      const lease = join(this.dir, address);
      if (!(await this.take(lease, owner))) continue;
      const free = await Promise.all(ports.map((port) => canBind(address, port)));
      if (free.every(Boolean)) return address;
      // Something outside the platform listens there: leave the address alone.
      await rm(lease, { force: true });
    }
    throw new DomainError('unavailable', `no free loopback address in 127.0.0.${this.range.first}–127.0.0.${this.range.last}`);
  }

  async release(address: string): Promise<void> {
    await rm(join(this.dir, address), { force: true });
  }

  private async take(lease: string, owner: string): Promise<boolean> {
    try {
      await writeFile(lease, owner, { flag: 'wx' });
      return true;
    } catch {
      const holder = await readFile(lease, 'utf8').catch(() => '');
      if (holder && existsSync(holder)) return false;
      await rm(lease, { force: true });
      return writeFile(lease, owner, { flag: 'wx' }).then(
        () => true,
        () => false,
      );
    }
  }
}
