import { createReadStream } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '@platform/contracts';
import { EntryListing } from './entry-listing';
import type { EntrySink } from './entry-sink';
import { corrupt, DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './limits';
import { extractTar } from './tar';
import { TreeWriter } from './tree-writer';
import { extractZip } from './zip';

export type ArchiveFormat = 'tar.gz' | 'tar' | 'zip';

/** The format by the file's first bytes, whatever the uploader said it was. */
export async function detectArchiveFormat(path: string): Promise<ArchiveFormat | undefined> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(262);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
    if (
      bytesRead >= 4 &&
      head[0] === 0x50 &&
      head[1] === 0x4b &&
      [0x0304, 0x0506, 0x0708].includes(head.readUInt16BE(2))
    )
      return 'zip';
    if (bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return undefined;
  } finally {
    await handle.close();
  }
}

export interface ExtractedArchive {
  readonly format: ArchiveFormat;
  readonly entries: number;
  readonly bytes: number;
}

/** Errors from the parsers that are not our own refusals mean the bytes are not a valid archive. */
function asRefusal(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('E') && (error as NodeJS.ErrnoException).syscall) return error;
  return corrupt(error instanceof Error ? error.message : String(error));
}

/**
 * Unpacks a tar.gz, tar or zip file into `into` (created if missing, expected empty), refusing any entry that
 * would land outside it (see TreeWriter) and any archive over the limits. On refusal `into` is emptied, so no
 * half-extracted tree is left behind.
 */
export async function extractArchive(options: {
  file: string;
  into: string;
  limits?: Partial<ArchiveLimits>;
}): Promise<ExtractedArchive> {
  const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  const writer = await TreeWriter.create(options.into, limits);
  try {
    return await readEntries(options.file, writer, limits);
  } catch (error) {
    await emptyDirectory(options.into);
    throw error;
  }
}

/**
 * Reads every entry of a tar.gz, tar or zip file without unpacking anything, and refuses what `extractArchive`
 * would refuse (see EntryListing): an archive is checked when it arrives, not only when a build unpacks it.
 */
export async function inspectArchive(options: {
  file: string;
  limits?: Partial<ArchiveLimits>;
}): Promise<ExtractedArchive> {
  const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  return readEntries(options.file, new EntryListing(limits), limits);
}

async function readEntries(file: string, sink: EntrySink, limits: ArchiveLimits): Promise<ExtractedArchive> {
  const format = await detectArchiveFormat(file);
  if (!format) throw corrupt('the first bytes are those of no tar.gz, tar or zip file');
  try {
    if (format === 'zip') await extractZip(file, sink, limits);
    else await extractTar(createReadStream(file), format === 'tar.gz', sink, limits);
    await sink.verifyLinks();
    return { format, ...sink.stats };
  } catch (error) {
    throw asRefusal(error);
  }
}

async function emptyDirectory(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) await rm(join(dir, name), { recursive: true, force: true });
}
