import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '@platform/contracts';
import type { PlatformCertificateAuthority, SecretBox } from '@platform/secrets';
import { stringify } from 'yaml';
import {
  checkNamespace,
  type ImageRegistry,
  type RegistryAction,
  type RegistryAuth,
  type RegistryImage,
} from '../image-registry';
import { RegistryTokenSigner } from './token-signer';

export const DEFAULT_REGISTRY_BIN = '/usr/bin/docker-registry';
/** The registry's name for itself in tokens (`aud`), and who issues them (`iss`). */
const TOKEN_CLAIMS = { service: 'platform-registry', issuer: 'platform' } as const;
/** The platform's own token, for the manifests it reads and deletes (retention). */
const PLATFORM_TOKEN_TTL_SECONDS = 120;
/** Docker's manifest types, so that HEAD answers the digest a push reported. */
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

export interface SelfHostedRegistryOptions {
  /** Where the registry keeps its configuration, certificate, token signer, log and images. */
  readonly dir: string;
  /** The address it listens on and image references name (the local cloud's servers reach 127.0.0.1). */
  readonly address: string;
  readonly port: number;
  /** The platform CA issues the registry's TLS certificate. */
  readonly ca: PlatformCertificateAuthority;
  /** Seals the token signing key at rest. */
  readonly secrets: SecretBox;
  readonly bin?: string;
}

interface RegistryAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * The platform's own image registry: CNCF Distribution (Debian's `docker-registry`) run as a process of its own
 * (it outlives the service that started it, like the front door's nginx), serving TLS with a certificate from the
 * platform CA, and token auth: each workspace has a namespace (`w<workspace id>/`), and a token names the
 * repositories and actions it allows, for a few minutes. Tokens are minted here, per deployment and per server.
 */
export class SelfHostedRegistry implements ImageRegistry {
  readonly host: string;
  private readonly paths: { config: string; pid: string; log: string; certificate: string; key: string; roots: string };

  private constructor(
    private readonly options: SelfHostedRegistryOptions,
    private readonly signer: RegistryTokenSigner,
  ) {
    this.host = `${options.address}:${options.port}`;
    this.paths = {
      config: join(options.dir, 'config.yml'),
      pid: join(options.dir, 'registry.pid'),
      log: join(options.dir, 'registry.log'),
      certificate: join(options.dir, 'tls.crt'),
      key: join(options.dir, 'tls.key'),
      roots: join(options.dir, 'token-signer.crt'),
    };
  }

  /** The registry kept in `options.dir` (its token signer made there on first use); `start` runs it. */
  static async open(options: SelfHostedRegistryOptions): Promise<SelfHostedRegistry> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const signer = await RegistryTokenSigner.openOrCreate(
      join(options.dir, 'token-signer.json'),
      options.secrets,
      TOKEN_CLAIMS,
    );
    return new SelfHostedRegistry(options, signer);
  }

  /** The namespace of a workspace: `w` and its id's hex, a valid path component. */
  static namespaceOf(workspaceId: string): string {
    return `w${workspaceId.replace(/-/g, '').toLowerCase()}`;
  }

  repositoryOf(workspaceId: string, service: string): string {
    return `${this.host}/${SelfHostedRegistry.namespaceOf(workspaceId)}/${service}`;
  }

  async credentials(
    workspaceId: string,
    repository: string,
    actions: readonly RegistryAction[],
    ttlSeconds: number,
  ): Promise<RegistryAuth> {
    checkNamespace(this.host, SelfHostedRegistry.namespaceOf(workspaceId), repository);
    const path = repository.slice(this.host.length + 1);
    return {
      serveraddress: this.host,
      registrytoken: this.signer.token(`workspace:${workspaceId}`, [{ repository: path, actions }], ttlSeconds),
    };
  }

  async deleteImage(workspaceId: string, image: RegistryImage): Promise<void> {
    checkNamespace(this.host, SelfHostedRegistry.namespaceOf(workspaceId), image.repository);
    await this.deleteManifest(image.repository, image.digest);
  }

  async digestOf(workspaceId: string, repository: string, tag: string): Promise<string | undefined> {
    checkNamespace(this.host, SelfHostedRegistry.namespaceOf(workspaceId), repository);
    return this.manifestDigest(repository, tag);
  }

  /** Starts the registry unless it runs already, and waits until it answers. */
  async start(): Promise<void> {
    if (await this.pid()) return;
    await this.writeConfiguration();
    const log = await open(this.paths.log, 'a', 0o600);
    try {
      const child = spawn(this.options.bin ?? DEFAULT_REGISTRY_BIN, ['serve', this.paths.config], {
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
      });
      const spawned = new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      await spawned.catch((error: Error) => {
        throw new DomainError(
          'unavailable',
          `the image registry could not start (${error.message}); install Debian's docker-registry (scripts/ensure-services.sh does)`,
        );
      });
      child.unref();
      await writeFile(this.paths.pid, String(child.pid), { mode: 0o600 });
    } finally {
      await log.close();
    }
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await this.answers()) return;
      if (Date.now() > deadline || !(await this.pid())) {
        const tail = (await readFile(this.paths.log, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
        throw new DomainError('unavailable', `the image registry did not start on ${this.host}: ${tail}`);
      }
      await sleep(100);
    }
  }

  /** Stops the registry this directory runs; nothing when it does not run. */
  stop(): Promise<void> {
    return SelfHostedRegistry.stopIn(this.options.dir);
  }

  /** Stops the registry run from `dir` (by whoever started it), without opening its keys. */
  static async stopIn(dir: string): Promise<void> {
    const pidFile = join(dir, 'registry.pid');
    const running = () => runningPid(pidFile, join(dir, 'config.yml'));
    const pid = await running();
    if (!pid) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await running())) await sleep(50);
    if (await running()) process.kill(pid, 'SIGKILL');
    await rm(pidFile, { force: true });
  }

  /** Whether the registry answers its API (a 401 to the anonymous version check is an answer). */
  async answers(): Promise<boolean> {
    return this.call('GET', '/v2/').then(
      (answer) => answer.status === 401 || answer.status === 200,
      () => false,
    );
  }

  /** The digest of `reference` (a tag or digest) in `repository`, or undefined when the registry has none. */
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    const path = this.pathOf(repository);
    const answer = await this.call('HEAD', `/v2/${path}/manifests/${reference}`, [path, ['pull']]);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`the registry answered ${answer.status} for ${repository}:${reference}`);
    return String(answer.headers['docker-content-digest']);
  }

  /** The tags of `repository` (none when it does not exist). */
  async tags(repository: string): Promise<string[]> {
    const path = this.pathOf(repository);
    const answer = await this.call('GET', `/v2/${path}/tags/list?n=1000`, [path, ['pull']]);
    if (answer.status === 404) return [];
    if (answer.status !== 200) throw new Error(`the registry answered ${answer.status} listing ${repository}`);
    return (JSON.parse(answer.body) as { tags: string[] | null }).tags ?? [];
  }

  /** Deletes a manifest (every tag naming it); its blobs go at the next garbage collection. */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    const path = this.pathOf(repository);
    const answer = await this.call('DELETE', `/v2/${path}/manifests/${digest}`, [path, ['delete']]);
    if (answer.status !== 202 && answer.status !== 404)
      throw new Error(`the registry answered ${answer.status} deleting ${repository}@${digest}`);
  }

  /**
   * Removes blobs no manifest uses any more. Distribution collects garbage only while nothing writes: the
   * registry is stopped for the collection and started again (pulls and pushes in that second fail and are retried).
   */
  async collectGarbage(): Promise<string> {
    // A registry that never ran has nothing to collect.
    if (!(await stat(join(this.options.dir, 'data')).catch(() => undefined))) return '';
    const wasRunning = Boolean(await this.pid());
    await this.stop();
    try {
      return await new Promise<string>((resolve, reject) => {
        const child = spawn(
          this.options.bin ?? DEFAULT_REGISTRY_BIN,
          ['garbage-collect', '--delete-untagged', this.paths.config],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.once('error', reject);
        child.once('close', (code) =>
          code === 0 ? resolve(output) : reject(new Error(`garbage collection failed: ${output.slice(-500)}`)),
        );
      });
    } finally {
      if (wasRunning) await this.start();
    }
  }

  private pathOf(repository: string): string {
    if (!repository.startsWith(`${this.host}/`)) throw new Error(`${repository} is not in the registry ${this.host}`);
    return repository.slice(this.host.length + 1);
  }

  private pid(): Promise<number | undefined> {
    return runningPid(this.paths.pid, this.paths.config);
  }

  private async writeConfiguration(): Promise<void> {
    const tls = await this.options.ca.issueServerCertificate(
      { name: 'platform-registry', address: this.options.address },
      365,
    );
    await writeFile(this.paths.certificate, tls.certificate, { mode: 0o600 });
    await writeFile(this.paths.key, tls.privateKey, { mode: 0o600 });
    await writeFile(this.paths.roots, this.signer.certificate, { mode: 0o600 });
    const config = {
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true }, fields: { service: 'registry' } },
      storage: {
        filesystem: { rootdirectory: join(this.options.dir, 'data') },
        delete: { enabled: true },
        cache: { blobdescriptor: 'inmemory' },
      },
      http: {
        addr: this.host,
        secret: randomBytes(32).toString('hex'),
        tls: { certificate: this.paths.certificate, key: this.paths.key },
        headers: { 'X-Content-Type-Options': ['nosniff'] },
      },
      auth: {
        token: {
          // Nobody fetches tokens here: the platform hands each pull and push its own.
          realm: `https://${this.host}/tokens-are-issued-by-the-platform`,
          service: TOKEN_CLAIMS.service,
          issuer: TOKEN_CLAIMS.issuer,
          rootcertbundle: this.paths.roots,
        },
      },
    };
    await writeFile(this.paths.config, stringify(config), { mode: 0o600 });
  }

  private call(
    method: string,
    path: string,
    access?: [repository: string, actions: string[]],
  ): Promise<RegistryAnswer> {
    const headers: Record<string, string> = { accept: MANIFEST_TYPES };
    if (access) {
      const token = this.signer.token(
        'platform',
        [{ repository: access[0], actions: access[1] }],
        PLATFORM_TOKEN_TTL_SECONDS,
      );
      headers.authorization = `Bearer ${token}`;
    }
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        {
          host: this.options.address,
          port: this.options.port,
          method,
          path,
          headers,
          ca: this.options.ca.certificate,
          servername: 'platform-registry',
          timeout: 10_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`the registry ${this.host} did not answer in 10 s`)));
      request.on('error', reject);
      request.end();
    });
  }
}

/** The pid in `pidFile` if that process is a registry serving `config` (a pid reused by another process is not). */
async function runningPid(pidFile: string, config: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
  return commandLine.includes(config) ? pid : undefined;
}
