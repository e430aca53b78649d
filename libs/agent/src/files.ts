import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';

/** Replaces a file in one step (write beside it, then rename), so a reader never sees half of it. */
export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode });
  await rename(temporary, path);
}
