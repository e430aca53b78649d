import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoopbackLeases } from './loopback-leases';

describe('LoopbackLeases (file system, real ports)', () => {
  let root: string;
  const hosts = { first: 200, last: 240 };
  const ports = [47_901, 47_902];

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'leases-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function owners(count: number): Promise<string[]> {
    const dirs = Array.from({ length: count }, (_, index) => join(root, 'servers', `server-${index}`));
    await Promise.all(dirs.map((dir) => mkdir(dir, { recursive: true })));
    return dirs;
  }

  it('never hands one address to two servers created at the same moment, in one process or several', async () => {
    for (let round = 0; round < 20; round++) {
      const dir = join(root, `leases-${round}`);
      // Two providers on one lease directory stand for two processes (two test files, two replicas).
      const providers = [new LoopbackLeases(dir, hosts), new LoopbackLeases(dir, hosts)];
      const dirs = await owners(16);
      const addresses = await Promise.all(dirs.map((owner, index) => providers[index % 2].acquire(owner, ports)));
      expect(new Set(addresses).size).toBe(dirs.length);
      await rm(join(root, 'servers'), { recursive: true, force: true });
    }
  });

  it('takes over the lease of a server whose directory is gone, and of a lease left empty by a crash', async () => {
    const dir = join(root, 'leases');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '127.0.0.200'), join(root, 'servers', 'deleted-long-ago'));
    await writeFile(join(dir, '127.0.0.201'), '');
    const [first, second, third] = await owners(3);
    const leases = new LoopbackLeases(dir, hosts);
    expect(await leases.acquire(first, ports)).toBe('127.0.0.200');
    expect(await leases.acquire(second, ports)).toBe('127.0.0.201');
    expect(await leases.acquire(third, ports)).toBe('127.0.0.202');
    expect((await readdir(dir)).filter((name) => name.startsWith('127.')).sort()).toEqual([
      '127.0.0.200',
      '127.0.0.201',
      '127.0.0.202',
    ]);
  });
});
