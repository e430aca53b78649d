import { DomainError, type RegistryAuth } from '@platform/contracts';

/** What credentials allow on a repository. */
export type RegistryAction = 'pull' | 'push';

export type { RegistryAuth };

/** An image in a registry, named by its content: what every server pulls, and what a rollback runs again. */
export interface RegistryImage {
  /** `<host>/<namespace>/<service>`, without a tag. */
  readonly repository: string;
  /** `sha256:<64 hex>`. */
  readonly digest: string;
}

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** `<repository>@<digest>`: the reference a server pulls. */
export function byDigest(image: RegistryImage): string {
  if (!DIGEST_PATTERN.test(image.digest)) throw new Error(`${image.digest} is not a sha256 digest`);
  return `${image.repository}@${image.digest}`;
}

/**
 * A workspace's image registry: where a deployment's image is pushed once and from where every server pulls it by
 * digest. Two kinds: the platform's own CNCF Distribution (self-hosted) and DigitalOcean Container Registry.
 */
export interface ImageRegistry {
  /** `host[:port]` as image references name the registry. */
  readonly host: string;
  /** The repository of one service of a workspace, inside the workspace's namespace. */
  repositoryOf(workspaceId: string, service: string): string;
  /**
   * Credentials for `repository` of the workspace, allowing `actions`, valid about `ttlSeconds` where the kind
   * allows it. A repository outside the workspace's namespace is refused (`forbidden`).
   */
  credentials(
    workspaceId: string,
    repository: string,
    actions: readonly RegistryAction[],
    ttlSeconds: number,
  ): Promise<RegistryAuth>;
  /**
   * Deletes an image of the workspace (its manifest; the blobs go at the next garbage collection), where the kind
   * supports it. An image already gone is no error.
   */
  deleteImage?(workspaceId: string, image: RegistryImage): Promise<void>;
  /** The digest a tag of the workspace's repository names now, or undefined when there is no such tag. */
  digestOf?(workspaceId: string, repository: string, tag: string): Promise<string | undefined>;
}

/** A reference's registry host, or undefined when it names Docker Hub (no host part). */
export function registryHostOf(reference: string): string | undefined {
  const first = reference.split('/')[0];
  if (!reference.includes('/')) return undefined;
  return /[.:]/.test(first) || first === 'localhost' ? first : undefined;
}

/** Refuses a repository outside `namespace` of the registry at `host`, naming what a deployment may use. */
export function checkNamespace(host: string, namespace: string, repository: string): void {
  const prefix = `${host}/${namespace}/`;
  if (!repository.startsWith(prefix) || repository.slice(prefix.length).includes('/')) {
    throw new DomainError(
      'forbidden',
      `the repository ${repository} is not in this workspace's namespace of the registry ${host}; a workspace pulls and pushes ${prefix}<service> only`,
      [{ reason: 'repository_of_another_workspace' }],
    );
  }
}
