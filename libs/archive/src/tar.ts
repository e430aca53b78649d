import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { tooLarge, unsafeEntry, type ArchiveLimits } from './limits';
import type { EntrySink } from './entry-sink';

/** Caps what a decompressor may produce, so a small gzip of zeros cannot keep the parser busy for ever. */
function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) done(tooLarge(`it decompresses to more than ${maxBytes} bytes`, maxBytes));
      else done(null, chunk);
    },
  });
}

async function writeEntry(header: Header, content: AsyncIterable<Buffer>, writer: EntrySink): Promise<void> {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return writer.file(header.name, header.mode, header.size, content);
    case 'directory':
      return writer.directory(header.name);
    case 'symlink':
      return writer.symlink(header.name, header.linkname);
    case 'link':
      return writer.hardlink(header.name, header.linkname);
    default:
      throw unsafeEntry(
        header.name,
        'special_file',
        `entries of type ${header.type} (devices, FIFOs, …) are not allowed`,
      );
  }
}

/** Extracts a tar (gzip-compressed when `gzipped`) stream through the writer. */
export async function extractTar(
  input: Readable,
  gzipped: boolean,
  writer: EntrySink,
  limits: ArchiveLimits,
): Promise<void> {
  const extract = tarExtract();
  // Headers and padding add at most a few KiB per entry on top of the file contents.
  const decompressedCap = limits.maxUnpackedBytes + limits.maxEntries * 4096 + 1024 * 1024;
  const stages = gzipped
    ? [input, createGunzip(), byteLimit(decompressedCap), extract]
    : [input, byteLimit(decompressedCap), extract];
  const piping = pipeline(stages).then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  try {
    for await (const entry of extract) {
      // tar-stream yields its entries' contents as Buffers; its typings say unknown.
      await writeEntry(entry.header, entry as AsyncIterable<Buffer>, writer);
      entry.resume();
    }
  } catch (error) {
    input.destroy();
    await piping;
    throw error;
  }
  const failure = await piping;
  if (failure) throw failure;
}
