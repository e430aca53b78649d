import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAgentSecret, readSecretFile, writeSecretFile } from './secret';

describe('agent secret file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-secret-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is written with mode 0600 and read back', async () => {
    const path = join(dir, 'secret');
    const secret = generateAgentSecret();
    await writeSecretFile(path, secret);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await expect(readSecretFile(path)).resolves.toBe(secret);
  });

  it('is refused when group or others may read it', async () => {
    const path = join(dir, 'secret');
    await writeSecretFile(path, generateAgentSecret());
    await chmod(path, 0o640);
    await expect(readSecretFile(path)).rejects.toThrow(/mode 0640; it must be 0600/);
  });

  it('is refused when missing or too short', async () => {
    await expect(readSecretFile(join(dir, 'none'))).rejects.toThrow(/cannot read the agent secret file/);
    const path = join(dir, 'short');
    await writeSecretFile(path, 'tooshort');
    await expect(readSecretFile(path)).rejects.toThrow(/shorter than 32/);
  });
});
