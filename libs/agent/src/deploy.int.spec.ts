import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBaseImages, nodeBaseImage } from '@platform/build';
import { ArchiveContentTypes, DomainError, type BuildProgressLine } from '@platform/contracts';
import { tarOf, zipOf } from '@platform/archive/src/test-support';
import { eventually } from '@platform/testing';
import {
  docker,
  getThroughEdge,
  startTestAgent,
  tarGzOf,
  TEST_APP_SERVER,
  writeTestApp,
  type TestAgent,
} from './test-support';

jest.setTimeout(120_000);

let agent: TestAgent;

beforeAll(async () => {
  await ensureBaseImages(['node']);
  agent = await startTestAgent('deploy');
});
afterAll(async () => {
  await agent?.close();
});

describe('deploying a Node app from an uploaded archive', () => {
  it('builds it, runs it, routes app.localhost to it through nginx and answers', async () => {
    const source = join(agent.dataDir, 'source');
    await writeTestApp(source);
    const archive = await tarGzOf(source, join(agent.dataDir, 'source.tar.gz'));
    const repository = agent.name('web');
    const progress: BuildProgressLine[] = [];

    const built = await agent.client.buildImage(
      { repository, tag: 'deploy_aaaa0001', service: 'web' },
      { path: archive, contentType: ArchiveContentTypes.tarGzip },
      (line) => progress.push(line),
    );
    expect(built.image).toBe(`${repository}:deploy_aaaa0001`);
    expect(progress.some((line) => line.type === 'log' && /Step 1\/\d+ : FROM/.test(line.message))).toBe(true);
    expect((await agent.client.listImages({ service: 'web' })).images.flatMap((image) => image.tags)).toContain(
      built.image,
    );

    const container = await agent.client.runContainer({
      name: agent.name('web-1'),
      image: built.image,
      service: 'web',
      port: 3000,
      env: { VERSION: 'v1' },
      memoryMb: 128,
      cpus: 0.5,
      healthCheck: { path: '/health', intervalMs: 200, timeoutMs: 1000, retries: 3, startPeriodMs: 10_000 },
    });
    expect(container).toMatchObject({ name: agent.name('web-1'), service: 'web', state: 'running', port: 3000 });
    const inspected = await docker.getContainer(container.id).inspect();
    expect(inspected.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(inspected.HostConfig.NanoCpus).toBe(0.5e9);
    expect(inspected.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');

    await eventually(
      async () => expect((await agent.client.containerHealth(container.name)).status).toBe('healthy'),
      15_000,
      100,
    );
    await agent.client.applyRoutes({
      routes: [{ hostname: 'app.localhost', upstream: { container: container.name } }],
    });

    const answer = await getThroughEdge(agent.edgePort, 'app.localhost');
    expect(answer).toMatchObject({ status: 200, body: 'v1 app.localhost' });
    expect((await getThroughEdge(agent.edgePort, 'unknown.localhost')).status).toBe(404);

    const logs = await agent.client.containerLogs(container.name, { tail: 10 });
    let text = '';
    for await (const chunk of logs) text += String(chunk);
    expect(text).toContain('v1 listening on 3000');
    const followed = await agent.client.containerLogs(container.name, { tail: 10, follow: true });
    const first = await new Promise<string>((resolve, reject) => {
      followed.once('data', (chunk: Buffer) => resolve(chunk.toString()));
      followed.once('error', reject);
    });
    expect(first).toContain('v1 listening on 3000');
    followed.destroy();
    expect((await agent.client.listContainers({ service: 'web' })).containers.map((item) => item.name)).toEqual([
      container.name,
    ]);

    await expect(agent.client.stopContainer(container.name, { graceSeconds: 5 })).resolves.toEqual({
      name: container.name,
      stopped: true,
      removed: true,
    });
    expect((await agent.client.listContainers({ service: 'web' })).containers).toEqual([]);
  });

  it('builds from a zip too', async () => {
    const archive = join(agent.dataDir, 'source.zip');
    await writeFile(
      archive,
      await zipOf([
        {
          name: 'Dockerfile',
          content: `FROM ${nodeBaseImage()}\nCOPY server.js /app/server.js\nCMD ["node", "/app/server.js"]\n`,
        },
        { name: 'server.js', content: TEST_APP_SERVER },
      ]),
    );
    const built = await agent.client.buildImage(
      { repository: agent.name('zipped'), tag: 'deploy_aaaa0002', service: 'zipped' },
      { path: archive, contentType: ArchiveContentTypes.zip },
    );
    expect(built.imageId).toMatch(/^sha256:/);
  });

  it('reports a failing build with the builder’s reason', async () => {
    const archive = join(agent.dataDir, 'broken.tar.gz');
    await writeFile(archive, await tarOf([{ name: 'Dockerfile', content: `FROM ${nodeBaseImage()}\nRUN exit 3\n` }]));
    const failure = await agent.client
      .buildImage(
        { repository: agent.name('broken'), tag: 'deploy_aaaa0003', service: 'broken' },
        { path: archive, contentType: ArchiveContentTypes.tarGzip },
      )
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).message).toBe('build failed: exit 3 exited 3');
  });

  it('streams every line of a build that fails on a compile error, and quotes the error in its reason', async () => {
    const compileError = "src/main.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.";
    const packageJson = {
      name: 'broken-app',
      version: '1.0.0',
      scripts: { build: 'node compile.js' },
    };
    const archive = join(agent.dataDir, 'compile-error.tar.gz');
    await writeFile(
      archive,
      await tarOf([
        {
          name: 'Dockerfile',
          content: `FROM ${nodeBaseImage()}\nWORKDIR /app\nCOPY . ./\nRUN npm run build\n`,
        },
        { name: 'package.json', content: JSON.stringify(packageJson) },
        { name: 'compile.js', content: `console.error(${JSON.stringify(compileError)});\nprocess.exit(1);\n` },
      ]),
    );
    const progress: BuildProgressLine[] = [];
    const failure = await agent.client
      .buildImage(
        { repository: agent.name('compile-error'), tag: 'deploy_aaaa0004', service: 'compile-error' },
        { path: archive, contentType: ArchiveContentTypes.tarGzip },
        (line) => progress.push(line),
      )
      .catch((error: unknown) => error);
    const streamed = progress.flatMap((line) => (line.type === 'log' ? line.message.split('\n') : []));
    expect(streamed).toContain(compileError);
    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).message).toMatch(/^build failed: npm run build exited 1:\n/);
    expect((failure as DomainError).message).toContain(compileError);
  });
});

describe('hostile archives sent to the agent', () => {
  const outside = `agent-evil-${Date.now()}`;

  it.each([
    [
      '../ entries',
      async () =>
        tarOf([
          { name: 'Dockerfile', content: 'FROM scratch' },
          { name: `../../${outside}`, content: 'x' },
        ]),
      /"\.\.\/\.\.\/agent-evil-\d+" is refused/,
    ],
    [
      'absolute paths',
      async () => tarOf([{ name: `/tmp/${outside}`, content: 'x' }]),
      /absolute paths are not allowed/,
    ],
    [
      'a symlink to /etc',
      async () => tarOf([{ name: 'etc', type: 'symlink', linkname: '/etc' }]),
      /points outside the archive/,
    ],
    [
      'a hard link out',
      async () => tarOf([{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }]),
      /hard link points outside/,
    ],
    [
      'a zip symlink out',
      async () => zipOf([{ name: 'up', content: '../../..', mode: 0o120777 }]),
      /points outside the archive/,
    ],
  ])('refuses %s with 400 and writes nothing outside the build directory', async (_what, make, message) => {
    const file = join(agent.dataDir, 'hostile.bin');
    await writeFile(file, await make());
    const failure = await agent.client
      .buildImage(
        { repository: agent.name('hostile'), tag: 'deploy_bad', service: 'hostile' },
        { path: file, contentType: ArchiveContentTypes.tarGzip },
      )
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).code).toBe('validation_failed');
    expect((failure as DomainError).message).toMatch(message);
    expect(existsSync(`/tmp/${outside}`)).toBe(false);
    expect(existsSync(join(agent.dataDir, outside))).toBe(false);
    // The scratch directory of the refused build is gone too.
    expect(await readdir(join(agent.dataDir, 'builds'))).toEqual([]);
  });

  it('refuses a decompression bomb with 413', async () => {
    const file = join(agent.dataDir, 'bomb.tar.gz');
    await writeFile(
      file,
      await tarOf([
        { name: 'Dockerfile', content: 'FROM scratch' },
        { name: 'zeros', content: Buffer.alloc(64 * 1024 * 1024) },
      ]),
    );
    const limited = await startTestAgent('bomb', { ARCHIVE_MAX_UNPACKED_BYTES: String(8 * 1024 * 1024) });
    try {
      const failure = await limited.client
        .buildImage(
          { repository: limited.name('bomb'), tag: 'deploy_bomb', service: 'bomb' },
          { path: file, contentType: ArchiveContentTypes.tarGzip },
        )
        .catch((error: unknown) => error);
      expect((failure as DomainError).code).toBe('payload_too_large');
      expect(await readdir(join(limited.dataDir, 'builds'))).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it('refuses bytes that are no archive, and an archive without a Dockerfile', async () => {
    const file = join(agent.dataDir, 'garbage.bin');
    await writeFile(file, 'this is not an archive at all, just text '.repeat(100));
    await expect(
      agent.client.buildImage(
        { repository: agent.name('junk'), tag: 'deploy_junk', service: 'junk' },
        { path: file, contentType: ArchiveContentTypes.tarGzip },
      ),
    ).rejects.toThrow(/corrupt/);
    await writeFile(file, await tarOf([{ name: 'README', content: 'hello' }]));
    await expect(
      agent.client.buildImage(
        { repository: agent.name('junk'), tag: 'deploy_junk', service: 'junk' },
        { path: file, contentType: ArchiveContentTypes.tarGzip },
      ),
    ).rejects.toThrow(/has no Dockerfile/);
  });
});
