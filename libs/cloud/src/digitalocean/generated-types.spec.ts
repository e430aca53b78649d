import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REPOSITORY_ROOT = join(__dirname, '../../../..');

describe('generated DigitalOcean types', () => {
  it('are what scripts/generate-digitalocean-types.sh makes from the official document', async () => {
    const check = promisify(execFile)(
      'bash',
      [join(REPOSITORY_ROOT, 'scripts/generate-digitalocean-types.sh'), '--check'],
      { cwd: REPOSITORY_ROOT },
    );
    await expect(check).resolves.toBeDefined();
  }, 30_000);
});
