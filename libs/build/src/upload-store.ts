import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { inspectArchive, type ArchiveLimits } from '@platform/archive';
import { ArchiveContentTypes, DomainError } from '@platform/contracts';

export const DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

/** What an upload is, as recorded beside its bytes. */
export const UploadRecordSchema = z.strictObject({
  uploadId: z.uuid(),
  workspaceId: z.string().min(1),
  size: z.int().nonnegative(),
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
  contentType: z.enum([ArchiveContentTypes.tarGzip, ArchiveContentTypes.zip]),
  createdAt: z.iso.datetime(),
  /** When a deployment first built from it; an upload never used is deleted after a while (see `pruneUnused`). */
  usedAt: z.iso.datetime().optional(),
});
export type UploadRecord = z.infer<typeof UploadRecordSchema>;
export type UploadContentType = UploadRecord['contentType'];

export interface StoredUpload extends UploadRecord {
  /** The archive on disk; it may be removed by `remove` or `prune` once this is returned. */
  readonly path: string;
}

export interface UploadStoreOptions {
  /** Directory holding the uploads; created if missing. */
  readonly root: string;
  readonly maxBytes?: number;
  /** Bytes of uploads one workspace may keep stored; unlimited when absent. */
  readonly quotaBytesPerWorkspace?: number;
  /** What an archive may unpack to: checked when it arrives, as the build will when it unpacks it. */
  readonly archiveLimits?: Partial<ArchiveLimits>;
}

/** Content types an uploader may declare; `application/octet-stream` says nothing, so the bytes decide. */
const DECLARED_TYPES: Readonly<Record<string, UploadContentType | 'unspecified'>> = {
  'application/gzip': ArchiveContentTypes.tarGzip,
  'application/x-gzip': ArchiveContentTypes.tarGzip,
  'application/x-tar+gzip': ArchiveContentTypes.tarGzip,
  'application/x-compressed-tar': ArchiveContentTypes.tarGzip,
  'application/zip': ArchiveContentTypes.zip,
  'application/x-zip-compressed': ArchiveContentTypes.zip,
  'application/octet-stream': 'unspecified',
};

const MAGIC_BYTES = 4;

/** gzip (a tar.gz) or zip by the first bytes; zip also in its empty and spanned forms. */
function sniffArchive(head: Buffer): UploadContentType | undefined {
  if (head.length < MAGIC_BYTES) return undefined;
  if (head[0] === 0x1f && head[1] === 0x8b) return ArchiveContentTypes.tarGzip;
  if (head[0] === 0x50 && head[1] === 0x4b && [0x0304, 0x0506, 0x0708].includes(head.readUInt16BE(2)))
    return ArchiveContentTypes.zip;
  return undefined;
}

function unsupported(why: string): DomainError {
  return new DomainError('unsupported_media_type', `an upload must be a tar.gz or zip archive: ${why}`, [
    { reason: 'not_an_archive' },
  ]);
}

function declaredType(contentType: string | undefined): UploadContentType | 'unspecified' {
  if (contentType === undefined || contentType.trim() === '') return 'unspecified';
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  const known = DECLARED_TYPES[mediaType];
  if (!known)
    throw unsupported(
      `the content type "${mediaType.slice(0, 100)}" is not one of ${Object.keys(DECLARED_TYPES).join(', ')}`,
    );
  return known;
}

/**
 * Counts, hashes and sniffs the bytes as they pass, failing the stream the moment the upload is over the
 * limit or its first bytes are not those of an archive, so a refused upload is never read to its end.
 */
class UploadInspector extends Transform {
  private size = 0;
  private contentType: UploadContentType | undefined;
  private head = Buffer.alloc(0);
  private readonly hash = createHash('sha256');

  constructor(
    private readonly limit: { readonly bytes: number; readonly refusal: () => DomainError },
    private readonly declared: UploadContentType | 'unspecified',
  ) {
    super();
  }

  /** Once the stream has ended: the flush refused anything that was not identified as an archive. */
  result(): { size: number; sha256: string; contentType: UploadContentType } {
    if (!this.contentType) throw new Error('the upload was not inspected to its end');
    return { size: this.size, sha256: this.hash.digest('hex'), contentType: this.contentType };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit.bytes) {
      done(this.limit.refusal());
      return;
    }
    if (this.contentType === undefined) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, MAGIC_BYTES - this.head.length)]);
      if (this.head.length >= MAGIC_BYTES) {
        const refusal = this.identify();
        if (refusal) {
          done(refusal);
          return;
        }
      }
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.contentType === undefined ? unsupported(`${this.size} bytes are too few for an archive`) : null);
  }

  private identify(): DomainError | undefined {
    const sniffed = sniffArchive(this.head);
    if (!sniffed) return unsupported('its first bytes are those of neither gzip nor zip');
    if (this.declared !== 'unspecified' && this.declared !== sniffed) {
      return unsupported(`it was sent as ${this.declared} but its bytes are ${sniffed}`);
    }
    this.contentType = sniffed;
    return undefined;
  }
}

const UPLOAD_SUFFIX = '.upload';
const RECORD_SUFFIX = '.json';
/** Partial files live here until complete; same file system as the uploads, so the final rename is atomic. */
const INCOMING = '.incoming';

function notFound(uploadId: string): DomainError {
  return new DomainError('not_found', `no upload ${uploadId.slice(0, 64)}`);
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Source archives uploaded for deployments, on local disk: `<root>/<uploadId>.upload` with its record in
 * `<root>/<uploadId>.json`. Each file is written under `.incoming/` and renamed into place once complete and
 * flushed, so a reader never sees half an upload. Workspace ids are only compared, never used in paths.
 */
export class UploadStore {
  readonly maxBytes: number;
  private readonly root: string;
  /** Bytes that uploads still arriving may write, by workspace: the quota counts them with what is stored. */
  private readonly arriving = new Map<string, number>();
  /** A workspace's quota decisions, one at a time: a check with the bytes it sets aside, or an upload's end. */
  private readonly quotaTurns = new Map<string, Promise<unknown>>();

  constructor(private readonly options: UploadStoreOptions) {
    this.root = options.root;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  }

  /**
   * Stores an archive read from `body`. Refuses with `unsupported_media_type` when the declared content type
   * is not an archive's or the bytes are neither gzip nor zip, with `payload_too_large` once more than
   * `maxBytes` have arrived or the workspace's uploads would pass its quota, and with `archive_refused` when
   * the archive, listed once complete (nothing is unpacked), holds an entry a build would refuse (see
   * inspectArchive) or is truncated. On refusal `body` is destroyed (stream pipeline semantics): to still answer
   * over the same HTTP connection, pass a stream the request is piped into rather than the request itself.
   * `declaredBytes` (a Content-Length) over the limit or the quota is refused before anything is read.
   */
  async save(
    workspaceId: string,
    body: NodeJS.ReadableStream,
    contentType?: string,
    declaredBytes?: number,
  ): Promise<UploadRecord> {
    if (!workspaceId) throw new Error('an upload belongs to a workspace');
    const declared = declaredType(contentType);
    // Uploads sent at once are checked one after another, each counting the bytes the others may still write.
    const { limit, setAside } = await this.inQuotaTurn(workspaceId, async () => {
      const limit = await this.limitFor(workspaceId);
      if (declaredBytes !== undefined && declaredBytes > limit.bytes) throw limit.refusal();
      return { limit, setAside: this.setAside(workspaceId, declaredBytes ?? limit.bytes) };
    });
    const inspector = new UploadInspector(limit, declared);
    const uploadId = randomUUID();
    const incoming = join(this.root, INCOMING);
    await mkdir(incoming, { recursive: true, mode: 0o700 });
    const partial = join(incoming, `${uploadId}${UPLOAD_SUFFIX}`);
    try {
      // Opened before the pipeline starts: a stream that opens its own file may create it after a refusal's
      // cleanup has run, leaving it behind. flush: the bytes reach the disk before the rename makes it visible.
      const file = await open(partial, 'wx', 0o600);
      await pipeline(body, inspector, file.createWriteStream({ flush: true }));
      await inspectArchive({ file: partial, limits: this.options.archiveLimits }).catch((error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
        throw new DomainError('archive_refused', `the archive cannot be deployed: ${error.message}`, error.details);
      });
      const record: UploadRecord = {
        uploadId,
        workspaceId,
        ...inspector.result(),
        createdAt: new Date().toISOString(),
      };
      await rename(partial, this.uploadPath(uploadId));
      // Stored and no longer arriving at one instant, for the quota's next check.
      await this.inQuotaTurn(workspaceId, async () => {
        await this.writeRecord(record);
        setAside.release();
      });
      return record;
    } catch (error) {
      // The id is fresh, so whatever exists under it is this attempt's own.
      await rm(partial, { force: true });
      await rm(this.uploadPath(uploadId), { force: true });
      throw error;
    } finally {
      setAside.release();
    }
  }

  /** The upload and its path, if it exists and belongs to the workspace; `not_found` otherwise. */
  async get(workspaceId: string, uploadId: string): Promise<StoredUpload> {
    const record = await this.readRecord(uploadId);
    if (!record || record.workspaceId !== workspaceId) throw notFound(uploadId);
    return { ...record, path: this.uploadPath(record.uploadId) };
  }

  /** Bytes of uploads the workspace keeps stored. */
  async usage(workspaceId: string): Promise<number> {
    let bytes = 0;
    for (const record of await this.records()) if (record.workspaceId === workspaceId) bytes += record.size;
    return bytes;
  }

  /** Notes that a deployment builds from the upload, so that `pruneUnused` keeps it. */
  async markUsed(workspaceId: string, uploadId: string): Promise<void> {
    const record = await this.readRecord(uploadId);
    if (!record || record.workspaceId !== workspaceId) throw notFound(uploadId);
    if (!record.usedAt) await this.writeRecord({ ...record, usedAt: new Date().toISOString() });
  }

  /** Removes the workspace's upload; false when it had none by that id. */
  async remove(workspaceId: string, uploadId: string): Promise<boolean> {
    const record = await this.readRecord(uploadId);
    if (!record || record.workspaceId !== workspaceId) return false;
    await this.removeFiles(record.uploadId);
    return true;
  }

  /**
   * Removes uploads created before `cutoff` that no deployment used, and what an interrupted save left behind
   * (partial files, an archive whose record was never written) when last modified before it. Resolves with the
   * removed upload ids.
   */
  async pruneUnused(cutoff: Date): Promise<string[]> {
    const names = await readdir(this.root).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    const present = new Set(names);
    const removed: string[] = [];
    for (const name of names) {
      if (name.endsWith(RECORD_SUFFIX)) {
        const record = await this.readRecord(name.slice(0, -RECORD_SUFFIX.length));
        if (record && !record.usedAt && Date.parse(record.createdAt) < cutoff.getTime()) {
          await this.removeFiles(record.uploadId);
          removed.push(record.uploadId);
        }
      } else if (name.endsWith(UPLOAD_SUFFIX) && !present.has(name.slice(0, -UPLOAD_SUFFIX.length) + RECORD_SUFFIX)) {
        await this.removeIfOlder(join(this.root, name), cutoff);
      }
    }
    const incoming = join(this.root, INCOMING);
    for (const name of await readdir(incoming).catch(() => [])) await this.removeIfOlder(join(incoming, name), cutoff);
    return removed;
  }

  /** Runs `decide` after the workspace's earlier quota decisions, none of which then runs before it ends. */
  private inQuotaTurn<T>(workspaceId: string, decide: () => Promise<T>): Promise<T> {
    if (this.options.quotaBytesPerWorkspace === undefined) return decide();
    const turn = (this.quotaTurns.get(workspaceId) ?? Promise.resolve()).then(decide);
    const settled = turn.catch(() => undefined);
    this.quotaTurns.set(workspaceId, settled);
    void settled.then(() => {
      if (this.quotaTurns.get(workspaceId) === settled) this.quotaTurns.delete(workspaceId);
    });
    return turn;
  }

  /** Counts `bytes` as the workspace's until released (once, whatever the number of calls). */
  private setAside(workspaceId: string, bytes: number): { release(): void } {
    if (this.options.quotaBytesPerWorkspace === undefined) return { release: () => undefined };
    this.arriving.set(workspaceId, (this.arriving.get(workspaceId) ?? 0) + bytes);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.arriving.get(workspaceId) ?? 0) - bytes;
        if (left > 0) this.arriving.set(workspaceId, left);
        else this.arriving.delete(workspaceId);
      },
    };
  }

  /** The most bytes the workspace's next upload may have, and the refusal past them. */
  private async limitFor(workspaceId: string): Promise<{ bytes: number; refusal: () => DomainError }> {
    const tooLarge = () =>
      new DomainError('payload_too_large', `the upload is larger than ${this.maxBytes} bytes`, [
        { reason: 'limit_exceeded', limit: this.maxBytes },
      ]);
    const quota = this.options.quotaBytesPerWorkspace;
    if (quota === undefined) return { bytes: this.maxBytes, refusal: tooLarge };
    const used = (await this.usage(workspaceId)) + (this.arriving.get(workspaceId) ?? 0);
    const overQuota = () =>
      new DomainError(
        'payload_too_large',
        `the workspace's uploads would pass its quota of ${quota} bytes: ${used} bytes are stored or arriving already; delete the uploads you no longer need (DELETE /v1/uploads/{id})`,
        [{ reason: 'quota_exceeded', quota, used }],
      );
    if (quota - used >= this.maxBytes) return { bytes: this.maxBytes, refusal: tooLarge };
    // With the quota used up, the first byte is refused.
    return { bytes: Math.max(quota - used, 0), refusal: overQuota };
  }

  private async records(): Promise<UploadRecord[]> {
    const names = await readdir(this.root).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    const records: UploadRecord[] = [];
    for (const name of names) {
      if (!name.endsWith(RECORD_SUFFIX)) continue;
      const record = await this.readRecord(name.slice(0, -RECORD_SUFFIX.length));
      if (record) records.push(record);
    }
    return records;
  }

  private uploadPath(uploadId: string): string {
    return join(this.root, `${uploadId}${UPLOAD_SUFFIX}`);
  }

  private recordPath(uploadId: string): string {
    return join(this.root, `${uploadId}${RECORD_SUFFIX}`);
  }

  /** The record, or undefined when there is none; ids that are not UUIDs never reach the file system. */
  private async readRecord(uploadId: string): Promise<UploadRecord | undefined> {
    if (!z.uuid().safeParse(uploadId).success) return undefined;
    let text: string;
    try {
      text = await readFile(this.recordPath(uploadId), 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return UploadRecordSchema.parse(JSON.parse(text));
  }

  private async writeRecord(record: UploadRecord): Promise<void> {
    // A name of its own per write: a record rewritten (marked used) while another write of it is under way.
    const partial = join(this.root, INCOMING, `${record.uploadId}.${randomUUID()}${RECORD_SUFFIX}`);
    try {
      const file = await open(partial, 'wx', 0o600);
      try {
        await file.writeFile(JSON.stringify(record));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(partial, this.recordPath(record.uploadId));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  /** The record goes first, so no reader is handed the path of an archive being removed. */
  private async removeFiles(uploadId: string): Promise<void> {
    await rm(this.recordPath(uploadId), { force: true });
    await rm(this.uploadPath(uploadId), { force: true });
  }

  private async removeIfOlder(path: string, cutoff: Date): Promise<void> {
    const info = await stat(path).catch(() => undefined);
    if (info && info.mtimeMs < cutoff.getTime()) await rm(path, { force: true });
  }
}
