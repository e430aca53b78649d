import { Readable } from 'node:stream';
import { open as openZip, type Entry, type ZipFile } from 'yauzl';
import { corrupt, tooLarge, unsafeEntry, type ArchiveLimits } from './limits';
import type { EntrySink } from './entry-sink';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

function openZipFile(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // Names are decoded and checked here, so that a "../" gets the same refusal as in a tar.
    openZip(
      path,
      { lazyEntries: true, autoClose: true, decodeStrings: false, validateEntrySizes: true },
      (error, zip) => {
        if (error) reject(corrupt(error.message));
        else resolve(zip);
      },
    );
  });
}

function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const onEntry = (entry: Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(corrupt(error.message));
    };
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function entryName(entry: Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  // Bit 11 says UTF-8; older archivers wrote CP437, close enough to latin1 for the checks made here.
  return raw.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
}

async function contentOf(zip: ZipFile, entry: Entry): Promise<Readable> {
  try {
    return await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw corrupt((error as Error).message);
  }
}

/** Turns errors raised while inflating (bad data, size mismatch) into a "corrupt archive" refusal. */
function guarded(stream: Readable): Readable {
  return Readable.from(
    (async function* () {
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (error) {
        throw corrupt((error as Error).message);
      }
    })(),
  );
}

export async function extractZip(path: string, writer: EntrySink, limits: ArchiveLimits): Promise<void> {
  const zip = await openZipFile(path);
  try {
    if (zip.entryCount > limits.maxEntries)
      throw tooLarge(`${zip.entryCount} entries, more than ${limits.maxEntries}`, limits.maxEntries);
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      const name = entryName(entry);
      const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
      const mode = (entry.externalFileAttributes >>> 16) & 0o7777;
      if (type === S_IFDIR || (type === 0 && name.endsWith('/'))) {
        await writer.directory(name);
      } else if (type === S_IFLNK) {
        if (entry.uncompressedSize > 4096)
          throw unsafeEntry(name, 'invalid_name', 'the symbolic link target is too long');
        const chunks: Buffer[] = [];
        for await (const chunk of guarded(await contentOf(zip, entry))) chunks.push(chunk as Buffer);
        await writer.symlink(name, Buffer.concat(chunks).toString('utf8'));
      } else if (type === S_IFREG || type === 0) {
        await writer.file(name, mode, entry.uncompressedSize, guarded(await contentOf(zip, entry)));
      } else {
        throw unsafeEntry(name, 'special_file', 'devices, FIFOs and sockets are not allowed');
      }
    }
  } finally {
    zip.close();
  }
}
