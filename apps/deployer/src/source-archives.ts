import { DomainError, type DeploySource } from '@platform/contracts';
import type { SourceArchive, SourceArchives } from '@platform/deployments';

/** Upload and git sources as archives for the agents' builds. */
export class BuildSourceArchives implements SourceArchives {
  constructor(private readonly uploadsDir: string) {}

  archiveOf(_workspaceId: string, source: Exclude<DeploySource, { type: 'image' }>): Promise<SourceArchive> {
    return Promise.reject(new DomainError('unavailable', `${source.type} sources are not wired yet (uploads in ${this.uploadsDir})`));
  }
}
