import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tarOf } from '@platform/archive/src/test-support';
import { UploadStore } from '@platform/build';
import { DomainError } from '@platform/contracts';
import { createTestSchema, eventually, type TestSchema } from '@platform/testing';
import { UploadSweep } from './upload-sweep';

describe('UploadSweep', () => {
  let db: TestSchema;
  let root: string;
  let uploads: UploadStore;
  const sweeps: UploadSweep[] = [];

  beforeEach(async () => {
    db = createTestSchema('upload_sweep');
    root = await mkdtemp(join(tmpdir(), 'upload-sweep-'));
    uploads = new UploadStore({ root });
  });
  afterEach(async () => {
    await Promise.all(sweeps.splice(0).map((sweep) => sweep.stop()));
    await rm(root, { recursive: true, force: true });
    await db.dispose();
  });

  function sweep(logged: object[] = []): UploadSweep {
    const logger = {
      info: (details: object) => void logged.push(details),
      warn: () => undefined,
      error: () => undefined,
    };
    const started = new UploadSweep({
      uploads,
      pool: db.pool,
      schema: db.schema,
      unusedTtlMs: 200,
      everyMs: 50,
      logger,
    });
    sweeps.push(started);
    return started;
  }

  it('deletes uploads no deployment used in time, on one replica at a time, and keeps the used ones', async () => {
    const archive = await tarOf([{ name: 'index.js', content: 'console.log(1)' }]);
    const unused = await uploads.save('ws_a', Readable.from([archive]));
    const used = await uploads.save('ws_a', Readable.from([archive]));
    await uploads.markUsed('ws_a', used.uploadId);
    const logs: object[][] = [[], []];
    const [first, second] = [sweep(logs[0]), sweep(logs[1])];
    first.start();
    second.start();

    // The record goes first and the log line once the archive is gone too: both are waited for.
    await eventually(async () => {
      const gone = await uploads.get('ws_a', unused.uploadId).catch((error: unknown) => error);
      expect(gone).toBeInstanceOf(DomainError);
      // One replica held the lease: the deletion was logged once, by one of them.
      expect(logs.flat().filter((details) => 'uploadIds' in details)).toEqual([{ uploadIds: [unused.uploadId] }]);
    });
    await expect(uploads.get('ws_a', used.uploadId)).resolves.toMatchObject({ uploadId: used.uploadId });
    // Later sweeps find nothing more to delete, and say nothing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logs.flat().filter((details) => 'uploadIds' in details)).toHaveLength(1);
  });
});
