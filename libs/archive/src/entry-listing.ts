import { linkStaysInside, safeRelativePath } from './entry-path';
import type { EntrySink } from './entry-sink';
import { EntryBudget, unsafeEntry, type ArchiveLimits } from './limits';

type ListedEntry = { kind: 'directory' } | { kind: 'file'; bytes: number } | { kind: 'link'; target: string };

/** As many links as Linux follows in one path before it gives up (ELOOP). */
const MAX_LINK_HOPS = 40;

/**
 * The tree an archive would unpack to, kept as a list in memory: the same refusals as TreeWriter (names,
 * links out, writing through links, devices, limits) without writing anything. Contents are read to the end
 * and counted, so a truncated archive or a header that lies about its size is caught too.
 */
export class EntryListing implements EntrySink {
  private readonly budget: EntryBudget;
  private readonly tree = new Map<string, ListedEntry>([['', { kind: 'directory' }]]);
  private readonly links: string[] = [];

  constructor(limits: ArchiveLimits) {
    this.budget = new EntryBudget(limits);
  }

  get stats(): { entries: number; bytes: number } {
    return { entries: this.budget.entries, bytes: this.budget.bytes };
  }

  async directory(name: string): Promise<void> {
    const path = safeRelativePath(name);
    this.budget.admit(name, 0);
    this.ensureDirectory(name, path);
  }

  async file(name: string, _mode: number, declaredBytes: number, content: AsyncIterable<Buffer>): Promise<void> {
    const path = safeRelativePath(name);
    if (path === '') throw unsafeEntry(name, 'invalid_name', 'a file cannot replace the root directory');
    this.budget.admit(name, declaredBytes);
    this.ensureDirectory(name, dirnameOf(path));
    this.replace(name, path);
    let bytes = 0;
    for await (const buffer of content) {
      bytes += buffer.length;
      this.budget.unpacked(buffer.length);
    }
    this.tree.set(path, { kind: 'file', bytes });
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
    this.ensureDirectory(name, dirnameOf(path));
    this.replace(name, path);
    this.tree.set(path, { kind: 'link', target });
    this.links.push(path);
  }

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
    this.ensureDirectory(target, dirnameOf(targetPath));
    const linked = this.tree.get(targetPath);
    if (linked?.kind !== 'file') {
      throw unsafeEntry(
        name,
        'hardlink_target',
        `the hard link's target "${target.slice(0, 200)}" is not a file listed before it`,
      );
    }
    this.budget.admit(name, linked.bytes);
    this.budget.unpacked(linked.bytes);
    this.ensureDirectory(name, dirnameOf(path));
    this.replace(name, path);
    this.tree.set(path, { kind: 'file', bytes: linked.bytes });
  }

  async verifyLinks(): Promise<void> {
    for (const path of this.links) {
      if (this.tree.get(path)?.kind === 'link' && this.resolve(path) === undefined) {
        throw unsafeEntry(path, 'link_escapes', 'the symbolic link resolves outside the archive through other links');
      }
    }
  }

  /** Where `path` leads once every link on the way is followed, as the kernel would; undefined when outside. */
  private resolve(path: string): string | undefined {
    const pending = path.split('/');
    const resolved: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (resolved.length === 0) return undefined;
        resolved.pop();
        continue;
      }
      const entry = this.tree.get([...resolved, part].join('/'));
      if (entry?.kind === 'link') {
        if (++hops > MAX_LINK_HOPS || entry.target.startsWith('/')) return undefined;
        pending.unshift(...entry.target.split('/'));
        continue;
      }
      resolved.push(part);
    }
    return resolved.join('/');
  }

  /** Every parent of `path` must be a directory (or not listed yet, then it becomes one): never a link or a file. */
  private ensureDirectory(entry: string, path: string): void {
    if (path === '') return;
    let current = '';
    for (const part of path.split('/')) {
      current = current ? `${current}/${part}` : part;
      const listed = this.tree.get(current);
      if (!listed) this.tree.set(current, { kind: 'directory' });
      else if (listed.kind === 'link')
        throw unsafeEntry(
          entry,
          'through_link',
          `"${current}" is a symbolic link; entries are never written through links`,
        );
      else if (listed.kind === 'file')
        throw unsafeEntry(entry, 'replaces_directory', `"${current}" is a file, not a directory`);
    }
  }

  /** A later entry of the same name replaces an earlier one, as tar does, but never a directory. */
  private replace(entry: string, path: string): void {
    if (this.tree.get(path)?.kind === 'directory')
      throw unsafeEntry(entry, 'replaces_directory', 'the entry would replace a directory');
  }
}

function dirnameOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index === -1 ? '' : path.slice(0, index);
}
