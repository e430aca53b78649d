import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { pack as tarPack } from 'tar-stream';
import { PlatformCertificateAuthority, SecretBox } from '@platform/secrets';
import { freePort } from '@platform/testing';
import { byDigest, type RegistryAuth } from '../image-registry';
import { SelfHostedRegistry } from './self-hosted-registry';

const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });

/** Follows a pull or push to its end; the engine reports a refusal inside the stream. */
async function follow(stream: NodeJS.ReadableStream): Promise<{ aux?: { Digest?: string } }[]> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error, output: { aux?: { Digest?: string }; error?: string }[]) => {
      const refusal = output?.find((line) => line.error)?.error;
      if (error) reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
      else if (refusal) reject(new Error(refusal));
      else resolve(output);
    }),
  );
}

async function buildTinyImage(tag: string, content: string): Promise<void> {
  const pack = tarPack();
  pack.entry({ name: 'Dockerfile' }, 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  pack.entry({ name: 'hello.txt' }, content);
  pack.finalize();
  await follow(await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, rm: true }));
}

async function push(image: string, tag: string, auth: RegistryAuth): Promise<string> {
  const output = await follow(await docker.getImage(image).push({ tag, authconfig: auth }));
  const digest = output.find((line) => line.aux?.Digest)?.aux?.Digest;
  if (!digest) throw new Error('the push reported no digest');
  return digest;
}

describe('the self-hosted registry (CNCF Distribution, token auth per workspace)', () => {
  let dir: string;
  let registry: SelfHostedRegistry;
  const workspace = randomUUID();
  const otherWorkspace = randomUUID();
  const local = `registry-test-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'platform-registry-'));
    const secrets = new SecretBox(randomBytes(32));
    const { ca } = await PlatformCertificateAuthority.generate();
    registry = await SelfHostedRegistry.open({ dir, address: '127.0.0.1', port: await freePort(), ca, secrets });
    await registry.start();
    await buildTinyImage(`${local}:v1`, `hello ${randomUUID()}`);
  }, 60_000);

  afterAll(async () => {
    await registry?.stop();
    await docker
      .getImage(`${local}:v1`)
      .remove({ force: true })
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('takes a push with a workspace token and gives back the same digest to a pull by digest', async () => {
    const repository = registry.repositoryOf(workspace, 'web');
    await docker.getImage(`${local}:v1`).tag({ repo: repository, tag: 'deploy_aaaaaaaa' });
    const digest = await push(
      repository,
      'deploy_aaaaaaaa',
      await registry.credentials(workspace, repository, ['pull', 'push'], 60),
    );
    await docker.getImage(`${repository}:deploy_aaaaaaaa`).remove();
    expect(await registry.manifestDigest(repository, 'deploy_aaaaaaaa')).toBe(digest);

    const reference = byDigest({ repository, digest });
    const pullAuth = await registry.credentials(workspace, repository, ['pull'], 60);
    await follow(await docker.pull(reference, { authconfig: pullAuth }));
    const pulled = await docker.getImage(reference).inspect();
    expect(pulled.RepoDigests).toContain(reference);
    // The engine keeps no credentials: the image and the engine's config know nothing of the token.
    expect(JSON.stringify(pulled)).not.toContain(pullAuth.registrytoken);
    await docker.getImage(reference).remove({ force: true });
  });

  it("refuses a pull without a token, a push with a pull-only token and another workspace's repository", async () => {
    const repository = registry.repositoryOf(workspace, 'api');
    await docker.getImage(`${local}:v1`).tag({ repo: repository, tag: 'deploy_bbbbbbbb' });
    try {
      const pullOnly = await registry.credentials(workspace, repository, ['pull'], 60);
      await expect(push(repository, 'deploy_bbbbbbbb', pullOnly)).rejects.toThrow(/denied|unauthorized|insufficient/i);
      // Without a token the engine asks the realm, which hands out none: tokens come with a deployment only.
      await expect(push(repository, 'deploy_bbbbbbbb', { serveraddress: registry.host })).rejects.toThrow();
      expect(await registry.manifestDigest(repository, 'deploy_bbbbbbbb')).toBeUndefined();
      // Tokens are only minted for the caller's own namespace.
      await expect(registry.credentials(otherWorkspace, repository, ['pull'], 60)).rejects.toMatchObject({
        code: 'forbidden',
      });
    } finally {
      await docker.getImage(`${repository}:deploy_bbbbbbbb`).remove();
    }
  });

  it('deletes a manifest and collects its blobs, keeping the registry up', async () => {
    const repository = registry.repositoryOf(workspace, 'old');
    await docker.getImage(`${local}:v1`).tag({ repo: repository, tag: 'deploy_cccccccc' });
    const digest = await push(
      repository,
      'deploy_cccccccc',
      await registry.credentials(workspace, repository, ['pull', 'push'], 60),
    );
    await docker.getImage(`${repository}:deploy_cccccccc`).remove();
    await registry.deleteManifest(repository, digest);
    expect(await registry.manifestDigest(repository, digest)).toBeUndefined();
    await registry.collectGarbage();
    expect(await registry.answers()).toBe(true);
    // The signing key is sealed at rest.
    expect(await readFile(join(dir, 'token-signer.json'), 'utf8')).not.toContain('PRIVATE KEY');
    // and opens with the platform's secret key only.
    await expect(
      SelfHostedRegistry.open({
        dir,
        address: '127.0.0.1',
        port: 1,
        ca: (await PlatformCertificateAuthority.generate()).ca,
        secrets: new SecretBox(randomBytes(32)),
      }),
    ).rejects.toThrow(/does not open with this PLATFORM_SECRET_KEY/);
  });
});
