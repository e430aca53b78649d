import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, open, readlink, realpath, symlink, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { linkStaysInside, safeRelativePath } from './entry-path';
import type { EntrySink } from './entry-sink';
import { EntryBudget, unsafeEntry, type ArchiveLimits } from './limits';

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}

/**
 * Writes archive entries under one root directory and nothing outside it:
 * - entry names are checked lexically (no absolute paths, no `..`);
 * - no entry is written through a symbolic link (every parent is checked with lstat, files are created with
 *   O_EXCL|O_NOFOLLOW), so a link planted by an earlier entry cannot redirect a later one;
 * - hard links become copies of a regular file already extracted inside the root;
 * - symbolic links must point inside the root, which `verifyLinks` checks again on the finished tree,
 *   following chains of links for real;
 * - entry count and unpacked bytes are capped.
 */
export class TreeWriter implements EntrySink {
  private readonly budget: EntryBudget;
  private readonly directories = new Set<string>(['']);
  private readonly links: string[] = [];

  private constructor(
    private readonly root: string,
    limits: ArchiveLimits,
  ) {
    this.budget = new EntryBudget(limits);
  }

  static async create(root: string, limits: ArchiveLimits): Promise<TreeWriter> {
    await mkdir(root, { recursive: true });
    return new TreeWriter(await realpath(root), limits);
  }

  get stats(): { entries: number; bytes: number } {
    return { entries: this.budget.entries, bytes: this.budget.bytes };
  }

  async directory(name: string): Promise<void> {
    const path = safeRelativePath(name);
    this.budget.admit(name, 0);
    await this.ensureDirectory(name, path);
  }

  async file(name: string, mode: number, declaredBytes: number, content: AsyncIterable<Buffer>): Promise<void> {
    const path = safeRelativePath(name);
    if (path === '') throw unsafeEntry(name, 'invalid_name', 'a file cannot replace the root directory');
    this.budget.admit(name, declaredBytes);
    await this.ensureDirectory(name, dirnameOf(path));
    const handle = await this.createExclusive(name, path, mode);
    try {
      for await (const buffer of content) {
        this.budget.unpacked(buffer.length);
        await handle.write(buffer);
      }
    } finally {
      await handle.close();
    }
  }

  async symlink(name: string, target: string): Promise<void> {
    const path = safeRelativePath(name);
    if (path === '') throw unsafeEntry(name, 'invalid_name', 'a link cannot replace the root directory');
    if (!linkStaysInside(path, target)) {
      throw unsafeEntry(
        name,
        'link_escapes',
        `the symbolic link points outside the archive ("${target.slice(0, 200)}")`,
      );
    }
    this.budget.admit(name, 0);
    await this.ensureDirectory(name, dirnameOf(path));
    await this.removeExisting(name, path);
    await symlink(target, join(this.root, path));
    this.links.push(path);
  }

  /** A hard link is extracted as a copy of its target, which must be a regular file already extracted. */
  async hardlink(name: string, target: string): Promise<void> {
    const path = safeRelativePath(name);
    let targetPath: string;
    try {
      targetPath = safeRelativePath(target);
    } catch {
      throw unsafeEntry(
        name,
        'hardlink_target',
        `the hard link points outside the archive ("${target.slice(0, 200)}")`,
      );
    }
    await this.ensureDirectory(target, dirnameOf(targetPath));
    const info = await lstat(join(this.root, targetPath)).catch(() => undefined);
    if (!info?.isFile()) {
      throw unsafeEntry(
        name,
        'hardlink_target',
        `the hard link's target "${target.slice(0, 200)}" is not a file extracted before it`,
      );
    }
    this.budget.admit(name, info.size);
    this.budget.unpacked(info.size);
    await this.ensureDirectory(name, dirnameOf(path));
    await this.removeExisting(name, path);
    await copyFile(join(this.root, targetPath), join(this.root, path), constants.COPYFILE_EXCL);
  }

  /** Follows every extracted symbolic link for real (chains included) and refuses any that ends outside. */
  async verifyLinks(): Promise<void> {
    for (const path of this.links) {
      const absolute = join(this.root, path);
      const resolved = await realpath(absolute).catch(async () => {
        // A dangling link: resolve what exists of it, then the rest lexically.
        return join(await realpath(dirname(absolute)), await readlink(absolute));
      });
      if (!isInside(this.root, resolved)) {
        throw unsafeEntry(path, 'link_escapes', 'the symbolic link resolves outside the archive through other links');
      }
    }
  }

  /** Creates each missing directory of `path`, refusing to pass through anything but a real directory. */
  private async ensureDirectory(entry: string, path: string): Promise<void> {
    if (this.directories.has(path)) return;
    let current = '';
    for (const part of path.split('/')) {
      current = current ? `${current}/${part}` : part;
      if (this.directories.has(current)) continue;
      const absolute = join(this.root, current);
      const info = await lstat(absolute).catch(() => undefined);
      if (!info) {
        await mkdir(absolute, { mode: 0o755 });
      } else if (info.isSymbolicLink()) {
        throw unsafeEntry(
          entry,
          'through_link',
          `"${current}" is a symbolic link; entries are never written through links`,
        );
      } else if (!info.isDirectory()) {
        throw unsafeEntry(entry, 'replaces_directory', `"${current}" is a file, not a directory`);
      }
      this.directories.add(current);
    }
  }

  private async removeExisting(entry: string, path: string): Promise<void> {
    const info = await lstat(join(this.root, path)).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) throw unsafeEntry(entry, 'replaces_directory', 'the entry would replace a directory');
    // A later entry of the same name replaces an earlier one, as tar does; unlink removes a link, never its target.
    await unlink(join(this.root, path));
  }

  private async createExclusive(entry: string, path: string, mode: number) {
    await this.removeExisting(entry, path);
    const permissions = (mode & 0o111) !== 0 ? 0o755 : 0o644;
    return open(
      join(this.root, path),
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      permissions,
    );
  }
}

function dirnameOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index === -1 ? '' : path.slice(0, index);
}
