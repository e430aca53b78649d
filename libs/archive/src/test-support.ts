import { gzipSync } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { ZipFile } from 'yazl';

export interface TarEntrySpec {
  readonly name: string;
  readonly type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  readonly content?: string | Buffer;
  readonly linkname?: string;
  readonly mode?: number;
  /** Declared size when it should differ from the content (a lying header). */
  readonly size?: number;
}

/** A tar (gzip-compressed unless told otherwise) built entry by entry, names exactly as given. */
export async function tarOf(entries: readonly TarEntrySpec[], options: { gzip?: boolean } = {}): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk) => chunks.push(chunk as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const content = entry.content === undefined ? Buffer.alloc(0) : Buffer.from(entry.content);
    const header = {
      name: entry.name,
      type,
      mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o644),
      linkname: entry.linkname,
    };
    if (type === 'file') pack.entry({ ...header, size: entry.size ?? content.length }, content);
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  return options.gzip === false ? tar : gzipSync(tar);
}

export interface ZipEntrySpec {
  readonly name: string;
  readonly content?: string;
  readonly mode?: number;
}

/**
 * A zip built with yazl. yazl refuses unsafe names, so `rename` swaps a same-length placeholder for the real
 * (hostile) name in the finished bytes: names are not covered by any checksum.
 */
export async function zipOf(entries: readonly ZipEntrySpec[], rename: Record<string, string> = {}): Promise<Buffer> {
  const zip = new ZipFile();
  for (const entry of entries) {
    if (entry.name.endsWith('/')) zip.addEmptyDirectory(entry.name);
    else
      zip.addBuffer(Buffer.from(entry.content ?? ''), entry.name, entry.mode === undefined ? {} : { mode: entry.mode });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  let bytes = Buffer.concat(chunks);
  for (const [placeholder, name] of Object.entries(rename)) {
    if (placeholder.length !== name.length) throw new Error('a renamed entry keeps its length');
    bytes = Buffer.from(bytes.toString('latin1').split(placeholder).join(name), 'latin1');
  }
  return bytes;
}
