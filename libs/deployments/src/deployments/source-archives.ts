import type { ArchiveContentType, DeploySource } from '@platform/contracts';

/** A source as an archive on disk, ready to stream to an agent's build. */
export interface SourceArchive {
  readonly path: string;
  readonly contentType: ArchiveContentType;
  /** The Dockerfile's path inside the archive (relative); the agent's default, `Dockerfile`, when absent. */
  readonly dockerfile?: string;
  /** For the deployment's log: what was fetched, which stack was detected, how the image is built. */
  readonly notes?: readonly string[];
  /** The port the project says its app listens on (platform.json): it replaces the service's for this deployment. */
  readonly port?: number;
  /** Removes what was made for this build (the build context's temporary files); uploads stay. */
  dispose(): Promise<void>;
}

export interface SourceArchiveOptions {
  /** The port the service listens on, for a generated Dockerfile (set as PORT and exposed). */
  readonly port?: number;
}

/** Turns an upload or a git source into an archive; adapters live with the deployer. */
export interface SourceArchives {
  archiveOf(
    workspaceId: string,
    source: Exclude<DeploySource, { type: 'image' }>,
    options?: SourceArchiveOptions,
  ): Promise<SourceArchive>;
}
