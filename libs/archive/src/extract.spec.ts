import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DomainError } from '@platform/contracts';
import { extractArchive } from './extract';
import { packDirectory } from './pack';
import { tarOf, zipOf, type TarEntrySpec } from './test-support';
import { extract as tarExtract } from 'tar-stream';

/**
 * Every test extracts into sandbox/build; after a refusal, the sandbox must hold nothing but an empty build
 * directory and the archive itself, and no absolute path named by a hostile entry may exist.
 */
let sandbox: string;
let build: string;

beforeEach(async () => {
  sandbox = await mkdtemp(join(tmpdir(), 'archive-'));
  build = join(sandbox, 'build');
});
afterEach(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

async function archiveFile(bytes: Buffer, name = 'upload.bin'): Promise<string> {
  const path = join(sandbox, name);
  await writeFile(path, bytes);
  return path;
}

async function refusal(
  bytes: Buffer,
  limits?: { maxEntries?: number; maxUnpackedBytes?: number },
): Promise<DomainError> {
  const file = await archiveFile(bytes);
  const error = await extractArchive({ file, into: build, limits }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
}

async function expectNothingWrittenOutside(): Promise<void> {
  const left = (await readdir(sandbox)).filter((name) => name !== 'upload.bin');
  expect(left.filter((name) => name !== 'build')).toEqual([]);
  if (left.includes('build')) expect(await readdir(build)).toEqual([]);
}

describe('extractArchive accepts ordinary archives', () => {
  it('unpacks a tar.gz with directories, an executable, an inner symlink and a hard link', async () => {
    const file = await archiveFile(
      await tarOf([
        { name: './', type: 'directory' },
        { name: 'src/', type: 'directory' },
        { name: 'src/index.js', content: 'console.log(1)' },
        { name: 'bin/run', content: '#!/bin/sh\n', mode: 0o4755 },
        { name: 'lib', type: 'symlink', linkname: 'src' },
        { name: 'nm/.bin/tool', type: 'symlink', linkname: '../../src/index.js' },
        { name: 'copy.js', type: 'link', linkname: 'src/index.js' },
      ]),
    );
    const result = await extractArchive({ file, into: build });
    expect(result).toMatchObject({ format: 'tar.gz', entries: 7 });
    expect(await readFile(join(build, 'src/index.js'), 'utf8')).toBe('console.log(1)');
    expect(await readFile(join(build, 'copy.js'), 'utf8')).toBe('console.log(1)');
    expect((await stat(join(build, 'bin/run'))).mode & 0o7777).toBe(0o755);
    expect(await readlink(join(build, 'lib'))).toBe('src');
    expect(await readFile(join(build, 'nm/.bin/tool'), 'utf8')).toBe('console.log(1)');
  });

  it('unpacks a plain tar and a zip, keeping the executable bit of zip entries', async () => {
    const tar = await archiveFile(await tarOf([{ name: 'a.txt', content: 'A' }], { gzip: false }), 'a.tar');
    await expect(extractArchive({ file: tar, into: join(sandbox, 'from-tar') })).resolves.toMatchObject({
      format: 'tar',
      entries: 1,
    });
    const zip = await archiveFile(
      await zipOf([
        { name: 'app/' },
        { name: 'app/server.js', content: 'ok' },
        { name: 'app/start.sh', content: '#!/bin/sh', mode: 0o100755 },
      ]),
      'a.zip',
    );
    await expect(extractArchive({ file: zip, into: join(sandbox, 'from-zip') })).resolves.toMatchObject({
      format: 'zip',
      entries: 3,
    });
    expect(await readFile(join(sandbox, 'from-zip/app/server.js'), 'utf8')).toBe('ok');
    expect((await stat(join(sandbox, 'from-zip/app/start.sh'))).mode & 0o777).toBe(0o755);
  });

  it('packs an extracted tree back into a tar, links as links', async () => {
    const file = await archiveFile(
      await tarOf([
        { name: 'Dockerfile', content: 'FROM x' },
        { name: 'l', type: 'symlink', linkname: 'Dockerfile' },
      ]),
    );
    await extractArchive({ file, into: build });
    const seen: string[] = [];
    const extract = tarExtract();
    const reading = (async () => {
      for await (const entry of extract) {
        seen.push(
          `${entry.header.type}:${entry.header.name}${entry.header.linkname ? `->${entry.header.linkname}` : ''}`,
        );
        entry.resume();
      }
    })();
    packDirectory(build).pipe(extract);
    await reading;
    expect(seen).toEqual(['file:Dockerfile', 'symlink:l->Dockerfile']);
  });
});

describe('extractArchive refuses entries that would escape the build directory', () => {
  const outsideName = `evil-${randomBytes(4).toString('hex')}`;

  it.each<[string, TarEntrySpec[], string]>([
    ['a ../ entry', [{ name: `../${outsideName}`, content: 'x' }], 'path_escapes'],
    ['a ../ hidden in the middle', [{ name: `a/../../${outsideName}`, content: 'x' }], 'path_escapes'],
    ['an absolute path', [{ name: `/tmp/${outsideName}/x`, content: 'x' }], 'absolute_path'],
    ['a symlink to /etc', [{ name: 'etc', type: 'symlink', linkname: '/etc' }], 'link_escapes'],
    ['a relative symlink out', [{ name: 'up', type: 'symlink', linkname: `../../${outsideName}` }], 'link_escapes'],
    ['a hard link to /etc/passwd', [{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }], 'hardlink_target'],
    ['a hard link out by ../', [{ name: 'x', type: 'link', linkname: `../${outsideName}` }], 'hardlink_target'],
    ['a character device', [{ name: 'null', type: 'character-device' }], 'special_file'],
    ['a FIFO', [{ name: 'pipe', type: 'fifo' }], 'special_file'],
    [
      'a file written through an inner symlink',
      [
        { name: 'real/', type: 'directory' },
        { name: 'alias', type: 'symlink', linkname: 'real' },
        { name: 'alias/x', content: 'x' },
      ],
      'through_link',
    ],
    [
      'a chain of inner symlinks that ends outside',
      [
        { name: 'd/', type: 'directory' },
        { name: 'd/e', type: 'symlink', linkname: '..' },
        { name: 'x', type: 'symlink', linkname: 'd/e/..' },
      ],
      'link_escapes',
    ],
  ])('refuses %s', async (_what, entries, reason) => {
    const error = await refusal(await tarOf(entries));
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([expect.objectContaining({ reason })]);
    await expectNothingWrittenOutside();
    expect(existsSync(`/tmp/${outsideName}`)).toBe(false);
    expect(existsSync(join(tmpdir(), outsideName))).toBe(false);
  });

  it('empties the build directory when a hostile entry comes after good ones', async () => {
    const error = await refusal(
      await tarOf([
        { name: 'ok.txt', content: 'fine' },
        { name: `../${outsideName}`, content: 'x' },
      ]),
    );
    expect(error.message).toContain(`"../${outsideName}" is refused`);
    await expectNothingWrittenOutside();
  });

  it.each([
    ['../', `../${outsideName}`.padEnd(20, 'x')],
    ['an absolute path', `/tmp/${outsideName}`.padEnd(20, 'x')],
  ])('refuses a zip entry with %s', async (_what, hostile) => {
    const placeholder = 'p'.repeat(hostile.length);
    const error = await refusal(await zipOf([{ name: placeholder, content: 'x' }], { [placeholder]: hostile }));
    expect(error.code).toBe('validation_failed');
    await expectNothingWrittenOutside();
  });

  it('refuses a zip symlink pointing out of the tree', async () => {
    const error = await refusal(await zipOf([{ name: 'etc', content: '/etc', mode: 0o120777 }]));
    expect(error.details).toEqual([expect.objectContaining({ reason: 'link_escapes' })]);
    await expectNothingWrittenOutside();
  });
});

describe('extractArchive limits', () => {
  it('refuses a gzip bomb: a small upload that unpacks to more than the limit', async () => {
    const bomb = await tarOf([{ name: 'zeros', content: Buffer.alloc(64 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(256 * 1024);
    const error = await refusal(bomb, { maxUnpackedBytes: 8 * 1024 * 1024 });
    expect(error.code).toBe('payload_too_large');
    await expectNothingWrittenOutside();
  });

  it('refuses many entries that together unpack to more than the limit', async () => {
    const manySmall = await tarOf(
      Array.from({ length: 20 }, (_, index) => ({ name: `f${index}`, content: Buffer.alloc(1024 * 1024) })),
    );
    const error = await refusal(manySmall, { maxUnpackedBytes: 5 * 1024 * 1024 });
    expect(error.code).toBe('payload_too_large');
    await expectNothingWrittenOutside();
  });

  it('refuses gzip-compressed zeros that are not even a tar, at the unpacked-size limit', async () => {
    const error = await refusal(gzipSync(Buffer.alloc(32 * 1024 * 1024)), {
      maxUnpackedBytes: 4 * 1024 * 1024,
      maxEntries: 10,
    });
    expect(error.code).toBe('payload_too_large');
    await expectNothingWrittenOutside();
  });

  it('refuses too many entries, in a tar and in a zip', async () => {
    const entries = Array.from({ length: 30 }, (_, index) => ({ name: `f${index}`, content: 'x' }));
    expect((await refusal(await tarOf(entries), { maxEntries: 25 })).code).toBe('payload_too_large');
    await expectNothingWrittenOutside();
    expect((await refusal(await zipOf(entries), { maxEntries: 25 })).code).toBe('payload_too_large');
  });
});

describe('extractArchive says clearly when an archive is corrupt', () => {
  it.each([
    ['random bytes', randomBytes(4096)],
    ['gzip of something that is not a tar', gzipSync(Buffer.from('hello, not a tar archive at all '.repeat(40)))],
    [
      'a gzip stream with garbage after its header',
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), randomBytes(2000)]),
    ],
  ])('%s', async (_what, bytes) => {
    const error = await refusal(bytes);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(/corrupt/);
    await expectNothingWrittenOutside();
  });

  it('a truncated tar.gz and a truncated zip', async () => {
    const tar = await tarOf([{ name: 'big', content: randomBytes(200_000) }]);
    expect((await refusal(tar.subarray(0, tar.length / 2))).message).toMatch(/corrupt/);
    await rm(build, { recursive: true, force: true });
    await mkdir(build);
    const zip = await zipOf([{ name: 'a', content: 'x'.repeat(10_000) }]);
    expect((await refusal(zip.subarray(0, zip.length - 30))).message).toMatch(/corrupt/);
  });

  it('leaves a pre-existing tree outside the build directory untouched', async () => {
    await mkdir(join(sandbox, 'neighbour'));
    await writeFile(join(sandbox, 'neighbour/keep'), 'keep');
    await refusal(await tarOf([{ name: '../neighbour/keep', content: 'overwritten' }]));
    expect(await readFile(join(sandbox, 'neighbour/keep'), 'utf8')).toBe('keep');
    expect((await lstat(join(sandbox, 'neighbour/keep'))).isFile()).toBe(true);
  });
});
