import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { pack as tarPack, type Pack } from 'tar-stream';

async function addTree(pack: Pack, root: string, relative: string): Promise<void> {
  const names = (await readdir(join(root, relative))).sort();
  for (const name of names) {
    const path = relative ? `${relative}/${name}` : name;
    const absolute = join(root, path);
    const info = await lstat(absolute);
    const common = { name: path, mode: info.mode & 0o7777, mtime: info.mtime };
    if (info.isDirectory()) {
      pack.entry({ ...common, type: 'directory' });
      await addTree(pack, root, path);
    } else if (info.isSymbolicLink()) {
      pack.entry({ ...common, type: 'symlink', linkname: await readlink(absolute) });
    } else if (info.isFile()) {
      const entry = pack.entry({ ...common, type: 'file', size: info.size });
      for await (const chunk of createReadStream(absolute)) {
        if (!entry.write(chunk as Buffer)) await once(entry, 'drain');
      }
      const finished = once(entry, 'finish');
      entry.end(null);
      await finished;
    }
  }
}

/**
 * A tar stream of a directory (e.g. a build context for the Docker engine). Links are packed as links, never
 * followed, so the stream holds only what is inside the directory.
 */
export function packDirectory(root: string): Pack {
  const pack = tarPack();
  addTree(pack, root, '').then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return pack;
}
