import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

/** How long an acquirer may hold the lease directory's lock before others take it as left by a crash. */
const LOCK_STALE_MS = 10_000;
/** How long an acquirer waits for the lock before it gives up. */
const LOCK_WAIT_MS = 30_000;

/**
 * Loopback addresses handed out to local servers, one file per address in a machine-wide directory. Leases are
 * taken one acquirer at a time, under a lock directory that every provider (and test file) on the machine
 * shares: a lease is a file created and then written, and an acquirer that found it still empty took it for
 * stale and handed the same address to a second server. A lease whose server directory is gone, or that a crash
 * left empty, is stale and taken over.
 */
export class LoopbackLeases {
  constructor(
    private readonly dir: string,
    private readonly range: { readonly first: number; readonly last: number },
  ) {}

  /** The first free 127.0.0.N whose ports are free too, leased to `owner` (a server directory). */
  async acquire(owner: string, ports: readonly number[]): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    return this.whileLocked(() => this.firstFree(owner, ports));
  }

  private async firstFree(owner: string, ports: readonly number[]): Promise<string> {
    for (let host = this.range.first; host <= this.range.last; host++) {
      const address = `127.0.0.${host}`;
      const lease = join(this.dir, address);
      if (!(await this.take(lease, owner))) continue;
      const free = await Promise.all(ports.map((port) => canBind(address, port)));
      if (free.every(Boolean)) return address;
      // Something outside the platform listens there: leave the address alone.
      await rm(lease, { force: true });
    }
    throw new DomainError(
      'unavailable',
      `no free loopback address in 127.0.0.${this.range.first}–127.0.0.${this.range.last}`,
    );
  }

  async release(address: string): Promise<void> {
    await rm(join(this.dir, address), { force: true });
  }

  private async whileLocked<T>(work: () => Promise<T>): Promise<T> {
    const lock = join(this.dir, '.lock');
    const started = Date.now();
    for (;;) {
      try {
        await mkdir(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const heldFor = await stat(lock).then(
          (held) => Date.now() - held.mtimeMs,
          () => 0,
        );
        if (heldFor > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
        else if (Date.now() - started > LOCK_WAIT_MS) {
          throw new DomainError(
            'unavailable',
            `loopback addresses are locked by another provider (${lock}); try again, or remove the lock if no provider runs`,
          );
        } else await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    try {
      return await work();
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
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
