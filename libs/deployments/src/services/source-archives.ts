import type { ArchiveContentType, DeploySource } from '@platform/contracts';

/** A source as an archive on disk, ready to stream to an agent's build. */
export interface SourceArchive {
  readonly path: string;
  readonly contentType: ArchiveContentType;
  /** Removes what was made for this build (a git checkout's archive); uploads stay. */
  dispose(): Promise<void>;
}

/** Turns an upload or a git source into an archive; adapters live with the deployer. */
export interface SourceArchives {
  archiveOf(workspaceId: string, source: Exclude<DeploySource, { type: 'image' }>): Promise<SourceArchive>;
}
