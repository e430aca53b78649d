import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { DomainError } from '@platform/contracts';
import { tarOf, zipOf } from '@platform/archive/src/test-support';
import { eventually } from '@platform/testing';
import { UploadStore } from './upload-store';

const WORKSPACE = 'workspace-a';
const OTHER_WORKSPACE = 'workspace-b';

let root: string;
let store: UploadStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'uploads-'));
  store = new UploadStore({ root, maxBytes: 1024 * 1024 });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Chunks of a gzip-looking stream, counting how many were pulled: `total` undefined means endless. */
function countingSource(chunkBytes: number, total?: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  function* chunks(): Generator<Buffer> {
    while (total === undefined || pulled < total) {
      const chunk = Buffer.alloc(chunkBytes, 7);
      if (pulled === 0) chunk.set([0x1f, 0x8b, 0x08, 0x00]);
      pulled += chunkBytes;
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks()), pulled: () => pulled };
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

/** What the store holds on disk, partial files included. */
async function filesOnDisk(): Promise<string[]> {
  const incoming = await readdir(join(root, '.incoming')).catch(() => []);
  return [
    ...(await readdir(root)).filter((name) => name !== '.incoming'),
    ...incoming.map((name) => `.incoming/${name}`),
  ].sort();
}

describe('UploadStore.save', () => {
  it('stores a tar.gz with its size, sha256 and type, and gives it back to its workspace', async () => {
    const archive = await tarOf([{ name: 'package.json', content: '{"name":"app"}' }]);
    const record = await store.save(WORKSPACE, Readable.from([archive]), 'application/gzip');

    expect(record).toEqual({
      uploadId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      workspaceId: WORKSPACE,
      size: archive.length,
      sha256: sha256(archive),
      contentType: 'application/gzip',
      createdAt: expect.any(String),
    });
    expect(Date.now() - Date.parse(record.createdAt)).toBeLessThan(5_000);
    const stored = await store.get(WORKSPACE, record.uploadId);
    expect(stored).toEqual({ ...record, path: join(root, `${record.uploadId}.upload`) });
    expect(await readFile(stored.path)).toEqual(archive);
    expect(await filesOnDisk()).toEqual([`${record.uploadId}.json`, `${record.uploadId}.upload`]);
  });

  it('stores a zip, whatever parameters the declared type carries or when no type is declared', async () => {
    const archive = await zipOf([{ name: 'index.html', content: '<h1>hi</h1>' }]);
    const declared = await store.save(WORKSPACE, Readable.from([archive]), 'Application/Zip; charset=binary');
    const undeclared = await store.save(WORKSPACE, Readable.from([archive]));
    expect(declared).toMatchObject({ contentType: 'application/zip', size: archive.length, sha256: sha256(archive) });
    expect(undeclared).toMatchObject({ contentType: 'application/zip', sha256: sha256(archive) });
    expect(undeclared.uploadId).not.toBe(declared.uploadId);
  });

  it('hashes an archive that arrives in many small chunks', async () => {
    const archive = await tarOf([{ name: 'big.txt', content: randomUUID().repeat(5_000) }]);
    const chunks = Array.from({ length: Math.ceil(archive.length / 3) }, (_, index) =>
      archive.subarray(index * 3, index * 3 + 3),
    );
    const record = await store.save(WORKSPACE, Readable.from(chunks));
    expect(record).toMatchObject({ size: archive.length, sha256: sha256(archive) });
  });

  it('refuses bytes that are neither gzip nor zip, and leaves nothing behind', async () => {
    const plainTar = await tarOf([{ name: 'a.txt', content: 'a' }], { gzip: false });
    for (const bytes of [Buffer.from('#!/bin/sh\nrm -rf /\n'), plainTar, Buffer.from([0x1f]), Buffer.alloc(0)]) {
      const error = await refusal(store.save(WORKSPACE, Readable.from([bytes])));
      expect(error.code).toBe('unsupported_media_type');
    }
    expect(await filesOnDisk()).toEqual([]);
  });

  it('refuses a declared type that is not an archive before reading anything', async () => {
    const source = countingSource(1024, 4096);
    const error = await refusal(store.save(WORKSPACE, source.stream, 'text/plain'));
    expect(error.code).toBe('unsupported_media_type');
    expect(error.message).toContain('text/plain');
    expect(source.pulled()).toBe(0);
  });

  it('refuses an archive whose bytes contradict its declared type', async () => {
    const zip = await zipOf([{ name: 'a.txt', content: 'a' }]);
    const error = await refusal(store.save(WORKSPACE, Readable.from([zip]), 'application/gzip'));
    expect(error.code).toBe('unsupported_media_type');
    expect(error.message).toContain('application/zip');
  });

  it('refuses an upload over the limit as soon as it passes it, without reading the rest', async () => {
    const endless = countingSource(64 * 1024);
    const error = await refusal(store.save(WORKSPACE, endless.stream));
    expect(error.code).toBe('payload_too_large');
    expect(error.details).toEqual([{ reason: 'limit_exceeded', limit: 1024 * 1024 }]);
    // The streams buffer some chunks ahead (Readable.from up to 16), never the whole (endless) body.
    expect(endless.pulled()).toBeLessThan(2 * 1024 * 1024);
    expect(await filesOnDisk()).toEqual([]);
  });

  it('accepts an upload of exactly the limit', async () => {
    const archive = await tarOf([{ name: 'noise', content: randomBytes(100_000) }]);
    const exact = new UploadStore({ root, maxBytes: archive.length });
    await expect(exact.save(WORKSPACE, Readable.from([archive]))).resolves.toMatchObject({ size: archive.length });
  });

  it('refuses an archive a build would refuse, naming the entry, and keeps nothing of it', async () => {
    const limited = new UploadStore({ root, archiveLimits: { maxUnpackedBytes: 1024 * 1024 } });
    for (const [archive, details] of [
      [
        await tarOf([{ name: '../../etc/cron.d/x', content: 'x' }]),
        [{ entry: '../../etc/cron.d/x', reason: 'path_escapes' }],
      ],
      [
        await tarOf([{ name: 'zeros', content: Buffer.alloc(8 * 1024 * 1024) }]),
        [{ reason: 'limit_exceeded', limit: 1024 * 1024 }],
      ],
    ] as const) {
      const error = await refusal(limited.save(WORKSPACE, Readable.from([archive])));
      expect(error.code).toBe('archive_refused');
      expect(error.details).toEqual(details);
    }
    expect(await filesOnDisk()).toEqual([]);
  });

  it('shows no upload until it is complete: the bytes arrive under .incoming and are renamed into place', async () => {
    const body = new PassThrough();
    const saving = store.save(WORKSPACE, body);
    const archive = await tarOf([{ name: 'a.txt', content: 'a'.repeat(100_000) }]);
    body.write(archive.subarray(0, 1000));
    const during = await eventually(async () => {
      const files = await filesOnDisk();
      expect(files).toHaveLength(1);
      return files;
    });
    expect(during[0]).toMatch(/^\.incoming\/[0-9a-f-]{36}\.upload$/);
    body.end(archive.subarray(1000));
    const record = await saving;
    expect(await filesOnDisk()).toEqual([`${record.uploadId}.json`, `${record.uploadId}.upload`]);
  });
});

describe('UploadStore reads and removals', () => {
  it('scopes every read to the workspace: another workspace gets not_found, as for an unknown id', async () => {
    const record = await store.save(WORKSPACE, Readable.from([await tarOf([{ name: 'a', content: 'a' }])]));
    for (const [workspaceId, uploadId] of [
      [OTHER_WORKSPACE, record.uploadId],
      [WORKSPACE, randomUUID()],
      [WORKSPACE, '../../etc/passwd'],
      [WORKSPACE, `${record.uploadId}.json`],
    ]) {
      const error = await refusal(store.get(workspaceId, uploadId));
      expect(error.code).toBe('not_found');
    }
    expect(await store.remove(OTHER_WORKSPACE, record.uploadId)).toBe(false);
    await expect(store.get(WORKSPACE, record.uploadId)).resolves.toMatchObject({ uploadId: record.uploadId });
  });

  it('removes an upload of the workspace', async () => {
    const record = await store.save(WORKSPACE, Readable.from([await tarOf([{ name: 'a', content: 'a' }])]));
    expect(await store.remove(WORKSPACE, record.uploadId)).toBe(true);
    expect((await refusal(store.get(WORKSPACE, record.uploadId))).code).toBe('not_found');
    expect(await store.remove(WORKSPACE, record.uploadId)).toBe(false);
    expect(await filesOnDisk()).toEqual([]);
  });

  it('prunes unused uploads created before the cutoff and leftovers of interrupted saves, keeping the rest', async () => {
    const archive = await tarOf([{ name: 'a', content: 'a' }]);
    const old = await store.save(WORKSPACE, Readable.from([archive]));
    const oldButUsed = await store.save(WORKSPACE, Readable.from([archive]));
    await store.markUsed(WORKSPACE, oldButUsed.uploadId);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cutoff = new Date();
    const recent = await store.save(OTHER_WORKSPACE, Readable.from([archive]));

    const longAgo = new Date(Date.now() - 3_600_000);
    const orphan = join(root, `${randomUUID()}.upload`);
    const stalePartial = join(root, '.incoming', `${randomUUID()}.upload`);
    const freshPartial = join(root, '.incoming', `${randomUUID()}.upload`);
    for (const path of [orphan, stalePartial, freshPartial]) await writeFile(path, archive);
    await utimes(orphan, longAgo, longAgo);
    await utimes(stalePartial, longAgo, longAgo);
    // Explicitly after the cutoff: file systems with coarse timestamps may round a just-written file down.
    const later = new Date(Date.now() + 60_000);
    await utimes(freshPartial, later, later);

    expect(await store.pruneUnused(cutoff)).toEqual([old.uploadId]);
    expect((await refusal(store.get(WORKSPACE, old.uploadId))).code).toBe('not_found');
    await expect(store.get(OTHER_WORKSPACE, recent.uploadId)).resolves.toMatchObject({ uploadId: recent.uploadId });
    await expect(store.get(WORKSPACE, oldButUsed.uploadId)).resolves.toMatchObject({ usedAt: expect.any(String) });
    expect(await filesOnDisk()).toEqual(
      [
        `${recent.uploadId}.json`,
        `${recent.uploadId}.upload`,
        `${oldButUsed.uploadId}.json`,
        `${oldButUsed.uploadId}.upload`,
        `.incoming/${freshPartial.split('/').pop()}`,
      ].sort(),
    );
  });

  it('prunes nothing from a store that has never received an upload', async () => {
    await expect(new UploadStore({ root: join(root, 'never-used') }).pruneUnused(new Date())).resolves.toEqual([]);
  });
});

describe('UploadStore quota per workspace', () => {
  it('refuses an upload that would pass the quota, naming quota and usage, while other workspaces upload on', async () => {
    const archive = await tarOf([{ name: 'noise', content: randomBytes(30_000) }]);
    const quota = Math.floor(archive.length * 2.5);
    const limited = new UploadStore({ root, quotaBytesPerWorkspace: quota });
    const first = await limited.save(WORKSPACE, Readable.from([archive]));
    await limited.save(WORKSPACE, Readable.from([archive]));
    expect(await limited.usage(WORKSPACE)).toBe(2 * archive.length);

    const error = await refusal(limited.save(WORKSPACE, Readable.from([archive])));
    expect(error.code).toBe('payload_too_large');
    expect(error.details).toEqual([{ reason: 'quota_exceeded', quota, used: 2 * archive.length }]);
    expect(error.message).toContain(
      `quota of ${quota} bytes: ${2 * archive.length} bytes are stored or arriving already`,
    );
    expect(await limited.usage(WORKSPACE)).toBe(2 * archive.length);
    await expect(limited.save(OTHER_WORKSPACE, Readable.from([archive]))).resolves.toMatchObject({
      size: archive.length,
    });

    // Removing one makes room again.
    expect(await limited.remove(WORKSPACE, first.uploadId)).toBe(true);
    await expect(limited.save(WORKSPACE, Readable.from([archive]))).resolves.toMatchObject({ size: archive.length });
  });

  it('lets uploads sent at once pass the quota no more than one by one', async () => {
    const archive = await tarOf([{ name: 'noise', content: randomBytes(30_000) }]);
    const limited = new UploadStore({ root, quotaBytesPerWorkspace: archive.length * 3 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => limited.save(WORKSPACE, Readable.from([archive]), undefined, archive.length)),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
    expect(
      outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as DomainError).code] : [])),
    ).toEqual(['payload_too_large', 'payload_too_large', 'payload_too_large']);
    expect(await limited.usage(WORKSPACE)).toBe(3 * archive.length);
  });
});
