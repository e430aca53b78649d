import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '@platform/contracts';
import { extractArchive, inspectArchive } from './extract';
import { tarOf, zipOf, type TarEntrySpec } from './test-support';

let sandbox: string;

beforeEach(async () => {
  sandbox = await mkdtemp(join(tmpdir(), 'inspect-'));
});
afterEach(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

async function inspected(bytes: Buffer, limits?: { maxEntries?: number; maxUnpackedBytes?: number }) {
  const file = join(sandbox, 'upload.bin');
  await writeFile(file, bytes);
  return inspectArchive({ file, limits });
}

async function refusal(bytes: Buffer, limits?: { maxEntries?: number; maxUnpackedBytes?: number }) {
  const error = await inspected(bytes, limits).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  // Listed, never unpacked: the archive is all there is.
  expect(await readdir(sandbox)).toEqual(['upload.bin']);
  return error;
}

describe('inspectArchive', () => {
  it('lists an ordinary archive as extraction counts it, writing nothing', async () => {
    const entries: TarEntrySpec[] = [
      { name: 'src/', type: 'directory' },
      { name: 'src/index.js', content: 'console.log(1)' },
      { name: 'link', type: 'symlink', linkname: 'src/index.js' },
      { name: 'copy', type: 'link', linkname: 'src/index.js' },
      { name: 'd/e', type: 'symlink', linkname: '..' },
    ];
    const listed = await inspected(await tarOf(entries));
    expect(await readdir(sandbox)).toEqual(['upload.bin']);
    const extracted = await extractArchive({ file: join(sandbox, 'upload.bin'), into: join(sandbox, 'build') });
    expect(listed).toEqual(extracted);
    expect(listed).toEqual({ format: 'tar.gz', entries: 5, bytes: 28 });
    expect(await inspected(await zipOf([{ name: 'a/b.txt', content: 'hello' }]))).toEqual({
      format: 'zip',
      entries: 1,
      bytes: 5,
    });
  });

  it.each<[string, TarEntrySpec[], string, string]>([
    ['a ../ entry', [{ name: '../x', content: 'x' }], 'path_escapes', '../x'],
    ['an absolute path', [{ name: '/etc/cron.d/x', content: 'x' }], 'absolute_path', '/etc/cron.d/x'],
    ['a symlink to /etc', [{ name: 'etc', type: 'symlink', linkname: '/etc' }], 'link_escapes', 'etc'],
    ['a hard link to /etc/passwd', [{ name: 'p', type: 'link', linkname: '/etc/passwd' }], 'hardlink_target', 'p'],
    ['a character device', [{ name: 'null', type: 'character-device' }], 'special_file', 'null'],
    ['a FIFO', [{ name: 'pipe', type: 'fifo' }], 'special_file', 'pipe'],
    [
      'a file written through an inner symlink',
      [
        { name: 'real/', type: 'directory' },
        { name: 'alias', type: 'symlink', linkname: 'real' },
        { name: 'alias/x', content: 'x' },
      ],
      'through_link',
      'alias/x',
    ],
    [
      'a chain of inner symlinks that ends outside',
      [
        { name: 'd/', type: 'directory' },
        { name: 'd/e', type: 'symlink', linkname: '..' },
        { name: 'x', type: 'symlink', linkname: 'd/e/..' },
      ],
      'link_escapes',
      'x',
    ],
  ])('refuses %s, naming the entry', async (_what, entries, reason, entry) => {
    const error = await refusal(await tarOf(entries));
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([{ reason, entry }]);
    expect(error.message).toContain(`"${entry}" is refused`);
  });

  it('refuses a zip symlink pointing out of the tree', async () => {
    const error = await refusal(await zipOf([{ name: 'etc', content: '/etc', mode: 0o120777 }]));
    expect(error.details).toEqual([{ reason: 'link_escapes', entry: 'etc' }]);
  });

  it('refuses bombs: more unpacked bytes or more entries than the limits', async () => {
    const bomb = await tarOf([{ name: 'zeros', content: Buffer.alloc(64 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(256 * 1024);
    const tooBig = await refusal(bomb, { maxUnpackedBytes: 8 * 1024 * 1024 });
    expect(tooBig.code).toBe('payload_too_large');
    expect(tooBig.message).toContain('"zeros"');
    const entries = Array.from({ length: 30 }, (_, index) => ({ name: `f${index}`, content: 'x' }));
    expect((await refusal(await tarOf(entries), { maxEntries: 25 })).message).toContain('more than 25 entries');
    expect((await refusal(await zipOf(entries), { maxEntries: 25 })).code).toBe('payload_too_large');
  });

  it('refuses a truncated tar.gz and a truncated zip as corrupt', async () => {
    const tar = await tarOf([{ name: 'big', content: randomBytes(200_000) }]);
    expect((await refusal(tar.subarray(0, tar.length / 2))).message).toMatch(/corrupt/);
    const zip = await zipOf([{ name: 'a', content: 'x'.repeat(10_000) }]);
    expect((await refusal(zip.subarray(0, zip.length - 30))).message).toMatch(/corrupt/);
  });
});
